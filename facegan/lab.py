"""The Lab: GANs on 2-D points, where the original GAN's three failures and WGAN's fixes show in seconds.

A generator maps 2-D noise to 2-D points and a discriminator (or critic) scores points, both small
MLPs, trained with the same losses as the face models (`facegan.losses`). On 2-D data everything
the tutorial claims can be measured exactly: the Wasserstein-1 distance between generated and real
points (optimal transport, POT), how many modes of a mixture the generator covers, and how
large the generator's gradient is. The three claims are experiments here:

    a  vanishing_gradient  a discriminator trained towards optimal leaves the minimax generator no gradient
    b  loss_vs_progress    the GAN's losses say nothing about sample quality; the critic's estimate does
    c  mode_collapse       how many modes each objective covers, over seeds

    python -m facegan.lab claims [--seeds 5] [--steps 2000] [--d-steps 3000] [--out docs/lab]
    python -m facegan.lab run --objective wgan-gp --distribution ring [--steps 2000] [--json out.json]

No Gradio here: `facegan.ui.lab` shows what this module computes, `facegan.labview` draws it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import ot
import torch
import torch.nn.functional as F
from scipy.spatial.distance import cdist
from torch import nn

from .cli import Parser, UsageError
from .cli import run as run_cli
from .losses import clip_weights, discriminator_loss, generator_loss, gradient_penalty

DISTRIBUTIONS = ("ring", "grid", "gaussian", "moons", "spiral", "swissroll", "drawn")
NOISES = ("gaussian", "uniform")
OPTIMIZERS = ("adam", "rmsprop", "sgd")
VIEW = 1.5  # the picture shows [-VIEW, VIEW]²; the preset distributions' modes and curves lie within [-1.1, 1.1]²
COVERED_SHARE = 0.25  # a mode is covered when it holds ≥ 25% of its fair share of samples within 3σ
EVAL_POINTS = 512  # fixed real points and fixed noise that every measurement uses
EVAL_SEED_OFFSET = 2**40  # the evaluation points' random stream, apart from every run's training stream
MAX_STEPS, MAX_DRAWN_POINTS = 20_000, 10_000
# Every numeric setting's range (whole numbers where the ends are ints): the engine's check and the tab's
# messages both read it. The caps keep one step on 2 CPU cores well under a second.
LIMITS = {"g_width": (1, 256), "g_depth": (1, 6), "d_width": (1, 256), "d_depth": (1, 6), "d_steps": (1, 20),
          "batch": (2, 2048), "steps": (1, MAX_STEPS), "seed": (0, 2**32 - 1), "lr_g": (1e-6, 10.0),
          "lr_d": (1e-6, 10.0), "beta1": (0.0, 0.999), "beta2": (0.0, 0.9999), "clip": (1e-4, 10.0),
          "gp_lambda": (0.0, 1000.0)}


class LabError(ValueError):
    """Settings the Lab cannot run: the message says which and why, in one line."""


# --- target distributions -------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A seeded sampler of 2-D points; mixtures also know their modes (centres and σ)."""

    name: str
    sample: Callable[[int, torch.Generator], torch.Tensor]
    centers: torch.Tensor | None = None
    sigma: float = 0.0


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


