"""K Lab runs trained in one step: the same settings but the seed, each net's K copies stacked into one tensor.

On the Lab's small nets a step is a few dozen small operations whose fixed costs (Python, autograd,
kernel launches) outweigh much of their arithmetic. K runs whose weights are stacked ([K, in, out],
`torch.baddbmm`) pay those costs once a step: a step's batches (drawn per run ahead, in blocks of
rounds), losses and optimiser update are one call for all K, with no per-run Python; only the
arithmetic grows with K. Each run keeps its own seed, data stream and optimiser state: the runs share
no number, and a run's numbers are bit for bit the same whether it trains alone (K = 1) or beside
others, as long as the batch is a multiple of ALIGN (vectorised kernels treat the last few elements of
a tensor apart, and otherwise where a run's elements fall among them depends on the runs before it).

Each run starts as a `LabRun` with the same config would (the same initial weights, the same fixed
evaluation points) and is measured through one (`sync`, then `LabRun.measure`), but its training
batches are drawn from its stream in blocks of rounds rather than one batch at a time, so it does not
follow the unbatched LabRun's numbers after the first step.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from functools import partial

import torch
from torch import nn

from ..losses import clip_weights, discriminator_loss, generator_loss, gradient_penalty
from ..optim import make_optimizer
from .config import OBJECTIVES, PER_NET, LabConfig
from .nets import MLP
from .runs import LabRun, one_thread

ALIGN = 16  # floats: the width of CPU kernels' vectorised loops (two AVX2 vectors)
BLOCK_POINTS = 2**16  # points drawn per run at a time: per-run Python once a block, never in a step


def affine(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x @ w + b for each run. A product with a side of 1 (a critic's output, a net of width 1) is a
    matrix-vector one, which BLAS computes one way for one matrix and another in a batch; as a broadcast
    product and a sum it is the same at any K."""
    if w.shape[2] == 1:
        return (x * w.mT).sum(-1, keepdim=True) + b
    if w.shape[1] == 1:
        return x * w + b
    return torch.baddbmm(b, x, w)


