"""The DCGAN generator and discriminator (critic), sized by one ModelConfig.

The layout follows Radford et al. (2015) and pytorch/examples' dcgan: the
generator grows a 4×4 map by transposed convolutions, halving channels at each
doubling of resolution; the discriminator mirrors it. The discriminator returns
logits, so the losses decide what to do with them (BCE for DCGAN, raw scores
for WGAN).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

IMAGE_SIZES = (32, 64, 128)
CRITIC_NORMS = ("batch", "layer", "none")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the networks; it travels inside exported weights."""

    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    nc: int = 3
    image_size: int = 64
    critic_norm: str = "batch"  # WGAN-GP's penalty is per-sample, so its critic uses "layer"
    generator_norm: str = "batch"  # "none" makes the whole model batch-independent

    def __post_init__(self) -> None:
        if self.image_size not in IMAGE_SIZES:
            raise ValueError(f"image size must be one of {IMAGE_SIZES}, got {self.image_size}")
        if self.critic_norm not in CRITIC_NORMS:
            raise ValueError(f"critic norm must be one of {CRITIC_NORMS}, got {self.critic_norm!r}")
        if self.generator_norm not in ("batch", "none"):
            raise ValueError(f"generator norm must be 'batch' or 'none', got {self.generator_norm!r}")
        for name in ("nz", "ngf", "ndf", "nc"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")

    @property
    def num_doublings(self) -> int:
        """Stride-2 layers between the 4×4 map and the image, not counting the last."""
        return int(math.log2(self.image_size)) - 3

    def to_dict(self) -> dict:
        return asdict(self)


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), norm scales N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    """z (N×nz) → image (N×nc×S×S) in [-1, 1]."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        channels = config.ngf * 2 ** config.num_doublings
        norm = nn.BatchNorm2d if config.generator_norm == "batch" else (lambda _: nn.Identity())
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(config.nz, channels, 4, 1, 0, bias=False),
            norm(channels),
            nn.ReLU(True),
        ]
        for _ in range(config.num_doublings):
            layers += [
                nn.ConvTranspose2d(channels, channels // 2, 4, 2, 1, bias=False),
                norm(channels // 2),
                nn.ReLU(True),
            ]
            channels //= 2
        layers += [nn.ConvTranspose2d(channels, config.nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], -1, 1, 1))


def _critic_norm(kind: str, channels: int) -> list[nn.Module]:
    if kind == "batch":
        return [nn.BatchNorm2d(channels)]
    if kind == "layer":  # LayerNorm over C×H×W with a per-channel affine
        return [nn.GroupNorm(1, channels)]
    return []


class Discriminator(nn.Module):
    """Image → one logit (DCGAN) or critic score (WGAN) per sample."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        channels = config.ndf
        layers: list[nn.Module] = [
            nn.Conv2d(config.nc, channels, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        for _ in range(config.num_doublings):
            layers += [
                nn.Conv2d(channels, channels * 2, 4, 2, 1, bias=False),
                *_critic_norm(config.critic_norm, channels * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            channels *= 2
        layers.append(nn.Conv2d(channels, 1, 4, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).view(-1)


@torch.no_grad()
def refresh_batchnorm_stats(
    generator: Generator, batches: int = 16, batch_size: int = 64, seed: int = 0
) -> None:
    """Recompute BatchNorm running statistics from fresh samples, then switch to eval.

    An EMA generator's averaged weights do not match any live generator's running
    statistics (copying them gave flat brown images), so its statistics must come
    from its own activations. A private RNG keeps the caller's random stream intact.
    """
    norms = [m for m in generator.modules() if isinstance(m, nn.BatchNorm2d)]
    if not norms:
        generator.eval()
        return
    device = next(generator.parameters()).device
    rng = torch.Generator(device=device).manual_seed(seed)
    saved_momentum = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the passes below
    generator.train()
    for _ in range(batches):
        generator(torch.randn(batch_size, generator.config.nz, device=device, generator=rng))
    for m, momentum in zip(norms, saved_momentum, strict=True):
        m.momentum = momentum
    generator.eval()
