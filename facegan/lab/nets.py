"""The Lab's generator and discriminator: small MLPs, initialised from a run's own random stream."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """Linear layers with ReLU between them. Its forward calls the functions directly: on these small nets,
    Python's per-module call cost is a measurable part of a step.

    The literature's variants: BatchNorm before each ReLU (PacGAN's generator; its hidden layers then have
    no bias, as there), and maxout units (PacGAN's discriminator): each of the width units the largest of
    `pieces` linear pieces, in place of the ReLU."""

    def __init__(self, inputs: int, outputs: int, width: int, depth: int, batchnorm: bool = False,
                 pieces: int = 1) -> None:
        super().__init__()
        self.pieces = pieces
        sizes = [inputs] + [width] * depth
        self.layers = nn.ModuleList([*(nn.Linear(a, b * pieces, bias=not batchnorm)
                                       for a, b in zip(sizes[:-1], sizes[1:], strict=True)),
                                     nn.Linear(sizes[-1], outputs)])
        self.norms = nn.ModuleList(nn.BatchNorm1d(width, momentum=0.05) for _ in range(depth)) if batchnorm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        *hidden, last = self.layers
        for i, layer in enumerate(hidden):
            x = F.linear(x, layer.weight, layer.bias)
            if self.pieces > 1:
                x = x.unflatten(-1, (-1, self.pieces)).amax(-1)
                continue
            if self.norms is not None:
                x = self.norms[i](x)
            x = torch.relu(x)
        return F.linear(x, last.weight, last.bias)


def mlp(inputs: int, outputs: int, width: int, depth: int, batchnorm: bool = False, pieces: int = 1) -> MLP:
    return MLP(inputs, outputs, width, depth, batchnorm, pieces)


INITS = ("uniform", "normal", "he")


@torch.no_grad()
def seeded_init(net: nn.Module, gen: torch.Generator, init: str = "uniform") -> nn.Module:
    """Linear weights drawn from gen, not the process-wide RNG, so two runs in two threads never share a
    random stream. uniform: PyTorch's default, U(±1/√fan_in) for weights and biases; normal: N(0, 0.02²)
    weights and zero biases (PacGAN's code); he: uniform with standard deviation √(2/fan_in) and zero
    biases (the 'he' init of WGAN-GP's toy code)."""
    for layer in net.modules():
        if isinstance(layer, nn.Linear):
            if init == "normal":
                layer.weight.normal_(0, 0.02, generator=gen)
            else:
                bound = 1 / math.sqrt(layer.in_features) if init == "uniform" else math.sqrt(6 / layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=gen)
            if layer.bias is not None:
                if init == "uniform":
                    layer.bias.uniform_(-bound, bound, generator=gen)
                else:
                    layer.bias.zero_()
    return net
