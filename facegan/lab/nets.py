"""The Lab's generator and discriminator: small MLPs, initialised from a run's own random stream."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


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