class StackedMLP(nn.Module):
    """K MLPs of one shape as one flat parameter: each layer's K weight matrices ([K, in, out]) and biases
    ([K, 1, out]) are contiguous views of it, and their gradients views of its gradient, so the optimiser, the
    weight clipping and zeroing the gradients are each one operation on one tensor, however many layers and
    runs. Its length is padded to a multiple of ALIGN: no element falls in a vectorised kernel's scalar tail,
    so each is updated the same way whatever K."""

    def __init__(self, nets: Sequence[MLP], device: torch.device | str = "cpu") -> None:
        super().__init__()
        k = len(nets)
        shapes = [shape for layer in nets[0].layers for shape in ((layer.in_features, layer.out_features),
                                                                    (1, layer.out_features))]
        size = k * sum(rows * cols for rows, cols in shapes)
        self.flat = nn.Parameter(torch.zeros(-(-size // ALIGN) * ALIGN, device=device))
        self.flat.grad = torch.zeros_like(self.flat)
        views, offset = [], 0
        for rows, cols in shapes:
            end = offset + k * rows * cols
            view = self.flat.detach()[offset:end].view(k, rows, cols).requires_grad_(True)
            view.grad = self.flat.grad[offset:end].view(k, rows, cols)  # the backward adds into it in place
            views.append(view)
            offset = end
        self.layers = list(zip(views[::2], views[1::2], strict=True))  # (weight, bias) per layer
        with torch.no_grad():
            for i, net in enumerate(nets):
                for (weight, bias), layer in zip(self.layers, net.layers, strict=True):
                    weight[i].copy_(layer.weight.T)
                    bias[i, 0].copy_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [K, N, inputs] → [K, N, outputs], run k's points through net k."""
        *hidden, (weight, bias) = self.layers
        for w, b in hidden:
            x = affine(x, w, b).relu_()  # in place: the product's backward does not read its output
        return affine(x, weight, bias)

    @torch.no_grad()
    def copy_to(self, k: int, net: MLP) -> None:
        """Net k's weights into net (an MLP of the same shape)."""
        for (weight, bias), layer in zip(self.layers, net.layers, strict=True):
            layer.weight.copy_(weight[k].T)
            layer.bias.copy_(bias[k, 0])

    def run(self, k: int) -> torch.Tensor:
        """Net k's weights and biases, flattened into one vector."""
        return torch.cat([t[k].flatten() for layer in self.layers for t in layer])

    def zero_grad(self, set_to_none: bool = False) -> None:
        self.flat.grad.zero_()  # kept, never set to None: the layers' gradients are views of it


def unbatched_settings(config: LabConfig) -> list[str]:
    """The settings of config that BatchedRuns does not train (each needs LabRun's per-run step)."""
    o = OBJECTIVES[config.objective]
    differ = {**{d: getattr(config, d) != getattr(config, g) for d, g in PER_NET.items()},
              "g_steps": config.g_steps != 1, "d_steps": config.d_steps == 0, "g_batchnorm": config.g_batchnorm,
              "d_maxout": config.d_maxout != 1, "pack": config.pack != 1, "unroll": config.unroll != 0,
              "objective": o.r1 or o.spectral, "activation": config.activation != "relu",
              "d_scale": config.d_scale != 1, "update": config.update != "alternate"}
    return [name for name, unsupported in differ.items() if unsupported]


class BatchedRuns:
    """K runs of one config but the seed, stepped together; `runs` hold each one's state once `sync`ed."""

    def __init__(self, configs: Sequence[LabConfig], device: torch.device | str = "cpu") -> None:
        """The runs start as LabRuns on the CPU (their weights, streams, evaluation points), which they are synced
        back to for measuring; the stacked nets, their optimisers and the batches train on device."""
        if not configs:
            raise ValueError("BatchedRuns needs at least one config")
        first = dataclasses.replace(configs[0], seed=0)
        if any(dataclasses.replace(c, seed=0) != first for c in configs):
            raise ValueError("runs trained together differ only in their seeds")
        if unbatched := unbatched_settings(first):
            raise ValueError(f"batched runs train plain MLPs with one optimiser for both nets, one G step and at "
                             f"least one D step a round; these settings need LabRun: {', '.join(unbatched)}")
        self.runs = [LabRun(config) for config in configs]  # each run's init, data, noise and eval points
        self.config, self.objective = self.runs[0].config, self.runs[0].objective
        self.device = torch.device(device)
        self.G = StackedMLP([run.G for run in self.runs], self.device)
        self.D = StackedMLP([run.D for run in self.runs], self.device)
        self.g_params = [p for layer in self.G.layers for p in layer]
        betas = (self.config.beta1, self.config.beta2)
        self.opt_g = make_optimizer(self.config.optimizer, [self.G.flat], self.config.lr_g, betas, fused=True)
        self.opt_d = make_optimizer(self.config.optimizer, [self.D.flat], self.config.lr_d, betas, fused=True)
        # Each run's losses at its last step, for `sync`: vmap keeps each one's mean over its own batch.
        self.d_loss = torch.func.vmap(partial(discriminator_loss, self.objective.loss))
        self.g_loss = torch.func.vmap(partial(generator_loss, self.objective.loss,
                                              saturating=self.objective.saturating))
        self.step = self.d_updates = 0
        self.last: dict[str, torch.Tensor] = {}  # the last steps' scores (and penalties), detached
        self.block_rounds = max(1, BLOCK_POINTS // (self.config.d_steps * self.config.batch))  # rounds per block
        self.block: dict[str, torch.Tensor] = {}
        self.used = self.block_rounds  # rounds of the current block done

    def _draw_block(self) -> None:
        """The next `block_rounds` rounds' batches of every run, from its own stream: reals, noise, mixing weights."""
        c = self.config
        d_points, g_points = self.block_rounds * c.d_steps * c.batch, self.block_rounds * c.batch
        parts: dict[str, list[torch.Tensor]] = {"real": [], "z_d": [], "alpha": [], "z_g": []}
        for run in self.runs:
            parts["real"].append(run.target.sample(d_points, run.gen))
            parts["z_d"].append(run.noise(d_points))
            if self.objective.penalty:
                parts["alpha"].append(torch.rand(d_points, 1, generator=run.gen))
            parts["z_g"].append(run.noise(g_points))
        self.block = {name: torch.stack(values).view(len(self.runs), -1, c.batch, values[0].shape[-1]).to(self.device)
                      for name, values in parts.items() if values}
        self.used = 0

    def advance(self, steps: int, until: float | None = None) -> int:
        """Up to `steps` rounds (d_steps critic updates and one generator update) of every run, stopping at
        the runs' steps or at time.monotonic() `until`. A diverged run goes on with NaNs, apart from the rest."""
        done = 0
        with one_thread():
            while done < steps and not self.done:
                if until is not None and time.monotonic() >= until:
                    break
                if self.used == self.block_rounds:
                    self._draw_block()
                for i in range(self.used * self.config.d_steps, (self.used + 1) * self.config.d_steps):
                    self._d_step(i)
                self._g_step(self.used)
                self.used += 1
                done += 1
        return done

    # The losses are facegan.losses' means over all K batches, times K: d(loss)/d(score) is then 1/N for each
    # run's N scores, exactly as at K = 1, so each run's gradients are those of its own loss.
    def _d_step(self, i: int) -> None:
        c, o, n, k, block = self.config, self.objective, self.config.batch, len(self.runs), self.block
        real = block["real"][:, i]
        with torch.no_grad():
            fake = self.G(block["z_d"][:, i])
        scores = self.D(torch.cat([real, fake], 1))
        loss = discriminator_loss(o.loss, scores[:, :n], scores[:, n:]) * k
        if o.penalty:
            # Runs are independent, so the summed critic output's gradient at each run's points is that run's.
            penalty = gradient_penalty(self.D, real, fake, block["alpha"][:, i], runs=True)
            loss = loss + c.gp_lambda * penalty.sum()
            self.last["penalty"] = penalty.detach()
        self.D.zero_grad()
        loss.backward()
        self.opt_d.step()
        if o.clip:
            clip_weights(self.D, c.clip)
        self.last["d_scores"], self.d_updates = scores.detach(), self.d_updates + 1

    def _g_step(self, i: int) -> None:
        scores = self.D(self.G(self.block["z_g"][:, i]))
        loss = generator_loss(self.objective.loss, scores, self.objective.saturating) * len(self.runs)
        self.G.zero_grad()
        loss.backward(inputs=self.g_params)  # through D, but no gradients for D's own weights
        self.opt_g.step()
        self.last["g_scores"], self.step = scores.detach(), self.step + 1

    def losses(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Each run's D and G losses on its last training batches (nan before its first step)."""
        nan = torch.full((len(self.runs),), float("nan"))
        loss_d, loss_g = nan, nan
        with torch.no_grad():
            if "d_scores" in self.last:
                scores, n = self.last["d_scores"], self.config.batch
                loss_d = self.d_loss(scores[:, :n], scores[:, n:])
                if "penalty" in self.last:
                    loss_d = loss_d + self.config.gp_lambda * self.last["penalty"]
            if "g_scores" in self.last:
                loss_g = self.g_loss(self.last["g_scores"])
        return loss_d, loss_g

    @property
    def done(self) -> bool:
        return self.step >= self.config.steps

    def sync(self) -> list[LabRun]:
        """Each run's weights, counters and last losses into its LabRun, which measures and pictures it
        (its own optimiser state is not kept there: step the BatchedRuns, not the LabRuns)."""
        loss_d, loss_g = self.losses()
        for k, run in enumerate(self.runs):
            self.G.copy_to(k, run.G)
            self.D.copy_to(k, run.D)
            run.step, run.d_updates, run.rounds = self.step, self.d_updates, self.step
            run.loss_d, run.loss_g = loss_d[k].item(), loss_g[k].item()
        return self.runs


def batched_histories(configs: Sequence[LabConfig], every: int, until: float | None = None) -> list[list[dict]]:
    """`history_run`'s measurements for runs that differ only in their seeds, trained together: each run
    measured at 0 and every `every` generator steps. A run's history ends at the first measurement that finds
    it diverged (at most `every` steps after it did); all end at time.monotonic() `until`."""
    batch = BatchedRuns(configs)
    histories = [[run.measure()] for run in batch.runs]
    live = list(range(len(histories)))  # the runs not yet found diverged
    while live and not batch.done and (until is None or time.monotonic() < until):
        batch.advance(every, until)
        runs = batch.sync()
        for k in list(live):
            histories[k].append(runs[k].measure())
            if runs[k].diverged:
                live.remove(k)
    return histories
