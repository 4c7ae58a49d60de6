"""The tutorial's three claims as experiments on 2-D points:

    a  vanishing_gradient  a discriminator trained towards optimal leaves the minimax generator no gradient
    b  loss_vs_progress    the GAN's losses say nothing about sample quality; the critic's estimate does
    c  mode_collapse       how many modes each objective covers, over seeds; in the studio at two recipes, the face
                           models' (the tutorial's) and the Lab's fast one

Each comes as it is measured too (`vanishing_gradient_steps`, `objective_runs_as_done`, `recipe_runs_as_done`), so
that the studio shows a first result within seconds and fills in the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch

from ..losses import generator_loss
from .batched import batched_histories
from .config import LIMITS, OBJECTIVES, LabConfig, shared_settings
from .jobs import Jobs, as_done
from .measures import pearson, total_norm
from .runs import LabRun, one_thread
from .suites import face_recipe
from .targets import LabError


def vanishing_gradient(config: LabConfig | None = None, d_steps: int = 3000, every: int = 100,
                       until: float | None = None) -> dict:
    """Claim a (Arjovsky & Bottou 2017, fig. 2): hold G fixed and train D towards optimal.

    The same D gives the saturating and the non-saturating generator gradient; a critic trained
    with the gradient penalty on the same data gives the Wasserstein one. Each is ‖∇θ G‖ of that
    generator loss on the fixed noise, recorded against D steps beside D's accuracy. Ends early at
    time.monotonic() `until`.
    """
    *_, out = vanishing_gradient_steps(config, d_steps, every, until)
    return out


def vanishing_gradient_steps(config: LabConfig | None = None, d_steps: int = 3000, every: int = 100,
                             until: float | None = None) -> Iterator[dict]:
    """Claim a's record as it grows: `vanishing_gradient`'s, as it stands after each measurement (a copy)."""
    config = config or LabConfig()
    gan = LabRun(LabConfig.for_objective("gan", **shared_settings(config)))
    critic = LabRun(LabConfig.for_objective("wgan-gp", **shared_settings(config)))
    out = {"d_steps": [], "accuracy": [], "saturating": [], "non_saturating": [], "wasserstein": []}
    for step in range(d_steps + 1):
        last = step == d_steps or (until is not None and time.monotonic() >= until)
        if step % every == 0 or last:
            out["d_steps"].append(step)
            measured = gan.gradients()
            out["accuracy"].append(measured["accuracy"])
            out["non_saturating"].append(measured["grad_g"])
            out["saturating"].append(_saturating_grad_norm(gan))
            out["wasserstein"].append(critic.gradients()["grad_g"])
            yield {key: list(values) for key, values in out.items()}
        if last:
            return
        gan.d_step()
        critic.d_step()


def _saturating_grad_norm(run: LabRun) -> float:
    """‖∇θ G‖ of the minimax generator loss log(1 − D(G(z))) under run's D, on the fixed noise."""
    with one_thread():
        loss = generator_loss("dcgan", run.D(run.G(run.z_eval)), saturating=True)
        return total_norm(torch.autograd.grad(loss, run.g_params))


CLAIM_OBJECTIVES = ("gan-minimax", "gan", "wgan", "wgan-gp")
MIXTURES = ("ring", "grid", "gaussian")  # the distributions whose modes can be counted
# Claim c in the studio: the tutorial's GAN and its fix, at the face models' recipe (the tutorial's,
# `optim.MODE_DEFAULTS`) and at the Lab's fast one (`config.OBJECTIVES`' recipes)
RECIPE_OBJECTIVES, RECIPES = ("gan", "wgan-gp"), ("face", "fast")


def objective_runs(config: LabConfig | None = None, seeds: int = 5, every: int | None = None,
                   objectives: Sequence[str] = CLAIM_OBJECTIVES, until: float | None = None,
                   progress: Callable[[str], None] | None = None, workers: int = 1) -> dict[str, list[list[dict]]]:
    """Each objective's measured histories, one per seed, on the same data, nets and steps; measured about 40
    times a run unless `every` says otherwise. An objective's seeds train together (`batched_histories`), and
    with workers > 1 that many objectives at once, each in its own process on one thread. Runs end early at
    time.monotonic() `until`; progress(objective) is called as each objective's runs are done."""
    return _in_processes(_objective_jobs(config or LabConfig(), seeds, every, objectives, until), workers, progress)


def objective_runs_as_done(config: LabConfig, seeds: int = 1, every: int | None = None,
                           objectives: Sequence[str] = CLAIM_OBJECTIVES, until: float | None = None,
                           workers: int = 1) -> Iterator[tuple[str, list[list[dict]]]]:
    """`objective_runs`' histories objective by objective as each one's runs are done, the cheapest first."""
    yield from as_done(_objective_jobs(config, seeds, every, objectives, until), workers, costliest_first=False)


def recipe_config(config: LabConfig, objective: str, recipe: str, seed: int) -> LabConfig:
    """config's data, nets and steps with an objective at a recipe: "face" (the face models') or "fast" (the Lab's)."""
    return LabConfig.for_objective(objective, **{**shared_settings(config), "seed": seed,
                                                 **(face_recipe(objective) if recipe == "face" else {})})