def _swissroll(u: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """scikit-learn's 2-D Swiss roll (t = 1.5π(1 + 2u), t·(cos t, sin t)), scaled into the unit square."""
    t = 1.5 * math.pi * (1 + 2 * u)
    return torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / 14.2


def _ring() -> torch.Tensor:
    angles = torch.arange(8) * (2 * math.pi / 8)
    return torch.stack([torch.cos(angles), torch.sin(angles)], 1)


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


def target(name: str, strokes: Sequence = ()) -> Target:
    """The distribution called name; "drawn" samples along strokes."""
    grid = torch.linspace(-1, 1, 5)
    makers = {
        "ring": lambda: _mixture("ring", _ring(), 0.05),
        "grid": lambda: _mixture("grid", torch.cartesian_prod(grid, grid), 0.03),
        "gaussian": lambda: _mixture("gaussian", torch.zeros(1, 2), 0.3),
        "moons": lambda: _curve("moons", _moons, 0.04),
        "spiral": lambda: _curve("spiral", _spiral, 0.02),
        "swissroll": lambda: _curve("swissroll", _swissroll, 0.02),
        "drawn": lambda: _drawn(strokes),
    }
    if name not in makers:
        raise LabError(f"unknown distribution {name!r}: choose one of {', '.join(DISTRIBUTIONS)}")
    return makers[name]()


# --- measurements ----------------------------------------------------------------------------------
def wasserstein1(a: np.ndarray, b: np.ndarray) -> float:
    """The exact W1 between two equal-size point sets, uniform weights: POT's network simplex (`ot.emd2`).

    (An assignment solver gives the same number, since optimal transport between equal-size uniform sets
    is a matching, but took 4× longer on a collapsed generator's clustered points.)
    """
    if len(a) != len(b):
        raise ValueError("wasserstein1 needs two point sets of the same size")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")  # a diverged generator: no distance to speak of
    return float(ot.emd2([], [], cdist(a, b)))


def mode_coverage(points: np.ndarray, centers: np.ndarray, sigma: float) -> tuple[int, float]:
    """(modes covered, high-quality share) as in the Unrolled GAN, VEEGAN and PacGAN papers.

    A sample is high quality when it lies within 3σ of some mode; a mode is covered when at least
    COVERED_SHARE of its fair share (N/K) of samples lies within 3σ of it.
    """
    distance = cdist(points, centers)
    nearest = distance.argmin(1)
    good = distance[np.arange(len(points)), nearest] < 3 * sigma
    counts = np.bincount(nearest[good], minlength=len(centers))
    return int((counts >= COVERED_SHARE * len(points) / len(centers)).sum()), float(good.mean())


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's r; nan when either series is constant."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


# --- settings --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Objective:
    """What an objective is: its losses (a `facegan.losses` mode), its Lipschitz constraint, its recipe."""

    loss: str  # "dcgan" (sigmoid + BCE) or "wgan" (critic scores)
    saturating: bool = False  # the generator minimises log(1 − D(G(z))), the original minimax game
    clip: bool = False
    penalty: bool = False
    recipe: dict = field(default_factory=dict)


# Each objective's optimiser and critic steps as in the face recipes (facegan.training.MODE_DEFAULTS), with
# learning rates of 1e-3 (RMSprop: 5e-4), with which 2-D points train in seconds; WGAN-GP's Adam betas are
# Gulrajani et al.'s for their 2-D experiments. Everything that is no part of an objective (data, nets, noise,
# batch, steps, seed) is the same for all.
OBJECTIVES = {
    "gan-minimax": Objective("dcgan", saturating=True,
                             recipe=dict(optimizer="adam", lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999, d_steps=1)),
    "gan": Objective("dcgan", recipe=dict(optimizer="adam", lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999, d_steps=1)),
    "wgan": Objective("wgan", clip=True,
                      recipe=dict(optimizer="rmsprop", lr_g=5e-4, lr_d=5e-4, beta1=0.0, beta2=0.0, d_steps=5)),
    "wgan-gp": Objective("wgan", penalty=True,
                         recipe=dict(optimizer="adam", lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.9, d_steps=5)),
}


@dataclass(frozen=True)
class LabConfig:
    distribution: str = "ring"
    objective: str = "gan"
    noise: str = "gaussian"
    g_width: int = 64
    g_depth: int = 3  # hidden layers
    d_width: int = 64
    d_depth: int = 3
    optimizer: str = "adam"  # both nets' optimiser
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    beta1: float = 0.5  # Adam's betas; unused by RMSprop and SGD
    beta2: float = 0.999
    d_steps: int = 1  # discriminator/critic steps per generator step
    clip: float = 0.01  # wgan: critic weights in [-clip, clip]
    gp_lambda: float = 0.1  # wgan-gp: penalty weight (Gulrajani et al.'s 2-D experiments; 10 for images)
    batch: int = 256
    steps: int = 2000  # generator steps
    seed: int = 0
    strokes: tuple = ()  # the drawn distribution: polylines of (x, y) in [-VIEW, VIEW]

    @classmethod
    def for_objective(cls, objective: str = "gan", **overrides) -> LabConfig:
        """The objective's recipe, with any non-None override on top."""
        if objective not in OBJECTIVES:
            raise LabError(f"unknown objective {objective!r}: choose one of {', '.join(OBJECTIVES)}")
        values = {**OBJECTIVES[objective].recipe, **{k: v for k, v in overrides.items() if v is not None}}
        return cls(objective=objective, **values)

    def check(self) -> LabConfig:
        """Every setting in range, or one LabError naming it."""
        for name, choices in (("distribution", DISTRIBUTIONS), ("objective", tuple(OBJECTIVES)), ("noise", NOISES),
                              ("optimizer", OPTIMIZERS)):
            if getattr(self, name) not in choices:
                raise LabError(f"unknown {name} {getattr(self, name)!r}: choose one of {', '.join(choices)}")
        for name, (low, high) in LIMITS.items():
            if not in_range(getattr(self, name), low, high):
                kind = "a whole number" if isinstance(low, int) else "a number"
                raise LabError(f"{name} must be {kind} from {low:g} to {high:g}, not {getattr(self, name)!r}")
        target(self.distribution, self.strokes)  # an empty or malformed drawing is refused here
        return self


def in_range(value, low: float, high: float) -> bool:
    """value is a finite number in [low, high], and a whole one where low is an int."""
    kinds = (int,) if isinstance(low, int) else (int, float)
    return (isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
            and low <= value <= high)


def shared_settings(config: LabConfig) -> dict:
    """The settings that are no part of an objective: data, nets, noise, batch, steps, seed."""
    return {k: getattr(config, k) for k in ("distribution", "noise", "g_width", "g_depth", "d_width", "d_depth",
                                            "batch", "steps", "seed", "strokes")}


# --- the run ---------------------------------------------------------------------------------------
class MLP(nn.Module):
    """Linear layers with ReLU between them. Its forward calls the functions directly: on these small nets,
    Python's per-module call cost is a measurable part of a step."""

    def __init__(self, inputs: int, outputs: int, width: int, depth: int) -> None:
        super().__init__()
        sizes = [inputs] + [width] * depth + [outputs]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        *hidden, last = self.layers
        for layer in hidden:
            x = torch.relu(F.linear(x, layer.weight, layer.bias))
        return F.linear(x, last.weight, last.bias)


def mlp(inputs: int, outputs: int, width: int, depth: int) -> MLP:
    return MLP(inputs, outputs, width, depth)


@torch.no_grad()
def seeded_init(net: nn.Module, gen: torch.Generator) -> nn.Module:
    """PyTorch's default Linear init (U(±1/√fan_in)) drawn from gen, not the process-wide RNG,
    so two runs in two threads never share a random stream."""
    for layer in net.modules():
        if isinstance(layer, nn.Linear):
            bound = 1 / math.sqrt(layer.in_features)
            layer.weight.uniform_(-bound, bound, generator=gen)
            layer.bias.uniform_(-bound, bound, generator=gen)
    return net


def make_optimizer(params, config: LabConfig, lr: float) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(config.beta1, config.beta2), fused=True)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=True)
    return torch.optim.SGD(params, lr=lr, fused=True)


