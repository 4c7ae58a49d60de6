"""A Lab run: both nets, their optimisers, stepped by hand or in rounds, measured and pictured on fixed points."""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..losses import (
    clip_weights,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    pack,
    r1_penalty,
    spectral_normalize,
    unrolled_generator_loss,
)
from ..optim import make_optimizer
from .config import OBJECTIVES, LabConfig
from .measures import grid_divergences, grid_histogram, mode_coverage, total_norm, wasserstein1
from .nets import mlp, seeded_init
from .targets import VIEW, target

EVAL_POINTS = 512  # fixed real points and fixed noise that every measurement uses
EVAL_SEED_OFFSET = 2**40  # the evaluation points' random stream, apart from every run's training stream


THREADS = torch.get_num_threads()  # the process's own setting, put back after every Lab step


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Train on one core: these nets are too small for a second thread to pay (and a second thread waits on a
    busy core), and the other cores stay free for the studio's face tabs. torch applies the setting to the
    calling thread and to threads started meanwhile, so the process's own count is put back at the end."""
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(THREADS)


HEAT, MESH, CURVE = 64, 13, 101  # the heat map's grid; 2-D noise drawn as a MESH² mesh, 1-D noise as a curve


@functools.cache
def view_cells() -> torch.Tensor:
    """The heat map's HEAT×HEAT places over the view, row by row from the top of the picture, as (x, y) rows
    (shared: never modify it)."""
    axis = torch.linspace(-VIEW, VIEW, HEAT)
    ys, xs = torch.meshgrid(-axis, axis, indexing="ij")
    return torch.stack([xs.flatten(), ys.flatten()], 1)


@dataclass
class Snapshot:
    """What a run looks like at one moment: the measurements, and the arrays a picture is drawn from."""

    metrics: dict
    real: np.ndarray  # EVAL_POINTS × 2
    fake: np.ndarray  # G of the fixed noise
    push: np.ndarray  # −∇ₓ of the generator's loss at each fake point: where G is pushed
    heat: np.ndarray  # D on a HEAT×HEAT grid over the view (probability for GAN, critic score for WGAN)
    mesh: np.ndarray  # rows×columns×2: noise values through G (MESH×MESH for 2-D noise, 1×CURVE for 1-D)
    probability: bool  # heat holds probabilities (GAN) or critic scores (WGAN)


