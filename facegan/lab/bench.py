"""The benchmark suites run: every objective × data set over trials, measured as each paper measures, in one
table beside the papers' own rows, with a figure.

    python -m facegan.lab bench --suite pacgan [--trials 3] [--steps 3000] [--objectives gan,pacgan4]
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from ..files import atomic_write
from .measures import literature_metrics, wasserstein1
from .runs import LabRun
from .suites import SUITES, Suite
from .targets import LabError, target

CURVE_POINTS = 10  # measurements over a run: modes against steps
STRIP = 6  # snapshots in the strip of the first trial's run
STRIP_POINTS = 300  # generated points kept per snapshot
EVAL_SEED = 2**42  # the measuring noise and real points, apart from every run's training stream
MAX_TRIALS = 20
W1_POINTS = 1000  # the exact W1 between this many generated and real points (2,500 each take seconds)


def measure(run: LabRun, samples: int) -> tuple[dict, np.ndarray]:
    """The paper's numbers on `samples` generated points from fixed noise, and the points."""
    fake = run.sample(samples, torch.Generator().manual_seed(EVAL_SEED))
    metrics = {"step": run.step}
    if run.target.centers is not None:
        metrics |= literature_metrics(fake, run.target.centers.numpy(), run.target.sigma)
    return metrics, fake


def one_run(suite: Suite, objective: str, distribution: str, trial: int, steps: int) -> dict:
    """One trained run: modes against steps, and at the end the paper's numbers with the exact W1 to as many
    real points; the first trial keeps STRIP snapshots of where its samples lie."""
    config = suite.config(objective, distribution, trial, steps)
    run = LabRun(config)
    started = time.perf_counter()
    curve, strip = [], []
    marks = {round(steps * i / CURVE_POINTS) for i in range(CURVE_POINTS + 1)}
    shots = {round(steps * i / (STRIP - 1)) for i in range(STRIP)}
    for mark in sorted(marks | shots):
        run.advance(mark - run.step)
        metrics, fake = measure(run, suite.samples)
        if mark in marks:
            curve.append(metrics)
        if trial == 0 and mark in shots:
            strip.append({"step": run.step, "points": np.round(fake[:STRIP_POINTS], 3).tolist()})
        if run.diverged:
            break
    real = run.target.sample(W1_POINTS, torch.Generator().manual_seed(EVAL_SEED + 1)).numpy()
    final = {**curve[-1], "w1": wasserstein1(fake[:W1_POINTS], real), "diverged": run.diverged,
             "seconds": round(time.perf_counter() - started, 1)}
    return {"trial": trial, "config": settings(config), "final": final, "curve": curve, "strip": strip}


