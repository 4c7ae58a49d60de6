"""The Lab's data: seeded samplers of 2-D points, the mixtures among them knowing their modes."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

DISTRIBUTIONS = ("ring", "grid", "gaussian", "moons", "spiral", "swissroll", "drawn")
# The published benchmarks' data, in their papers' own units (beyond the tab's view): the benchmark suites'.
BENCH_DISTRIBUTIONS = ("pacgan-ring", "pacgan-grid", "unrolled-ring", "notebook-ring", "toy-8gaussians",
                       "toy-25gaussians", "toy-swissroll")
# PacGAN's and WGAN-GP's fixed training sets: 100,000 points drawn anew for every run (their code seeds nothing),
# here from FIXED_SET_SEED + the run's seed
FIXED_SET, FIXED_SET_SEED = 100_000, 2**41
VIEW = 1.5  # the picture shows [-VIEW, VIEW]²; the preset distributions' modes and curves lie within [-1.1, 1.1]²
MAX_DRAWN_POINTS = 10_000


class LabError(ValueError):
    """Settings the Lab cannot run: the message says which and why, in one line."""



@dataclass(frozen=True)
class Target:
    """A seeded sampler of 2-D points; mixtures also know their modes (centres and σ)."""

    name: str
    sample: Callable[[int, torch.Generator], torch.Tensor]
    centers: torch.Tensor | None = None
    sigma: float = 0.0
    training_set: torch.Tensor | None = None  # the fixed set batches are drawn from, where there is one


def _mixture(name: str, centers: torch.Tensor, sigma: float) -> Target:
    def sample(n: int, gen: torch.Generator) -> torch.Tensor:
        picks = torch.randint(len(centers), (n,), generator=gen)
        return centers[picks] + sigma * torch.randn(n, 2, generator=gen)
    return Target(name, sample, centers, sigma)


def _curve(name: str, point: Callable[[torch.Tensor, torch.Generator], torch.Tensor], noise: float) -> Target:
    """Points at uniform parameters u ∈ [0, 1) along a curve, plus Gaussian noise."""
    def sample(n: int, gen: torch.Generator) -> torch.Tensor:
        return point(torch.rand(n, generator=gen), gen) + noise * torch.randn(n, 2, generator=gen)
    return Target(name, sample)


def _moons(u: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    upper = torch.rand(len(u), generator=gen) < 0.5
    angle = math.pi * u
    x = torch.where(upper, torch.cos(angle), 1 - torch.cos(angle))
    y = torch.where(upper, torch.sin(angle), 0.5 - torch.sin(angle))
    return torch.stack([(x - 0.5) / 1.4, (y - 0.25) / 1.4], 1)


def _spiral(u: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    radius, angle = 0.1 + 0.9 * u, 3.5 * math.pi * u
    return torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], 1)


def _roll(u: torch.Tensor) -> torch.Tensor:
    """scikit-learn's 2-D Swiss roll: t = 1.5π(1 + 2u), t·(cos t, sin t)."""
    t = 1.5 * math.pi * (1 + 2 * u)
    return torch.stack([t * torch.cos(t), t * torch.sin(t)], 1)


