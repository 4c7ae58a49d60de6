"""Lab speed: generator steps per second for each objective, and how soon WGAN-GP learns the ring.

    python benchmarks/lab_speed.py [--seconds 3] [--seeds 5] [--width 64 --depth 3 --batch 256]

With the Lab's default nets and batch (or the ones given), each objective trains for --seconds
after a warm-up, and so do two baselines in the same run: a plain eager loop (PyTorch's default
threads and optimisers, real and fake through D separately) with the same nets and batch, which
measures what the Lab's step gains; and the same plain loop with 3×128 MLPs at batch 256. Then
WGAN-GP trains on the 8-Gaussian ring from --seeds seeds until all 8 modes are covered with at
least 50% of its samples within 3σ (checked every 25 generator steps; the checks are not timed).
The last line holds the numbers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from facegan.lab import MAX_STEPS, LabConfig, LabRun, mlp  # noqa: E402

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


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def main() -> None:
    defaults = LabConfig()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds per objective")
    p.add_argument("--seeds", type=int, default=5, help="WGAN-GP seeds on the ring")
    p.add_argument("--width", type=int, default=defaults.g_width)
    p.add_argument("--depth", type=int, default=defaults.g_depth)
    p.add_argument("--batch", type=int, default=defaults.batch)
    args = p.parse_args()
    nets = dict(g_width=args.width, d_width=args.width, g_depth=args.depth, d_depth=args.depth, batch=args.batch)
    print(f"{cpu_name()}, {torch.get_num_threads()} threads; nets {args.depth}×{args.width}, batch {args.batch}")

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
    print("lab_speed: " + "  ".join(f"{o} {ours[o]:.0f}" for o in OBJECTIVES)
          + f" generator steps/s; WGAN-GP ring in {ring} (median of {args.seeds} seeds)")


if __name__ == "__main__":
    main()