def settings(config) -> dict:
    """A run's settings as its JSON holds them: a measured run is kept only while its suite still sets these."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def run_suite(suite: Suite, trials: int, steps: int, objectives: Sequence[str] | None = None,
              distributions: Sequence[str] | None = None,
              progress: Callable[[str], None] | None = None, out: Path | None = None) -> dict:
    """Every chosen objective × data set over trials; written to out (JSON) after every run, so that a long
    suite stopped early keeps what it measured. Runs already in out, measured with the same steps, are kept
    and not run again while the suite sets them as it did: a suite can be run in parts, or resumed."""
    result = {"suite": suite.name, "paper": suite.paper, "steps": steps, "full_steps": suite.full_steps,
              "trials": trials, "samples": suite.samples, "runs": {},
              "quoted": [q.__dict__ for q in suite.quoted]}
    if out and out.is_file():
        before = json.loads(out.read_text())
        if (before.get("suite"), before.get("steps")) == (suite.name, steps):
            for key, runs in before["runs"].items():
                objective, distribution = key.split(" · ")
                kept = [r for r in runs if objective in suite.objectives and distribution in suite.distributions
                        and r.get("config") == settings(suite.config(objective, distribution, r["trial"], steps))]
                if kept:
                    result["runs"][key] = kept
    for distribution in distributions or suite.distributions:
        for objective in objectives or suite.objectives:
            key = f"{objective} · {distribution}"
            done = result["runs"].setdefault(key, [])
            for trial in sorted(set(range(trials)) - {r["trial"] for r in done}):
                if progress:
                    progress(f"{key} trial {trial}")
                done.append(one_run(suite, objective, distribution, trial, steps))
                done.sort(key=lambda r: r["trial"])
                if out:  # after every run, whole: a stopped suite resumes from here
                    with atomic_write(out) as tmp:
                        tmp.write_text(json.dumps(result) + "\n")
    return result


def summary(runs: list[dict], key: str) -> tuple[float, float]:
    """Mean and standard error over trials of a final number (nan-free trials only)."""
    values = np.array([r["final"].get(key) for r in runs if r["final"].get(key) is not None], float)
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def _cell(mean: float, error: float, fmt: str) -> str:
    return "–" if math.isnan(mean) else f"{mean:{fmt}} ± {error:{fmt}}"


def _undefined(runs: list[dict]) -> str:
    """A note where some trials had no high-quality sample, so no reverse KL."""
    missing = sum(1 for r in runs if not math.isfinite(r["final"].get("reverse_kl", math.nan)))
    return f" ({missing} of {len(runs)} undefined)" if missing and missing < len(runs) else ""


def table(result: dict) -> str:
    """Markdown: one row per objective × data set, mean ± s.e. over trials, then the papers' rows, quoted."""
    rows = ["| objective | data | modes | high quality | reverse KL | exact W1 | trials |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for key, runs in result["runs"].items():
        objective, distribution = key.split(" · ")
        centers = mode_centers(distribution)
        modes = _cell(*summary(runs, "modes"), ".1f")
        quality = _cell(*(100 * v for v in summary(runs, "high_quality")), ".1f")
        rows.append(f"| {objective} | {distribution} | {modes}{'' if centers is None else f' / {len(centers)}'} | "
                    f"{quality}{'%' if quality != '–' else ''} | {_cell(*summary(runs, 'reverse_kl'), '.2f')}"
                    f"{_undefined(runs)} | "
                    f"{_cell(*summary(runs, 'w1'), '.3f')} | {len(runs)} |")
    for q in result["quoted"]:
        quality = quoted_cell(q, "high_quality", 100, ".1f", "%")
        rows.append(f"| {q['objective']} (quoted: {q['source']}) | {q['distribution']} | "
                    f"{quoted_cell(q, 'modes', 1, '.1f')} | {quality} | {quoted_cell(q, 'reverse_kl', 1, '.2f')} | "
                    f"– | – |")
    return "\n".join(rows)


def quoted_cell(quoted: dict, key: str, scale: float, fmt: str, unit: str = "") -> str:
    """A paper's number with its standard error where it gives one ("–" where it gives no number)."""
    value, error = quoted.get(key), quoted.get(f"{key}_se")
    if value is None:
        return "–"
    return f"{scale * value:{fmt}}" + ("" if error is None else f" ± {scale * error:{fmt}}") + unit


def mode_centers(distribution: str) -> np.ndarray | None:
    centers = target(distribution).centers
    return None if centers is None else centers.numpy()


def figure(result: dict, path: Path | None = None):
    """Bars of modes and high quality with each trial a dot; modes against steps; and the first run's strip
    of snapshots (generated points over the modes) for the suite's first objectives."""
    from ..figures import new_figure, save_figure

    keys = list(result["runs"])
    strips = strip_keys(result)
    fig = new_figure(width=max(10, 0.9 * len(keys) + 4), height=4.2 + 2.2 * len(strips))
    grid = fig.add_gridspec(2 + len(strips), 3, height_ratios=[3, 0.2] + [2] * len(strips))
    for column, (key, label) in enumerate((("modes", "modes captured"), ("high_quality", "high quality"))):
        ax = fig.add_subplot(grid[0, column])
        values = [[r["final"][key] for r in result["runs"][k] if r["final"].get(key) is not None] for k in keys]
        ax.bar(range(len(keys)), [np.mean(v) if v else 0 for v in values], color="lightsteelblue")
        for i, v in enumerate(values):
            ax.scatter([i] * len(v), v, color="navy", s=10, zorder=3)
        ax.set_xticks(range(len(keys)), [k.replace(" · ", "\n") for k in keys], fontsize=6, rotation=90)
        ax.set_ylabel(label)
    ax = fig.add_subplot(grid[0, 2])
    for key in keys:
        curves = [r["curve"] for r in result["runs"][key] if r["curve"] and "modes" in r["curve"][0]]
        if curves:
            length = min(len(c) for c in curves)
            ax.plot([c["step"] for c in curves[0][:length]],
                    np.mean([[c["modes"] for c in curve[:length]] for curve in curves], 0), label=key, lw=1)
    ax.set_xlabel("generator steps")
    ax.set_ylabel("modes (mean over trials)")
    ax.legend(fontsize=5)
    for row, key in enumerate(strips):
        shots = result["runs"][key][0]["strip"]
        centers = mode_centers(key.split(" · ")[1])
        inner = grid[2 + row, :].subgridspec(1, len(shots))
        for i, shot in enumerate(shots):
            ax = fig.add_subplot(inner[0, i])
            points = np.asarray(shot["points"])
            ax.scatter(points[:, 0], points[:, 1], s=1, color="tab:purple", alpha=0.5)
            if centers is not None:
                ax.scatter(centers[:, 0], centers[:, 1], s=12, marker="+", color="tab:green")
                reach = 1.25 * np.abs(centers).max()
                ax.set_xlim(-reach, reach)
                ax.set_ylim(-reach, reach)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{key if i == 0 else ''} step {shot['step']:,}", fontsize=6)
    return save_figure(fig, path)


def strip_keys(result: dict) -> list[str]:
    """The runs whose snapshots the figure shows: per data set the source's plain GAN and the objective that
    captured the most modes (the first two objectives where modes are not counted)."""
    baseline = f"{SUITES[result['suite']].baseline} · " if result.get("suite") in SUITES else "gan · "
    by_data: dict[str, list[str]] = {}
    for key in result["runs"]:
        by_data.setdefault(key.split(" · ")[1], []).append(key)
    chosen = []
    for keys in by_data.values():
        others = [k for k in keys if not k.startswith(baseline)]
        best = max(others, key=lambda k: np.nan_to_num(summary(result["runs"][k], "modes")[0], nan=-1),
                   default=None)
        chosen += [k for k in keys if k.startswith(baseline)][:1] + ([best] if best else [])
    return chosen[:6]


def check(suite: str, trials: int, steps: int | None, objectives: Sequence[str] | None,
          distributions: Sequence[str] | None) -> Suite:
    """The suite, or one LabError saying which input is wrong."""
    from .config import MAX_STEPS

    if suite not in SUITES:
        raise LabError(f"unknown suite {suite!r}: choose one of {', '.join(SUITES)}")
    if not 1 <= trials <= MAX_TRIALS:
        raise LabError(f"--trials must be from 1 to {MAX_TRIALS}, not {trials}")
    if steps is not None and not 1 <= steps <= MAX_STEPS:
        raise LabError(f"--steps must be from 1 to {MAX_STEPS:,}, not {steps:,}")
    chosen = SUITES[suite]
    for name, given, known in (("objective", objectives, chosen.objectives),
                               ("distribution", distributions, chosen.distributions)):
        unknown = [g for g in given or () if g not in known]
        if unknown:
            raise LabError(f"suite {suite} has no {name} {unknown[0]!r}: choose from {', '.join(known)}")
    return chosen
