"""Noise, generation and image grids: what both training snapshots and the app need."""

from __future__ import annotations

from pathlib import Path

import torch
from torchvision.utils import make_grid, save_image

from .models import Generator


def seeded_noise(n: int, nz: int, seed: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """N×nz standard-normal latents that depend only on (seed, n, nz): same seed, same faces."""
    return torch.randn(n, nz, generator=torch.Generator().manual_seed(seed)).to(device)


@torch.inference_mode()
def generate(generator: Generator, z: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1], fp32, from a generator in eval mode."""
    return generator(z.to(next(generator.parameters()).device)).float()


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats → uint8 in [0, 255], rounded the way PIL/torchvision save them."""
    return images.add(1).mul(127.5).add(0.5).clamp(0, 255).to(torch.uint8)


def grid(images: torch.Tensor, nrow: int | None = None, padding: int = 2) -> torch.Tensor:
    """A near-square 3×H×W grid of [-1, 1] images (nrow defaults to ceil(sqrt(N)))."""
    nrow = nrow or max(1, int(len(images) ** 0.5 + 0.999))
    return make_grid(images, nrow=nrow, padding=padding, pad_value=1.0)


def save_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None) -> None:
    save_image(grid(images.float().cpu(), nrow), path, normalize=True, value_range=(-1, 1))