def recipe_runs_as_done(config: LabConfig, seeds: int = 3, objectives: Sequence[str] = RECIPE_OBJECTIVES,
                        until: float | None = None, workers: int = 1) -> Iterator[tuple[str, str, list[list[dict]]]]:
    """Claim c at each recipe: (objective, recipe, histories) as each objective's seeds at a recipe are done,
    measured at the start and the end only (claim c reads the end). An objective's seeds train together; the
    jobs start cheapest first, the face recipe before the fast one."""
    seed_range = LIMITS["seed"][1] + 1
    jobs = {}
    for objective in objectives:
        for recipe in RECIPES:
            runs = [recipe_config(config, objective, recipe, (config.seed + seed) % seed_range)
                    for seed in range(seeds)]
            jobs[f"{objective} · {recipe}"] = (batched_histories, (runs, config.steps, until),
                                               (runs[0].d_steps, OBJECTIVES[objective].penalty))
    for name, histories in as_done(jobs, workers, costliest_first=False):
        objective, recipe = name.split(" · ")
        yield objective, recipe, histories


def all_claims(config: LabConfig, seeds: int = 5, d_steps: int = 3000, workers: int = 1,
               progress: Callable[[str], None] | None = None) -> tuple[dict, dict[str, list[list[dict]]]]:
    """Claim a's measurements, and the objectives' histories that claims b and c read; with workers > 1,
    claim a trains in the same processes as the objectives, after the costlier ones."""
    jobs = _objective_jobs(config, seeds, None, CLAIM_OBJECTIVES, None)
    jobs["claim a"] = (vanishing_gradient, (config, d_steps), (0, False))  # cheaper than any objective's runs
    histories = _in_processes(jobs, workers, progress)
    return histories["claim a"], {objective: histories[objective] for objective in CLAIM_OBJECTIVES}


def _objective_jobs(config: LabConfig, seeds: int, every: int | None, objectives: Sequence[str],
                    until: float | None) -> Jobs:
    """Each objective's batched runs as (function, arguments, cost), its cost being its critic steps and
    whether it has a penalty."""
    every = every or max(1, config.steps // 40)
    seed_range = LIMITS["seed"][1] + 1
    jobs = {}
    for objective in objectives:
        runs = [LabConfig.for_objective(objective, **{**shared_settings(config),
                                                      "seed": (config.seed + seed) % seed_range})
                for seed in range(seeds)]
        jobs[objective] = (batched_histories, (runs, every, until), (runs[0].d_steps, OBJECTIVES[objective].penalty))
    return jobs


def _in_processes(jobs: Jobs, workers: int, progress: Callable[[str], None] | None) -> dict:
    """Each job's result, by name in the jobs' order (`jobs.as_done`, costliest first); progress(name) is called
    as each one's result comes in."""
    out = {}
    for name, result in as_done(jobs, workers):
        out[name] = result
        if progress:
            progress(name)
    return {name: out[name] for name in jobs}


def loss_vs_progress(histories: dict[str, list[list[dict]]]) -> dict:
    """Claim b: over each run, Pearson's r between W1 and the D/critic loss (without the penalty: for the
    WGANs it is minus the estimate), and between W1 and the critic's estimate E[D(x)] − E[D(G(z))]; the
    mean over seeds, and the first seed's curves. The measurement at step 0 is left out of r: D has not
    been trained yet, so its loss there says nothing about the samples either way."""
    out = {}
    for objective, runs in histories.items():
        r = {key: [pearson([h[key] for h in run[1:]], [h["w1"] for h in run[1:]]) for run in runs]
             for key in ("loss_d", "estimate")}
        mean = {key: float(np.nanmean(v)) if not np.isnan(v).all() else float("nan") for key, v in r.items()}
        out[objective] = {"r_loss": mean["loss_d"], "r_estimate": mean["estimate"],
                          "curves": {k: [h[k] for h in runs[0]] for k in ("step", "w1", "loss_d", "estimate")}}
    return out


def mode_collapse(histories: dict[str, list[list[dict]]]) -> dict:
    """Claim c: modes covered and high-quality share at the end of each run, per seed and on average."""
    out = {}
    for objective, runs in histories.items():
        if runs[0][-1]["modes"] is None:
            raise LabError(f"claim c counts modes: choose one of {', '.join(MIXTURES)}")
        modes = [run[-1]["modes"] for run in runs]
        quality = [run[-1]["high_quality"] for run in runs]
        out[objective] = {"modes": modes, "modes_total": runs[0][-1]["modes_total"], "high_quality": quality,
                          "mean_modes": float(np.mean(modes)), "mean_high_quality": float(np.mean(quality)),
                          "w1": [run[-1]["w1"] for run in runs]}
    return out


def claims_table(a: dict, b: dict, c: dict) -> str:
    """The claims as one table: objective × claim, in Markdown."""
    final = {"gan-minimax": a["saturating"][-1], "gan": a["non_saturating"][-1], "wgan-gp": a["wasserstein"][-1]}
    rows = ["| objective | a: ‖∇θG‖ after D trained (start) | b: r(D loss, W1) | b: r(estimate, W1) "
            "| c: modes covered (mean) | c: high-quality share |",
            "| --- | --- | --- | --- | --- | --- |"]
    start = {"gan-minimax": a["saturating"][0], "gan": a["non_saturating"][0], "wgan-gp": a["wasserstein"][0]}
    for objective in b:
        grad = f"{final[objective]:.2g} ({start[objective]:.2g})" if objective in final else "–"
        modes = c[objective]
        rows.append(f"| {objective} | {grad} | {b[objective]['r_loss']:+.2f} | {b[objective]['r_estimate']:+.2f} | "
                    f"{modes['mean_modes']:.1f} / {modes['modes_total']} ({', '.join(map(str, modes['modes']))}) | "
                    f"{modes['mean_high_quality']:.0%} |")
    return "\n".join(rows)