THREADS = torch.get_num_threads()  # the process's own setting, put back after every Lab step


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Train on one core: these nets are too small for a second thread to pay (two cost 2–30× when the other
    core was busy), and the other core stays free for the studio's face tabs. torch applies the setting to the
    calling thread and to threads started meanwhile, so the process's own count is put back at the end."""
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(THREADS)


def total_norm(tensors: Sequence[torch.Tensor]) -> float:
    """‖(t₁, t₂, …)‖₂ over all the tensors' elements."""
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in tensors])).item()


HEAT, MESH = 64, 13  # the heat map's grid, and the noise grid drawn as a mesh


@dataclass
class Snapshot:
    """What a run looks like at one moment: the measurements, and the arrays a picture is drawn from."""

    metrics: dict
    real: np.ndarray  # EVAL_POINTS × 2
    fake: np.ndarray  # G of the fixed noise
    push: np.ndarray  # −∇ₓ of the generator's loss at each fake point: where G is pushed
    heat: np.ndarray  # D on a HEAT×HEAT grid over the view (probability for GAN, critic score for WGAN)
    mesh: np.ndarray  # MESH×MESH×2: a grid of noise values through G
    probability: bool  # heat holds probabilities (GAN) or critic scores (WGAN)


class LabRun:
    """One training run, stepped by hand (`d_step`, `g_step`) or by `advance`; deterministic for a seed on the CPU."""

    def __init__(self, config: LabConfig) -> None:
        self.config = config.check()
        self.objective = OBJECTIVES[config.objective]
        self.target = target(config.distribution, config.strokes)
        gen = self.gen = torch.Generator().manual_seed(config.seed)
        self.G = seeded_init(mlp(2, 2, config.g_width, config.g_depth), gen)
        self.D = seeded_init(mlp(2, 1, config.d_width, config.d_depth), gen)
        self.g_params = list(self.G.parameters())
        self.opt_g = make_optimizer(self.g_params, config, config.lr_g)
        self.opt_d = make_optimizer(self.D.parameters(), config, config.lr_d)
        # Fixed evaluation points, from their own stream so that measuring never changes training.
        eval_gen = torch.Generator().manual_seed(config.seed + EVAL_SEED_OFFSET)
        self.real_eval = self.target.sample(EVAL_POINTS, eval_gen)
        self.z_eval = self.noise(EVAL_POINTS, eval_gen)
        self.step = self.d_updates = 0  # generator steps, discriminator steps
        self.loss_d = self.loss_g = float("nan")  # of the last training batch

    def noise(self, n: int, gen: torch.Generator | None = None) -> torch.Tensor:
        gen = gen or self.gen
        if self.config.noise == "uniform":
            return torch.rand(n, 2, generator=gen) * 2 - 1
        return torch.randn(n, 2, generator=gen)

    def d_step(self) -> None:
        """One discriminator/critic update on a fresh real batch and fresh fakes (GAN Lab's step by step)."""
        with one_thread():
            self._d_step()

    def g_step(self) -> None:
        """One generator update on fresh noise, through the discriminator as it stands."""
        with one_thread():
            self._g_step()

    def advance(self, steps: int, until: float | None = None) -> int:
        """Up to `steps` rounds of d_steps discriminator updates and one generator update, stopping at the
        run's steps, at time.monotonic() `until`, or when the run diverges. Returns the rounds done."""
        done = 0
        with one_thread():
            while done < steps and not self.done and not self.diverged:
                if until is not None and time.monotonic() >= until:
                    break
                for _ in range(self.config.d_steps):
                    self._d_step()
                self._g_step()
                done += 1
        return done

    def _d_step(self) -> None:
        c, o, n = self.config, self.objective, self.config.batch
        real = self.target.sample(n, self.gen)
        with torch.no_grad():
            fake = self.G(self.noise(n))
        scores = self.D(torch.cat([real, fake]))
        loss = discriminator_loss(o.loss, scores[:n], scores[n:])
        if o.penalty:
            alpha = torch.rand(n, 1, generator=self.gen)
            loss = loss + c.gp_lambda * gradient_penalty(self.D, real, fake, alpha)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        if o.clip:
            clip_weights(self.D, c.clip)
        self.loss_d, self.d_updates = loss.item(), self.d_updates + 1

    def _g_step(self) -> None:
        loss = generator_loss(self.objective.loss, self.D(self.G(self.noise(self.config.batch))),
                              self.objective.saturating)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward(inputs=self.g_params)  # through D, but no gradients for D's own weights
        self.opt_g.step()
        self.loss_g, self.step = loss.item(), self.step + 1

    @property
    def done(self) -> bool:
        return self.step >= self.config.steps

    @property
    def diverged(self) -> bool:
        """A loss went to inf or NaN (a learning rate too large, say): training cannot go on."""
        return not (math.isfinite(self.loss_d) or self.d_updates == 0) or not (
            math.isfinite(self.loss_g) or self.step == 0)

    def measure(self) -> dict:
        """The numbers, on the fixed evaluation points."""
        with one_thread():
            metrics, fake, _ = self._observe()
        return {**metrics, **self._distances(fake)}

    def gradients(self) -> dict:
        """The numbers without the distances to the data (W1 and modes, most of a measurement's cost):
        the losses, the estimate, ‖∇θ G‖ and D's accuracy."""
        with one_thread():
            return self._observe()[0]

    def snapshot(self) -> Snapshot:
        """The numbers and the arrays a picture of this moment is drawn from."""
        with one_thread():
            metrics, fake, push = self._observe()
            with torch.no_grad():
                axis = torch.linspace(-VIEW, VIEW, HEAT)
                ys, xs = torch.meshgrid(-axis, axis, indexing="ij")  # row 0 at the top of the picture
                heat = self.D(torch.stack([xs.flatten(), ys.flatten()], 1)).view(HEAT, HEAT)
                heat = torch.sigmoid(heat) if self.objective.loss == "dcgan" else heat
                spread = 1.0 if self.config.noise == "uniform" else 2.0  # uniform noise spans ±1, Gaussian ±2σ
                u = torch.linspace(-spread, spread, MESH)
                mesh = self.G(torch.cartesian_prod(u, u)).view(MESH, MESH, 2)
        return Snapshot({**metrics, **self._distances(fake)}, self.real_eval.numpy(), fake, push, heat.numpy(),
                        mesh.numpy(), self.objective.loss == "dcgan")

    def _observe(self) -> tuple[dict, np.ndarray, np.ndarray]:
        """The numbers but the distances, the generated points, and −∇ₓ of the generator's loss at each."""
        o = self.objective
        fake = self.G(self.z_eval)
        fake_points = fake.detach().requires_grad_(True)
        fake_scores = self.D(fake_points)
        loss_g = generator_loss(o.loss, fake_scores, o.saturating)
        # One backward gives both: ‖∇θ G‖ of the loss, and −∇ₓ per point (the mean's gradient × N).
        (point_grads,) = torch.autograd.grad(loss_g, fake_points)
        grad_g = total_norm(torch.autograd.grad(fake, list(self.G.parameters()), point_grads))
        with torch.no_grad():
            real_scores = self.D(self.real_eval)
            loss_d = discriminator_loss(o.loss, real_scores, fake_scores).item()
            estimate = (real_scores.mean() - fake_scores.mean()).item()
            accuracy = ((real_scores > 0).float().mean() + (fake_scores < 0).float().mean()).item() / 2
        fake_np = fake.detach().numpy()
        metrics = {"step": self.step, "d_updates": self.d_updates, "loss_d": loss_d, "loss_g": loss_g.item(),
                   "estimate": estimate, "grad_g": grad_g, "accuracy": accuracy}
        return metrics, fake_np, -point_grads.numpy() * len(fake_np)

    def _distances(self, fake: np.ndarray) -> dict:
        """The generated points' exact W1 to the real ones and, for a mixture, modes covered and the 3σ share."""
        out = {"w1": wasserstein1(fake, self.real_eval.numpy()), "modes": None, "modes_total": None,
               "high_quality": None}
        if self.target.centers is not None:
            modes, quality = mode_coverage(fake, self.target.centers.numpy(), self.target.sigma)
            out.update(modes=modes, modes_total=len(self.target.centers), high_quality=quality)
        return out