class LabRun:
    """One training run, stepped by hand (`d_step`, `g_step`) or by `advance`; deterministic for a seed on the CPU.

    On another device (a GPU), the nets and their optimisers live there; the weights are initialised and every
    batch, noise vector and mixing weight is drawn on the CPU from the run's own stream, as on the CPU, and then
    moved: the same run on any device, but for the device's arithmetic."""

    def __init__(self, config: LabConfig, device: str | torch.device = "cpu") -> None:
        self.config = config.check()
        self.device = torch.device(device)
        self.objective = OBJECTIVES[config.objective]
        self.target = target(config.distribution, config.strokes, config.seed)
        gen = self.gen = torch.Generator().manual_seed(config.seed)
        self.G = seeded_init(mlp(config.noise_dim, 2, config.g_width, config.g_depth, config.g_batchnorm,
                                 activation=config.activation), gen, config.init, config.init_gain)
        self.D = seeded_init(mlp(2 * config.pack, 1, config.d_width, config.d_depth, pieces=config.d_maxout,
                                 activation=config.activation, input_scale=config.d_scale), gen, config.init,
                             config.init_gain)
        if self.objective.spectral:  # the power iteration's first vectors, from the run's seed
            spectral_normalize(self.D, torch.Generator().manual_seed(config.seed))
        self.G.to(self.device)
        self.D.to(self.device)
        self.g_params = list(self.G.parameters())
        self.opt_g = make_optimizer(config.optimizer, self.g_params, config.lr_g, (config.beta1, config.beta2),
                                    fused=True)
        self.opt_d = make_optimizer(config.optimizer_d, self.D.parameters(), config.lr_d,
                                    (config.beta1_d, config.beta2_d), fused=True)
        # Fixed evaluation points, from their own stream so that measuring never changes training.
        eval_gen = torch.Generator().manual_seed(config.seed + EVAL_SEED_OFFSET)
        self.real_eval = self.target.sample(EVAL_POINTS, eval_gen).to(self.device)
        self.z_eval = self.noise(EVAL_POINTS, eval_gen)
        self.real_histogram = grid_histogram(self.real_eval.cpu().numpy())
        self.step = self.d_updates = self.rounds = 0  # generator steps, discriminator steps, rounds
        self.loss_d = self.loss_g = float("nan")  # of the last training batch

    def noise(self, n: int, gen: torch.Generator | None = None) -> torch.Tensor:
        """n noise vectors drawn on the CPU from gen (the run's stream unless given), on the run's device."""
        gen = gen or self.gen
        if self.config.noise == "uniform":
            return (torch.rand(n, self.config.noise_dim, generator=gen) * 2 - 1).to(self.device)
        return torch.randn(n, self.config.noise_dim, generator=gen).to(self.device)

    def d_step(self) -> None:
        """One discriminator/critic update on a fresh real batch and fresh fakes (GAN Lab's step by step)."""
        with one_thread():
            self._d_step()

    def g_step(self) -> None:
        """One generator update on fresh noise, through the discriminator as it stands; it ends a round."""
        with one_thread():
            self._g_step()
        self.rounds += 1

    def advance(self, steps: int, until: float | None = None) -> int:
        """Up to `steps` rounds of d_steps discriminator updates and g_steps generator updates (or one joint
        update), stopping at the run's steps, at time.monotonic() `until`, or when the run diverges. Returns the
        rounds done."""
        done = 0
        with one_thread():
            while done < steps and not self.done and not self.diverged:
                if until is not None and time.monotonic() >= until:
                    break
                if self.config.update == "joint":
                    self._joint_step()
                else:
                    for _ in range(self.config.d_steps):
                        self._d_step()
                    for _ in range(self.config.g_steps):
                        self._g_step()
                done += 1
                self.rounds += 1
        return done

    def _real(self) -> torch.Tensor:
        """A batch of packed real samples."""
        return pack(self.target.sample(self.config.batch * self.config.pack, self.gen).to(self.device),
                    self.config.pack)

    def _fake(self) -> torch.Tensor:
        """A batch of packed generated samples. With BatchNorm, G runs once per place in the pack, as PacGAN's
        code runs it on each of its m noise batches, so each normalises over the batch's own samples."""
        n, m = self.config.batch, self.config.pack
        z = self.noise(n * m)
        if self.config.g_batchnorm and m > 1:
            return torch.cat([self.G(part) for part in z.view(m, n, -1)], 1)
        return pack(self.G(z), m)

    def _d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """D's loss on a real and a generated batch, with the objective's penalties; and D's scores, real first."""
        c, o, n = self.config, self.objective, self.config.batch
        scores = self.D(torch.cat([real, fake]))
        loss = discriminator_loss(o.loss, scores[:n], scores[n:])
        if o.penalty:
            alpha = torch.rand(n, 1, generator=self.gen).to(self.device)
            loss = loss + c.gp_lambda * gradient_penalty(self.D, real, fake, alpha)
        if o.r1:
            loss = loss + c.r1_gamma / 2 * r1_penalty(self.D, real)
        return loss, scores

    def _g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None,
                scores: torch.Tensor | None = None) -> torch.Tensor:
        """G's loss on a generated batch: through D's scores of it (computed here unless given), or with
        unrolling, the Unrolled GAN's surrogate on it and a real batch (drawn here unless given)."""
        c, o = self.config, self.objective
        if c.unroll:
            real = self._real() if real is None else real
            return unrolled_generator_loss(self.D, o.loss, real, fake, c.unroll, self.opt_d)
        return generator_loss(o.loss, self.D(fake) if scores is None else scores, o.saturating)

    def _d_update(self, loss: torch.Tensor) -> None:
        self.opt_d.step()
        if self.objective.clip:
            clip_weights(self.D, self.config.clip)
        self.loss_d, self.d_updates = loss.item(), self.d_updates + 1

    def _g_update(self, loss: torch.Tensor) -> None:
        self.opt_g.step()
        self.loss_g, self.step = loss.item(), self.step + 1

    def _d_step(self) -> None:
        real = self._real()
        with torch.no_grad():
            fake = self._fake()
        loss, _ = self._d_loss(real, fake)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self._d_update(loss)

    def _g_step(self) -> None:
        loss = self._g_loss(self._fake())
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward(inputs=self.g_params)  # through D, but no gradients for D's own weights
        self._g_update(loss)

    def _joint_step(self) -> None:
        """One D and one G update from one batch, both gradients taken at the nets as they stand (ALI's
        algorithm, which PacGAN's code trains with; the Unrolled GAN notebook's ops run together): G forwards
        once, and D scores the real and generated samples once for both losses."""
        real, fake = self._real(), self._fake()
        loss_d, scores = self._d_loss(real, fake)
        loss_g = self._g_loss(fake, real, scores[self.config.batch:])
        d_params = [p for group in self.opt_d.param_groups for p in group["params"]]
        d_grads = torch.autograd.grad(loss_d, d_params, retain_graph=True)
        g_grads = torch.autograd.grad(loss_g, self.g_params)
        for p, grad in zip(d_params + self.g_params, d_grads + g_grads, strict=True):
            p.grad = grad
        self._d_update(loss_d)
        self._g_update(loss_g)

    @property
    def done(self) -> bool:
        return self.rounds >= self.config.steps

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
                heat = self.D(view_cells().repeat(1, self.config.pack).to(self.device)).view(HEAT, HEAT)  # m copies
                heat = torch.sigmoid(heat) if self.objective.loss == "dcgan" else heat
                spread = 1.0 if self.config.noise == "uniform" else 2.0  # uniform noise spans ±1, Gaussian ±2σ
                if self.config.noise_dim == 1:  # a curve
                    z, shape = torch.linspace(-spread, spread, CURVE)[:, None], (1, CURVE)
                else:  # a mesh over z's first two dimensions, the others at 0
                    u = torch.linspace(-spread, spread, MESH)
                    grid = torch.cartesian_prod(u, u)
                    z, shape = torch.cat([grid, grid.new_zeros(len(grid), self.config.noise_dim - 2)], 1), (MESH, MESH)
                with self.evaluating():
                    mesh = self.G(z.to(self.device)).view(*shape, 2)
        return Snapshot({**metrics, **self._distances(fake)}, self.real_eval.cpu().numpy(), fake, push,
                        heat.cpu().numpy(), mesh.cpu().numpy(), self.objective.loss == "dcgan")

    @contextlib.contextmanager
    def evaluating(self) -> Iterator[None]:
        """G in evaluation mode: BatchNorm with its running statistics (as PacGAN samples), and no update of
        them by the measurements."""
        self.G.eval()
        try:
            yield
        finally:
            self.G.train()

    def sample(self, n: int, gen: torch.Generator) -> np.ndarray:
        """n generated points from noise drawn from gen (not the run's own stream)."""
        with one_thread(), torch.no_grad(), self.evaluating():
            return self.G(self.noise(n, gen)).cpu().numpy()

    def _observe(self) -> tuple[dict, np.ndarray, np.ndarray]:
        """The numbers but the distances, the generated points, and −∇ₓ of the generator's loss at each."""
        o, m = self.objective, self.config.pack
        with self.evaluating():
            fake = self.G(self.z_eval)
        fake_points = fake.detach().requires_grad_(True)
        fake_scores = self.D(pack(fake_points, m))
        if self.config.unroll:  # the loss G trains on: its push looks K steps of D ahead
            loss_g = unrolled_generator_loss(self.D, o.loss, pack(self.real_eval, m), pack(fake_points, m),
                                             self.config.unroll, self.opt_d)
        else:
            loss_g = generator_loss(o.loss, fake_scores, o.saturating)
        # One backward gives both: ‖∇θ G‖ of the loss, and −∇ₓ per point (the mean's gradient × N).
        (point_grads,) = torch.autograd.grad(loss_g, fake_points)
        grad_g = total_norm(torch.autograd.grad(fake, self.g_params, point_grads))
        with torch.no_grad():
            real_scores = self.D(pack(self.real_eval, m))
            loss_d = discriminator_loss(o.loss, real_scores, fake_scores).item()
            estimate = (real_scores.mean() - fake_scores.mean()).item()
            accuracy = ((real_scores > 0).float().mean() + (fake_scores < 0).float().mean()).item() / 2
        fake_np = fake.detach().cpu().numpy()
        metrics = {"step": self.step, "d_updates": self.d_updates, "round": self.rounds, "loss_d": loss_d,
                   "loss_g": loss_g.item(),
                   "estimate": estimate, "grad_g": grad_g, "accuracy": accuracy}
        return metrics, fake_np, -point_grads.cpu().numpy() * len(fake_np)

    def _distances(self, fake: np.ndarray) -> dict:
        """The generated points' exact W1 to the real ones, KL(real‖fake) and JS by grid and, for a mixture,
        modes covered and the 3σ share."""
        kl, js = grid_divergences(self.real_histogram, fake)
        out = {"w1": wasserstein1(fake, self.real_eval.cpu().numpy()), "kl": kl, "js": js, "modes": None,
               "modes_total": None, "high_quality": None}
        if self.target.centers is not None:
            modes, quality = mode_coverage(fake, self.target.centers.numpy(), self.target.sigma)
            out.update(modes=modes, modes_total=len(self.target.centers), high_quality=quality)
        return out


def history_run(config: LabConfig, every: int, until: float | None = None,
                rounds: int | None = None) -> tuple[LabRun, list[dict]]:
    """A run of `rounds` rounds (all its steps unless given), measured every `every` rounds (and at 0): the run
    and its measurements. It ends early at time.monotonic() `until`, or when it diverges."""
    run = LabRun(config)
    rounds = config.steps if rounds is None else rounds
    history = [run.measure()]
    while run.rounds < rounds and not run.diverged and (until is None or time.monotonic() < until):
        run.advance(min(every, rounds - run.rounds), until)
        history.append(run.measure())
    return run, history