def _swissroll(u: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """The Swiss roll scaled into the unit square."""
    return _roll(u) / 14.2


def _ring(radius: float = 1.0) -> torch.Tensor:
    angles = torch.arange(8) * (2 * math.pi / 8)
    return radius * torch.stack([torch.cos(angles), torch.sin(angles)], 1)


def _notebook_ring() -> Target:
    """The Unrolled GAN notebook's `sample_mog`: 8 components at r·(sin θ, cos θ), θ = linspace(0, 2π, 8), σ 0.01,
    radius 1. Its first and last angles are the same place, so the data has 7 modes, the one at (0, 1) twice as
    heavy as the others; the modes counted are those 7."""
    angles = torch.linspace(0, 2 * math.pi, 8, dtype=torch.float64)
    components = torch.stack([torch.sin(angles), torch.cos(angles)], 1).float()
    mixture = _mixture("notebook-ring", components, 0.01)
    return Target(mixture.name, mixture.sample, components[:7], mixture.sigma)


def _fixed(target: Target, seed: int, balanced: bool = False) -> Target:
    """Batches drawn uniformly from one training set of FIXED_SET points, the run's own (as in PacGAN's and
    WGAN-GP's code, which walk through it in shuffled order): drawn from the mixture, or with balanced, exactly
    FIXED_SET / K points around each of its K modes (gan_toy.py's 25 Gaussians)."""
    gen = torch.Generator().manual_seed(FIXED_SET_SEED + seed)
    if balanced:
        points = target.centers.repeat(FIXED_SET // len(target.centers), 1)
        points = points + target.sigma * torch.randn(points.shape, generator=gen)
    else:
        points = target.sample(FIXED_SET, gen)

    def sample(n: int, gen: torch.Generator) -> torch.Tensor:
        return points[torch.randint(FIXED_SET, (n,), generator=gen)]
    return Target(target.name, sample, target.centers, target.sigma, points)


def _toy_swissroll(u: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """WGAN-GP's toy Swiss roll: scikit-learn's make_swiss_roll(noise=0.25), columns x and z, divided by 7.5
    (the noise is added here before dividing, as there)."""
    return (_roll(u) + 0.25 * torch.randn(len(u), 2, generator=gen)) / 7.5


def _points(strokes) -> list[list[tuple[float, float]]]:
    """The strokes as lists of finite (x, y) pairs, or a LabError saying what is wrong with them."""
    if not isinstance(strokes, (list, tuple)) or not all(isinstance(s, (list, tuple)) and s for s in strokes):
        raise LabError("strokes must be a list of polylines, each a non-empty list of [x, y] points")
    points = [[tuple(p) for p in stroke] for stroke in strokes]
    if sum(len(stroke) for stroke in points) > MAX_DRAWN_POINTS:
        raise LabError(f"a drawing has at most {MAX_DRAWN_POINTS:,} points")
    for p in (p for stroke in points for p in stroke):
        if len(p) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                  for v in p):
            raise LabError(f"every point of a stroke must be two finite numbers [x, y], not {list(p)!r}")
    return points


def _drawn(strokes: Sequence[Sequence[Sequence[float]]]) -> Target:
    """Points spread evenly along hand-drawn strokes (polylines in the picture's coordinates)."""
    points = _points(strokes)
    segments = [(a, b) for stroke in points for a, b in zip(stroke[:-1], stroke[1:], strict=True)]
    segments += [(p, p) for stroke in points if len(stroke) == 1 for p in stroke]  # a single click: a dot
    if not segments:
        raise LabError("the drawing is empty: draw at least one stroke first")
    starts = torch.tensor([a for a, _ in segments], dtype=torch.float32).clamp(-VIEW, VIEW)
    ends = torch.tensor([b for _, b in segments], dtype=torch.float32).clamp(-VIEW, VIEW)
    weights = (ends - starts).norm(dim=1) + 1e-3  # by length; a dot still gets its share

    def sample(n: int, gen: torch.Generator) -> torch.Tensor:
        picks = torch.multinomial(weights, n, replacement=True, generator=gen)
        along = torch.rand(n, 1, generator=gen)
        return torch.lerp(starts[picks], ends[picks], along) + 0.02 * torch.randn(n, 2, generator=gen)
    return Target("drawn", sample)


def target(name: str, strokes: Sequence = (), seed: int = 0) -> Target:
    """The distribution called name; "drawn" samples along strokes; a fixed training set is the one of seed."""
    grid, wide = torch.linspace(-1, 1, 5), torch.linspace(-4, 4, 5)
    makers = {
        "ring": lambda: _mixture("ring", _ring(), 0.05),
        "grid": lambda: _mixture("grid", torch.cartesian_prod(grid, grid), 0.03),
        "gaussian": lambda: _mixture("gaussian", torch.zeros(1, 2), 0.3),
        "moons": lambda: _curve("moons", _moons, 0.04),
        "spiral": lambda: _curve("spiral", _spiral, 0.02),
        "swissroll": lambda: _curve("swissroll", _swissroll, 0.02),
        "drawn": lambda: _drawn(strokes),
        # PacGAN (Lin et al. 2018): fjxmlzn/PacGAN's 2DRing and 2DGrid configs
        "pacgan-ring": lambda: _fixed(_mixture("pacgan-ring", _ring(), 0.01), seed),
        "pacgan-grid": lambda: _fixed(_mixture("pacgan-grid", torch.cartesian_prod(wide, wide), 0.05), seed),
        # Unrolled GAN (Metz et al. 2017): the paper's radius 2, σ 0.02, the modes at 2πi/8; the notebook's ring
        "unrolled-ring": lambda: _mixture("unrolled-ring", _ring(2.0), 0.02),
        "notebook-ring": _notebook_ring,
        # WGAN-GP's gan_toy.py: 8 Gaussians (scale 2, σ 0.02) / 1.414; 25 Gaussians (2·{−2…2}², σ 0.05) / 2.828
        "toy-8gaussians": lambda: _mixture("toy-8gaussians", _ring(2.0) / 1.414, 0.02 / 1.414),
        "toy-25gaussians": lambda: _fixed(_mixture("toy-25gaussians", torch.cartesian_prod(wide, wide) / 2.828,
                                                   0.05 / 2.828), seed, balanced=True),
        "toy-swissroll": lambda: Target("toy-swissroll", lambda n, gen: _toy_swissroll(torch.rand(n, generator=gen),
                                                                                       gen)),
    }
    if name not in makers:
        raise LabError(f"unknown distribution {name!r}: choose one of {', '.join(DISTRIBUTIONS)}")
    return makers[name]()