def history_run(config: LabConfig, every: int, until: float | None = None) -> tuple[LabRun, list[dict]]:
    """A whole run, measured every `every` generator steps (and at 0): the run and its measurements.
    It ends early at time.monotonic() `until`, or when it diverges."""
    run = LabRun(config)
    history = [run.measure()]
    while not run.done and not run.diverged and (until is None or time.monotonic() < until):
        run.advance(every, until)
        history.append(run.measure())
    return run, history


# --- the three claims ------------------------------------------------------------------------------
def vanishing_gradient(config: LabConfig | None = None, d_steps: int = 3000, every: int = 100,
                       until: float | None = None) -> dict:
    """Claim a (Arjovsky & Bottou 2017, fig. 2): hold G fixed and train D towards optimal.

    The same D gives the saturating and the non-saturating generator gradient; a critic trained
    with the gradient penalty on the same data gives the Wasserstein one. Each is ‖∇θ G‖ of that
    generator loss on the fixed noise, recorded against D steps beside D's accuracy. Ends early at
    time.monotonic() `until`.
    """
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
        if last:
            return out
        gan.d_step()
        critic.d_step()
    return out


def _saturating_grad_norm(run: LabRun) -> float:
    """‖∇θ G‖ of the minimax generator loss log(1 − D(G(z))) under run's D, on the fixed noise."""
    with one_thread():
        loss = generator_loss("dcgan", run.D(run.G(run.z_eval)), saturating=True)
        return total_norm(torch.autograd.grad(loss, list(run.G.parameters())))


