"""The Lab's generator and discriminator: small MLPs, initialised from a run's own random stream."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}
BATCHNORM_EPS = 1e-4  # blocks' BatchNormalization default, PacGAN's generator's


class MLP(nn.Module):
    """Linear layers with an activation (ReLU or tanh) between them. Its forward calls the functions directly: on
    these small nets, Python's per-module call cost is a measurable part of a step.

    The literature's variants: BatchNorm before each activation (PacGAN's generator; its hidden layers then have
    no bias, as there), maxout units (PacGAN's discriminator): each of the width units the largest of `pieces`
    linear pieces, in place of the activation; and an input divided by `input_scale` (the Unrolled GAN paper's
    discriminator scales its input down by 4)."""

    def __init__(self, inputs: int, outputs: int, width: int, depth: int, batchnorm: bool = False,
                 pieces: int = 1, activation: str = "relu", input_scale: float = 1.0) -> None:
        super().__init__()
        self.pieces, self.activation, self.input_scale = pieces, ACTIVATIONS[activation], input_scale
        sizes = [inputs] + [width] * depth
        self.layers = nn.ModuleList([*(nn.Linear(a, b * pieces, bias=not batchnorm)
                                       for a, b in zip(sizes[:-1], sizes[1:], strict=True)),
                                     nn.Linear(sizes[-1], outputs)])
        self.norms = nn.ModuleList(nn.BatchNorm1d(width, eps=BATCHNORM_EPS, momentum=0.05)
                                   for _ in range(depth)) if batchnorm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        *hidden, last = self.layers
        if self.input_scale != 1:
            x = x / self.input_scale
        for i, layer in enumerate(hidden):
            x = F.linear(x, layer.weight, layer.bias)
            if self.pieces > 1:
                x = x.unflatten(-1, (-1, self.pieces)).amax(-1)
                continue
            if self.norms is not None:
                x = self.norms[i](x)
            x = self.activation(x)
        return F.linear(x, last.weight, last.bias)


def mlp(inputs: int, outputs: int, width: int, depth: int, batchnorm: bool = False, pieces: int = 1,
        activation: str = "relu", input_scale: float = 1.0) -> MLP:
    return MLP(inputs, outputs, width, depth, batchnorm, pieces, activation, input_scale)


INITS = ("uniform", "normal", "he", "orthogonal")


@torch.no_grad()
def seeded_init(net: nn.Module, gen: torch.Generator, init: str = "uniform", gain: float = 1.0) -> nn.Module:
    """Linear weights drawn from gen, not the process-wide RNG, so two runs in two threads never share a
    random stream. uniform: PyTorch's default, U(±1/√fan_in) for weights and biases; normal: N(0, 0.02²)
    weights and zero biases (PacGAN's code); he: as WGAN-GP's toy code (tflib's Linear), uniform weights of
    standard deviation √(2/fan_in) in the hidden layers and √(2/(fan_in + fan_out)) (its default, Glorot) in
    the output layer, zero biases; orthogonal: (semi-)orthogonal weights times gain, zero biases (the Unrolled
    GAN paper's and notebook's, TensorFlow's orthogonal_initializer)."""
    layers = [layer for layer in net.modules() if isinstance(layer, nn.Linear)]
    for layer in layers:
        fan_in, fan_out = layer.in_features, layer.out_features
        if init == "normal":
            layer.weight.normal_(0, 0.02, generator=gen)
        elif init == "orthogonal":
            nn.init.orthogonal_(layer.weight, gain, generator=gen)
        else:  # U(±b) has standard deviation b/√3
            bound = (1 / math.sqrt(fan_in) if init == "uniform" else
                     math.sqrt(6 / fan_in) if layer is not layers[-1] else math.sqrt(6 / (fan_in + fan_out)))
            layer.weight.uniform_(-bound, bound, generator=gen)
        if layer.bias is not None:
            if init == "uniform":
                layer.bias.uniform_(-bound, bound, generator=gen)
            else:
                layer.bias.zero_()
    return net
