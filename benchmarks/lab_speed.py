"""Lab speed: generator steps per second for each objective, how soon WGAN-GP learns the ring, and K runs
trained in one step against the same runs one after another.

    python benchmarks/lab_speed.py [--seconds 3] [--seeds 5] [--width 64 --depth 3 --batch 256] [--only-batched]
    python benchmarks/lab_speed.py --claims [--steps 2000]

With the Lab's default nets and batch (or the ones given), each objective trains for --seconds
after a warm-up, and so do two baselines in the same run: a plain eager loop (PyTorch's default
threads and optimisers, real and fake through D separately) with the same nets and batch, which
measures what the Lab's step gains; and the same plain loop with 3×128 MLPs at batch 256. Then
WGAN-GP trains on the 8-Gaussian ring from --seeds seeds until all 8 modes are covered with at
least 50% of its samples within 3σ (checked every 25 generator steps; the checks are not timed).
Then, for each objective, K = 5 runs (seeds 0–4) trained together (`BatchedRuns`) against the same five
LabRuns stepped one after another, on one thread, with the nets given and with 3×512 nets: the two take
turns in slices of --seconds / 6, and the figure is the ratio of their rounds per CPU second (process
time, so that other jobs on the machine slow both alike). The last line holds the numbers; its
`batched K=5` figure is all four objectives' rounds together, with the nets given.

--claims times the claims' runs (claim a, and claims b and c's histories) as `python -m facegan.lab claims`
runs them (each objective's seeds batched, claim a and the objectives spread over the cores) against every
run trained alone, one after another, in one process; wall-clock seconds, and CPU seconds of all the
processes (which other jobs on the machine change less).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from facegan.lab import (  # noqa: E402
    CLAIM_OBJECTIVES,
    LIMITS,
    MAX_STEPS,
    BatchedRuns,
    LabConfig,
    LabRun,
    all_claims,
    history_run,
    mlp,
    shared_settings,
    vanishing_gradient,
)

OBJECTIVES = ("gan-minimax", "gan", "wgan", "wgan-gp")


def steps_per_second(step, seconds: float, warmup: int = 20) -> float:
    for _ in range(warmup):
        step()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        step()
        done += 1
    return done / (time.perf_counter() - started)


def baseline_step(objective: str, width: int = 128, depth: int = 3, batch: int = 256):
    """One generator step of a plain eager loop (ReLU MLPs, default threads and optimisers)."""
    G, D = mlp(2, 2, width, depth), mlp(2, 1, width, depth)
    wgan, penalty = objective.startswith("wgan"), objective == "wgan-gp"
    if objective == "wgan":
        opt_g, opt_d = torch.optim.RMSprop(G.parameters(), 5e-4), torch.optim.RMSprop(D.parameters(), 5e-4)
    else:
        opt_g, opt_d = (torch.optim.Adam(net.parameters(), 1e-3, betas=(0.5, 0.9)) for net in (G, D))
    angles = torch.arange(8) * (torch.pi / 4)
    centers = torch.stack([angles.cos(), angles.sin()], 1)

    def step() -> None:
        for _ in range(5 if wgan else 1):
            real = centers[torch.randint(8, (batch,))] + 0.05 * torch.randn(batch, 2)
            fake = G(torch.randn(batch, 2)).detach()
            real_scores, fake_scores = D(real), D(fake)
            if wgan:
                loss = fake_scores.mean() - real_scores.mean()
            else:
                loss = F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()
            if penalty:
                mixed = torch.lerp(real, fake, torch.rand(batch, 1)).requires_grad_(True)
                (grad,) = torch.autograd.grad(D(mixed).sum(), mixed, create_graph=True)
                loss = loss + 0.1 * (grad.norm(dim=1) - 1).square().mean()
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()
            if objective == "wgan":
                with torch.no_grad():
                    for p in D.parameters():
                        p.clamp_(-0.01, 0.01)
        scores = D(G(torch.randn(batch, 2)))
        if wgan:
            loss = -scores.mean()
        else:
            loss = -F.softplus(scores).mean() if objective == "gan-minimax" else F.softplus(-scores).mean()
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
    return step


def one_step(run: LabRun):
    return lambda: run.advance(1)


def time_to_ring(seed: int, nets: dict, limit_s: float = 60.0) -> float | None:
    """Training seconds until WGAN-GP covers all 8 ring modes with ≥ 50% of samples within 3σ (None: not by limit_s)."""
    run = LabRun(LabConfig.for_objective("wgan-gp", distribution="ring", seed=seed, steps=20_000, **nets))
    trained = 0.0
    while trained < limit_s and not run.done:
        started = time.perf_counter()
        run.advance(25)
        trained += time.perf_counter() - started
        m = run.measure()
        if m["modes"] == 8 and m["high_quality"] >= 0.5:
            return trained
    return None


def batched_speedup(objective: str, nets: dict, seconds: float, k: int = 5) -> tuple[float, float]:
    """CPU seconds per round of k runs: trained together, and one after another (each a LabRun)."""
    configs = [LabConfig.for_objective(objective, steps=MAX_STEPS, seed=seed, **nets) for seed in range(k)]
    together, alone = BatchedRuns(configs), [LabRun(config) for config in configs]
    spent = {"together": [0.0, 0], "alone": [0.0, 0]}
    steps = {"together": together.advance, "alone": lambda n: [run.advance(n) for run in alone] and n}
    for name in steps:
        steps[name](2)  # warm-up
    for _ in range(6):  # taking turns, so that both see the machine alike
        for name, advance in steps.items():
            started = time.process_time()
            while time.process_time() - started < seconds / 6:
                spent[name][1] += advance(1)
            spent[name][0] += time.process_time() - started
    return spent["together"][0] / spent["together"][1], spent["alone"][0] / spent["alone"][1]


def batched_table(nets: dict, seconds: float) -> float:
    """Prints each objective's speed-up of K = 5 runs in one step; returns all four objectives' together."""
    together = alone = 0.0
    for objective in OBJECTIVES:
        one_step_s, after_another_s = batched_speedup(objective, nets, seconds)
        together, alone = together + one_step_s, alone + after_another_s
        print(f"  {objective:17s} {1 / one_step_s:8.1f} {1 / after_another_s:12.1f}  "
              f"× {after_another_s / one_step_s:.2f}")
    return alone / together


def widened(nets: dict) -> None:
    """Lets the engine take nets wider than the tab offers (the 3×512 line)."""
    for key in ("g_width", "d_width"):
        LIMITS[key] = (LIMITS[key][0], max(LIMITS[key][1], nets[key]))


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def claims_speedup(steps: int) -> None:
    """Wall-clock and CPU seconds of the claims with every run alone in turn, and as the command line runs
    them (each objective's seeds batched, claim a and the objectives spread over the cores)."""
    config = LabConfig(distribution="ring", steps=steps)

    def alone() -> tuple[dict, dict]:
        return vanishing_gradient(config, d_steps=3000), {
            o: [history_run(LabConfig.for_objective(o, **{**shared_settings(config), "seed": seed}),
                            max(1, steps // 40))[1] for seed in range(5)] for o in CLAIM_OBJECTIVES}

    spent, histories = {}, {}
    for name, runs in (("one run after another", alone),
                       ("batched", lambda: all_claims(config, 5, 3000, workers=os.cpu_count() or 1))):
        wall, cpu = time.perf_counter(), cpu_seconds()
        histories[name] = runs()
        spent[name] = time.perf_counter() - wall, cpu_seconds() - cpu
    (old_a, old), (new_a, new) = histories.values()
    assert old_a == new_a
    assert all(len(new[o]) == len(old[o]) == 5 and new[o][0][-1].keys() == old[o][0][-1].keys() for o in old)
    (old_wall, old_cpu), (new_wall, new_cpu) = spent.values()
    print(f"claims, ring, {steps:,} steps, 5 seeds, {os.cpu_count()} cores: one run after another {old_wall:.0f} s "
          f"({old_cpu:.0f} CPU s), batched {new_wall:.0f} s ({new_cpu:.0f} CPU s): × {old_wall / new_wall:.1f} "
          f"wall-clock, × {old_cpu / new_cpu:.1f} CPU time")


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def measured(args: argparse.Namespace, nets: dict) -> str:
    """The objectives' generator steps per second beside the plain loops, and WGAN-GP's time to the ring."""
    ours = {}
    print(f"  {'generator steps/s':17s} {'the Lab':>8s} {'plain loop, same nets':>22s} {'plain loop, 3×128':>18s}")
    for objective in OBJECTIVES:
        ours[objective] = steps_per_second(one_step(LabRun(LabConfig.for_objective(objective, steps=MAX_STEPS,
                                                                                    **nets))), args.seconds)
        same = steps_per_second(baseline_step(objective, args.width, args.depth, args.batch), args.seconds)
        reference = steps_per_second(baseline_step(objective), args.seconds)
        print(f"  {objective:17s} {ours[objective]:8.0f} {same:14.0f} (× {ours[objective] / same:4.2f}) "
              f"{reference:10.0f} (× {ours[objective] / reference:5.2f})")

    times = [time_to_ring(seed, nets) for seed in range(args.seeds)]
    missed = sum(t is None for t in times)
    median = statistics.median(times) if not missed else None
    print("  WGAN-GP on the ring, seconds to 8/8 modes and ≥ 50% within 3σ: "
          + ", ".join("–" if t is None else f"{t:.1f}" for t in times))
    ring = f"{median:.1f} s" if median is not None else f"not reached by {missed} seed(s)"
    return ("  ".join(f"{o} {ours[o]:.0f}" for o in OBJECTIVES)
            + f" generator steps/s; WGAN-GP ring in {ring} (median of {args.seeds} seeds)")


def main() -> None:
    defaults = LabConfig()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds per objective")
    p.add_argument("--seeds", type=int, default=5, help="WGAN-GP seeds on the ring")
    p.add_argument("--width", type=int, default=defaults.g_width)
    p.add_argument("--depth", type=int, default=defaults.g_depth)
    p.add_argument("--batch", type=int, default=defaults.batch)
    p.add_argument("--only-batched", action="store_true", help="only the K = 5 runs in one step")
    p.add_argument("--claims", action="store_true", help="time the claims command instead")
    p.add_argument("--steps", type=int, default=defaults.steps, help="--claims: generator steps per run")
    args = p.parse_args()
    if args.claims:
        return claims_speedup(args.steps)
    nets = dict(g_width=args.width, d_width=args.width, g_depth=args.depth, d_depth=args.depth, batch=args.batch)
    print(f"{cpu_name()}, {torch.get_num_threads()} threads; nets {args.depth}×{args.width}, batch {args.batch}")
    figures = ""
    if not args.only_batched:
        figures = measured(args, nets) + "; "
    print(f"  K = 5 runs, rounds per CPU second: {'':5s} {'one step':>8s} {'one by one':>12s}")
    print(f"  nets {args.depth}×{args.width}:")
    speedup = batched_table(nets, args.seconds)
    wide = {**nets, "g_width": 512, "d_width": 512, "g_depth": 3, "d_depth": 3}
    widened(wide)
    print("  nets 3×512:")
    wide_speedup = batched_table(wide, args.seconds)
    print("lab_speed: " + figures + f"batched K=5 {speedup:.1f}× (3×512: {wide_speedup:.1f}×)")


if __name__ == "__main__":
    main()
