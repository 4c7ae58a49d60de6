"""`python -m facegan.lab`: the claims as one table and their figures, or one measured run.

    python -m facegan.lab claims [--seeds 5] [--steps 2000] [--d-steps 3000] [--out docs/lab]
    python -m facegan.lab run --objective wgan-gp --distribution ring [--steps 2000] [--json out.json]
    python -m facegan.lab presets [--out checkpoints/lab]     # the runs that open trained in the tab
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from ..cli import Parser, UsageError
from ..cli import run as run_cli
from .claims import MIXTURES, claims_table, loss_vs_progress, mode_collapse, objective_runs, vanishing_gradient
from .config import LIMITS, OBJECTIVES, LabConfig, in_range
from .runs import history_run
from .saved import PRESETS, make_presets
from .targets import DISTRIBUTIONS, LabError


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m facegan.lab", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    claims = sub.add_parser("claims", help="run claims a–c, print one table, write the figures")
    claims.add_argument("--seeds", type=int, default=5, help="seeds per objective for claims b and c (default 5)")
    claims.add_argument("--steps", type=int, default=LabConfig.steps, help="generator steps per run")
    claims.add_argument("--d-steps", type=int, default=3000, help="claim a: D steps with G held fixed")
    claims.add_argument("--distribution", default="ring", choices=MIXTURES, help="claim c counts modes")
    claims.add_argument("--out", type=Path, default=Path("docs/lab"), help="folder for the figures and claims.json")
    one = sub.add_parser("run", help="train one objective and print its measurements")
    one.add_argument("--objective", default="gan", choices=tuple(OBJECTIVES))
    one.add_argument("--distribution", default="ring", choices=[d for d in DISTRIBUTIONS if d != "drawn"])
    one.add_argument("--steps", type=int, default=LabConfig.steps)
    one.add_argument("--seed", type=int, default=0)
    one.add_argument("--json", type=Path, help="also write the measurements here")
    presets = sub.add_parser("presets", help="train and save the runs that open trained in the tab")
    presets.add_argument("--out", type=Path, default=PRESETS, help=f"folder for them (default {PRESETS})")
    return p



def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "presets":
        make_presets(args.out)
        return 0
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
    if not 1 <= args.seeds <= 20 or not in_range(args.d_steps, low, high):
        raise UsageError(f"--seeds must be from 1 to 20 and --d-steps from {low} to {high:,}")
    from .view import claim_figures  # matplotlib, only here

    config = LabConfig(distribution=args.distribution, steps=args.steps)
    started = time.perf_counter()
    a = vanishing_gradient(config, d_steps=args.d_steps)
    histories = objective_runs(config, args.seeds, progress=lambda o, s: print(f"  {o} seed {s}", file=sys.stderr))
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

