"""The benchmark suites run: every objective × data set over trials, measured as each paper measures, in one
table beside the papers' own rows, with a figure.

    python -m facegan.lab bench --suite pacgan [--trials 3] [--steps 3000] [--objectives gan,pacgan4]
                                [--device cuda] [--workers 16]
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
from .batched import BatchedRuns, unbatched_settings
from .jobs import Jobs, as_done
from .measures import literature_metrics, wasserstein1
from .runs import LabRun
from .saved import load_run_and_history, save_run
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


def _marks(steps: int) -> tuple[set[int], set[int]]:
    """The steps a run is measured at (CURVE_POINTS + 1, evenly) and pictured at (STRIP, the first trial's)."""
    return ({round(steps * i / CURVE_POINTS) for i in range(CURVE_POINTS + 1)},
            {round(steps * i / (STRIP - 1)) for i in range(STRIP)})


def _measure_into(record: dict, run: LabRun, samples: int, curve: bool, shot: bool) -> None:
    """The run's numbers into its record's curve, its points into its strip, as asked."""
    metrics, fake = measure(run, samples)
    if curve:
        record["curve"].append(metrics)
    if shot:
        record["strip"].append({"step": run.step, "points": np.round(fake[:STRIP_POINTS], 3).tolist()})


def _result(run: LabRun, trial: int, record: dict, samples: int, seconds: float) -> dict:
    """A finished run's entry: its settings, its final numbers with the exact W1 to as many real points, its curve
    and strip."""
    _, fake = measure(run, samples)
    real = run.target.sample(W1_POINTS, torch.Generator().manual_seed(EVAL_SEED + 1)).numpy()
    final = {**record["curve"][-1], "w1": wasserstein1(fake[:W1_POINTS], real), "diverged": run.diverged,
             "seconds": round(seconds, 1)}
    return {"trial": trial, "config": settings(run.config), "final": final, "curve": record["curve"],
            "strip": record["strip"]}


def one_run(suite: Suite, objective: str, distribution: str, trial: int, steps: int, device: str = "cpu",
            state: Path | None = None) -> dict:
    """One trained run on device: modes against steps, and at the end the paper's numbers with the exact W1 to as
    many real points; the first trial keeps STRIP snapshots of where its samples lie.

    With state, the run is saved there at every measurement (nets, optimisers, stream and the measurements so
    far) and, stopped, continues from there when run again: the same numbers as a run never stopped."""
    config = suite.config(objective, distribution, trial, steps)
    run, record = LabRun(config, device), {"curve": [], "strip": [], "seconds": 0.0}
    if state is not None and state.is_file():
        saved, history = load_run_and_history(state, device)
        if saved.config == config:
            run, record = saved, history[0]
    started = time.perf_counter() - record["seconds"]
    marks, shots = _marks(steps)
    for mark in sorted(marks | shots):
        if record["curve"] and (mark <= run.step or run.diverged):
            continue  # measured before the run was stopped, or after it diverged
        run.advance(mark - run.step)
        _measure_into(record, run, suite.samples, mark in marks, trial == 0 and mark in shots)
        if state is not None:
            record["seconds"] = time.perf_counter() - started
            save_run(run, state, [record])
    return _result(run, trial, record, suite.samples, time.perf_counter() - started)


def batched_runs(suite: Suite, objective: str, distribution: str, trials: Sequence[int], steps: int,
                 device: str = "cpu") -> list[dict]:
    """The trials of one objective on one data set trained side by side in one step (`BatchedRuns`), each measured
    as `one_run` measures; each run's seconds are its share of their time together."""
    batch = BatchedRuns([suite.config(objective, distribution, trial, steps) for trial in trials], device)
    records = [{"curve": [], "strip": []} for _ in trials]
    live = set(trials)  # a diverged run goes on with NaNs beside the others, no longer measured
    started = time.perf_counter()
    marks, shots = _marks(steps)
    for mark in sorted(marks | shots):
        batch.advance(mark - batch.step)
        for trial, run, record in zip(trials, batch.sync(), records, strict=True):
            if trial in live:
                _measure_into(record, run, suite.samples, mark in marks, trial == 0 and mark in shots)
                if run.diverged:
                    live.discard(trial)
    seconds = (time.perf_counter() - started) / len(trials)
    return [_result(run, trial, record, suite.samples, seconds)
            for trial, run, record in zip(trials, batch.runs, records, strict=True)]


def settings(config) -> dict:
    """A run's settings as its JSON holds them: a measured run is kept only while its suite still sets these."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def run_suite(suite: Suite, trials: int, steps: int, objectives: Sequence[str] | None = None,
              distributions: Sequence[str] | None = None, progress: Callable[[str], None] | None = None,
              out: Path | None = None, device: str = "cpu", workers: int = 1) -> dict:
    """Every chosen objective × data set over trials, on device; written to out (JSON) after every run, so that a
    long suite stopped early keeps what it measured. Runs already in out, measured with the same steps, are kept
    and not run again while the suite sets them as it did: a suite can be run in parts, or resumed.

    An objective's trials train side by side in one step where `BatchedRuns` can train them (plain MLPs, one
    optimiser, alternating), else one run a trial, `workers` of them at once in processes of their own; with out,
    each such run is saved beside it (bench-SUITE-runs/) as it goes and a stopped one continues where it was."""
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
    states = out.with_name(f"{out.stem}-runs") if out else None
    jobs: Jobs = {}
    for distribution in distributions or suite.distributions:
        for objective in objectives or suite.objectives:
            key = f"{objective} · {distribution}"
            missing = sorted(set(range(trials)) - {r["trial"] for r in result["runs"].setdefault(key, [])})
            if not missing:
                continue
            if unbatched_settings(suite.config(objective, distribution, missing[0], steps)):
                for trial in missing:
                    state = states / f"{objective}-{distribution}-{trial}.safetensors" if states else None
                    jobs[f"{key} · {trial}"] = (one_run, (suite, objective, distribution, trial, steps, device, state),
                                                ())
            else:
                jobs[f"{key} · {','.join(map(str, missing))}"] = (
                    batched_runs, (suite, objective, distribution, missing, steps, device), ())
    if states and any(args[-1] for function, args, _ in jobs.values() if function is one_run):
        states.mkdir(parents=True, exist_ok=True)
    for name, done in as_done(jobs, workers, costliest_first=False):
        key, _ = name.rsplit(" · ", 1)
        done = done if isinstance(done, list) else [done]
        result["runs"][key] = sorted(result["runs"][key] + done, key=lambda r: r["trial"])
        if progress:
            progress(f"{name}: {max(r['final']['seconds'] for r in done):.0f} s")
        if out:  # after every run, whole: a stopped suite resumes from here
            with atomic_write(out) as tmp:
                tmp.write_text(json.dumps(result) + "\n")
            for r in done:
                (states / f"{key.replace(' · ', '-')}-{r['trial']}.safetensors").unlink(missing_ok=True)
    if states and states.is_dir() and not any(states.iterdir()):
        states.rmdir()  # every run finished: nothing left to continue
    result["runs"] = {key: runs for key, runs in result["runs"].items() if runs}
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
    from .config import SCHEDULE_STEPS

    if suite not in SUITES:
        raise LabError(f"unknown suite {suite!r}: choose one of {', '.join(SUITES)}")
    if not 1 <= trials <= MAX_TRIALS:
        raise LabError(f"--trials must be from 1 to {MAX_TRIALS}, not {trials}")
    if steps is not None and not 1 <= steps <= SCHEDULE_STEPS:
        raise LabError(f"--steps must be from 1 to {SCHEDULE_STEPS:,}, not {steps:,}")
    chosen = SUITES[suite]
    for name, given, known in (("objective", objectives, chosen.objectives),
                               ("distribution", distributions, chosen.distributions)):
        unknown = [g for g in given or () if g not in known]
        if unknown:
            raise LabError(f"suite {suite} has no {name} {unknown[0]!r}: choose from {', '.join(known)}")
    return chosen
