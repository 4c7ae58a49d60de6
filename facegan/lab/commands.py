"""`python -m facegan.lab`: the claims as one table and their figures, or one measured run.

    python -m facegan.lab claims [--seeds 5] [--steps 2000] [--d-steps 3000] [--workers N] [--out docs/lab]
    python -m facegan.lab run --objective wgan-gp --distribution ring [--steps 2000] [--json out.json]
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
from .claims import MIXTURES, claims_table, loss_vs_progress, mode_collapse, objective_runs, vanishing_gradient
from .config import MAX_STEPS, OBJECTIVES, LabConfig
from .runs import history_run
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
                        help="processes for claims b and c, one objective each (default: one per core)")
    claims.add_argument("--out", type=Path, default=Path("docs/lab"), help="folder for the figures and claims.json")
    one = sub.add_parser("run", help="train one objective and print its measurements")
    one.add_argument("--objective", default="gan", choices=tuple(OBJECTIVES))
    one.add_argument("--distribution", default="ring", choices=[d for d in DISTRIBUTIONS if d != "drawn"])
    one.add_argument("--steps", type=int, default=LabConfig.steps)
    one.add_argument("--seed", type=int, default=0)
    one.add_argument("--json", type=Path, help="also write the measurements here")
    return p



def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 1 <= args.steps <= MAX_STEPS:
        raise UsageError(f"--steps must be from 1 to {MAX_STEPS:,}")
    if args.command == "run":
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
    if not 1 <= args.seeds <= 20 or not 1 <= args.d_steps <= MAX_STEPS or not 1 <= args.workers <= 64:
        raise UsageError(f"--seeds must be from 1 to 20, --d-steps from 1 to {MAX_STEPS:,} and --workers from 1 to 64")
    from .view import claim_figures  # matplotlib, only here

    config = LabConfig(distribution=args.distribution, steps=args.steps)
    started = time.perf_counter()
    a = vanishing_gradient(config, d_steps=args.d_steps)
    histories = objective_runs(config, args.seeds, workers=args.workers,
                               progress=lambda o: print(f"  {o}: {args.seeds} seeds done", file=sys.stderr))
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

