"""`python -m facegan.lab`: the claims as one table and their figures, or one measured run.

    python -m facegan.lab claims [--seeds 5] [--steps 2000] [--d-steps 3000] [--workers N] [--out docs/lab]
    python -m facegan.lab run --objective wgan-gp --distribution ring [--steps 2000] [--json out.json]
    python -m facegan.lab presets [--out checkpoints/lab]     # the runs that open trained in the tab
    python -m facegan.lab bench --suite pacgan|unrolled|unrolled-notebook|gan_toy|tutorial [--trials 3] [--steps S]
                                [--device cuda] [--workers N] [--out checkpoints/lab]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from ..cli import Parser, UsageError
from ..cli import run as run_cli
from ..optim import resolve_device
from .claims import MIXTURES, all_claims, claims_table, loss_vs_progress, mode_collapse
from .config import LIMITS, OBJECTIVES, LabConfig, in_range
from .runs import history_run
from .saved import PRESETS, make_presets
from .suites import SUITES
from .targets import DISTRIBUTIONS, LabError


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m facegan.lab", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    claims = sub.add_parser("claims", help="run claims a–c, print one table, write the figures")
    claims.add_argument("--seeds", type=int, default=5, help="seeds per objective for claims b and c (default 5)")
    claims.add_argument("--steps", type=int, default=LabConfig.steps, help="generator steps per run")
    claims.add_argument("--d-steps", type=int, default=3000, help="claim a: D steps with G held fixed")
    claims.add_argument("--distribution", default="ring", choices=MIXTURES, help="claim c counts modes")
    claims.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes, each training one objective or claim a at a time (default: one per core)")
    claims.add_argument("--out", type=Path, default=Path("docs/lab"), help="folder for the figures and claims.json")
    one = sub.add_parser("run", help="train one objective and print its measurements")
    one.add_argument("--objective", default="gan", choices=tuple(OBJECTIVES))
    one.add_argument("--distribution", default="ring", choices=[d for d in DISTRIBUTIONS if d != "drawn"])
    one.add_argument("--steps", type=int, default=LabConfig.steps)
    one.add_argument("--seed", type=int, default=0)
    one.add_argument("--json", type=Path, help="also write the measurements here")
    presets = sub.add_parser("presets", help="train and save the runs that open trained in the tab")
    presets.add_argument("--out", type=Path, default=PRESETS, help=f"folder for them (default {PRESETS})")
    bench = sub.add_parser("bench", help="a published benchmark suite: one table beside the paper's, JSON, figure")
    bench.add_argument("--suite", required=True, help=f"one of {', '.join(SUITES)}")
    bench.add_argument("--trials", type=int, default=3, help="trials (seeds) per objective and data set (default 3)")
    bench.add_argument("--steps", type=int, help="generator steps per run (default: the suite's stated fraction)")
    bench.add_argument("--objectives", help="comma-separated; default: all of the suite's")
    bench.add_argument("--distributions", help="comma-separated; default: all of the suite's")
    bench.add_argument("--device", default="cpu", help="a torch device to train on: cpu (default), cuda, cuda:1, auto")
    bench.add_argument("--workers", type=int, default=1,
                       help="runs at once, each in a process of its own on the device, where the trials cannot train "
                            "side by side in one step (default 1)")
    bench.add_argument("--out", type=Path, default=PRESETS,
                       help=f"folder for bench-SUITE.json and .png, where the studio reads them (default {PRESETS})")
    return p


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def bench_main(args: argparse.Namespace) -> int:
    from .bench import check, figure, run_suite, table

    objectives, distributions = _names(args.objectives), _names(args.distributions)
    suite = check(args.suite, args.trials, args.steps, objectives, distributions)
    if not 1 <= args.workers <= 64:
        raise UsageError("--workers must be from 1 to 64")
    try:
        device = str(resolve_device(args.device))
    except (ValueError, RuntimeError) as error:
        raise UsageError(f"--device {args.device}: {error}") from None
    steps = args.steps or suite.steps
    args.out.mkdir(parents=True, exist_ok=True)
    json_path, figure_path = args.out / f"bench-{suite.name}.json", args.out / f"bench-{suite.name}.png"
    result = run_suite(suite, args.trials, steps, objectives, distributions,
                       progress=lambda what: print(f"  {what}", file=sys.stderr, flush=True), out=json_path,
                       device=device, workers=args.workers)
    result["seconds"] = round(sum(r["final"]["seconds"] for runs in result["runs"].values() for r in runs))
    json_path.write_text(json.dumps(result) + "\n")
    figure(result, figure_path)
    print(table(result))
    print(f"{suite.paper}: {steps:,} generator steps per run ({steps / suite.full_steps:.1%} of the full "
          f"{suite.full_steps:,}), {args.trials} trials, {suite.samples:,} samples; {result['seconds']} s of runs; "
          f"{json_path}, {figure_path}")
    return 0



def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "presets":
        make_presets(args.out)
        return 0
    if args.command == "bench":
        return bench_main(args)
    low, high = LIMITS["steps"]
    if not in_range(args.steps, low, high):
        raise UsageError(f"--steps must be from {low} to {high:,}")
    if args.command == "run":
        if not in_range(args.seed, *LIMITS["seed"]):
            raise UsageError(f"--seed must be from {LIMITS['seed'][0]} to {LIMITS['seed'][1]:,}")
        config = LabConfig.for_objective(args.objective, distribution=args.distribution, steps=args.steps,
                                         seed=args.seed)
        started = time.perf_counter()
        _, history = history_run(config, every=max(1, args.steps // 20))
        result = {"config": dataclasses.asdict(config), "final": history[-1], "history": history,
                  "seconds": round(time.perf_counter() - started, 2)}
        print(json.dumps(history[-1]))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
        return 0
    if not 1 <= args.seeds <= 20 or not in_range(args.d_steps, low, high) or not 1 <= args.workers <= 64:
        raise UsageError(f"--seeds must be from 1 to 20, --d-steps from {low} to {high:,} and --workers from 1 to 64")
    from .view import claim_figures  # matplotlib, only here

    config = LabConfig(distribution=args.distribution, steps=args.steps)
    started = time.perf_counter()
    a, histories = all_claims(config, args.seeds, args.d_steps, args.workers,
                              progress=lambda name: print(f"  {name} done", file=sys.stderr))
    b, c = loss_vs_progress(histories), mode_collapse(histories)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = claim_figures(a, b, c, args.out)
    (args.out / "claims.json").write_text(json.dumps({"a": a, "b": b, "c": c, "seeds": args.seeds,
                                                      "steps": args.steps, "distribution": args.distribution},
                                                     indent=1) + "\n")
    print(claims_table(a, b, c))
    print(f"{args.distribution}, {args.steps:,} generator steps, {args.seeds} seeds; "
          f"{time.perf_counter() - started:.0f} s; figures: {', '.join(str(p) for p in paths)}")
    return 0


def cli(argv: list[str] | None = None) -> int:
    return run_cli(main, argv, "lab", expected=(LabError,))