CLAIM_OBJECTIVES = ("gan-minimax", "gan", "wgan", "wgan-gp")
MIXTURES = ("ring", "grid", "gaussian")  # the distributions whose modes can be counted


def objective_runs(config: LabConfig | None = None, seeds: int = 5, every: int | None = None,
                   objectives: Sequence[str] = CLAIM_OBJECTIVES, until: float | None = None,
                   progress: Callable[[str, int], None] | None = None) -> dict[str, list[list[dict]]]:
    """Each objective's measured histories, one per seed, on the same data, nets and steps; measured about 40
    times a run unless `every` says otherwise. Runs end early at time.monotonic() `until`."""
    config = config or LabConfig()
    every = every or max(1, config.steps // 40)
    histories: dict[str, list[list[dict]]] = {}
    for objective in objectives:
        for seed in range(seeds):
            if progress:
                progress(objective, seed)
            settings = {**shared_settings(config), "seed": (config.seed + seed) % (LIMITS["seed"][1] + 1)}
            histories.setdefault(objective, []).append(
                history_run(LabConfig.for_objective(objective, **settings), every, until)[1])
    return histories


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


# --- command line ----------------------------------------------------------------------------------
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
    return p


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
    if not 1 <= args.seeds <= 20 or not 1 <= args.d_steps <= MAX_STEPS:
        raise UsageError(f"--seeds must be from 1 to 20 and --d-steps from 1 to {MAX_STEPS:,}")
    from .labview import claim_figures  # matplotlib, only here

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


if __name__ == "__main__":
    sys.exit(cli())
