"""An encoder per generator: a photo's crop → a first guess of its z, the start of a projection.

The encoder is trained on the generator's own (z, G(z)) pairs, the way In-Domain GAN Inversion
(Zhu et al. 2020) trains its encoder, so it needs no photos. `facegan.project` starts its
optimisation from the encoder's guess.

Encoders live beside the generators, in encoders/NAME.safetensors, their metadata naming the
generator file (and its SHA-256) they were trained on; a generator without a matching encoder
starts from the best of a few random latents instead.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from torch import nn

from . import __version__
from .export import file_sha256, save_safetensors
from .models import Generator

METADATA_KEY = "facegan_encoder"
ENCODERS = "encoders"  # the folder beside the generators that holds their encoders


@dataclass(frozen=True)
class EncoderConfig:
    nz: int = 100
    image_size: int = 64
    widths: tuple[int, ...] = (16, 32, 64, 128)

    def to_dict(self) -> dict:
        return asdict(self)


class Encoder(nn.Module):
    """Image in [-1, 1] → z: stride-2 convolutions down to 4×4, then a linear map (7 M multiply-adds a face)."""

    def __init__(self, config: EncoderConfig = EncoderConfig()) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        channels, size = 3, config.image_size
        for width in config.widths:
            layers += [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.LeakyReLU(0.2, True)]
            channels, size = width, size // 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels * size * size, config.nz)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images).flatten(1))


def psnr_of(images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """PSNR in dB per image of [-1, 1] images (peak-to-peak 2)."""
    mse = (images.float() - targets.float()).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(4.0 / mse)


def encoder_path(weights: Path) -> Path:
    """Where a generator file's encoder is: encoders/ beside it, under the same name."""
    return Path(weights).parent / ENCODERS / Path(weights).name


def train_encoder(generator: Generator, samples: int = 4_000, epochs: int = 10, batch_size: int = 128,
                  lr: float = 2e-3, seed: int = 0, log=print) -> tuple[Encoder, dict]:
    """An encoder fitted to `samples` of the generator's own (z, G(z)) pairs by mean squared error on z.

    The pairs are rendered once and reused every epoch: rendering is the costly half on a CPU.
    Returns the encoder (eval mode) and how well it does on 512 pairs it never saw.
    """
    torch.manual_seed(seed)
    nz, size = generator.config.nz, generator.config.image_size
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(samples + 512, nz, generator=rng)
    with torch.inference_mode():
        images = torch.cat([generator(chunk) for chunk in z.split(256)])
    z, test_z, images, test_images = z[:samples], z[samples:], images[:samples], images[samples:]
    encoder = Encoder(EncoderConfig(nz=nz, image_size=size))
    steps = epochs * (samples // batch_size)
    optimizer = torch.optim.AdamW(encoder.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=steps)
    started = time.perf_counter()
    for epoch in range(epochs):
        encoder.train()
        order, total = torch.randperm(samples, generator=rng), 0.0
        for i in range(samples // batch_size):
            idx = order[i * batch_size:(i + 1) * batch_size]
            loss = F.mse_loss(encoder(images[idx]), z[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        log(f"epoch {epoch + 1}/{epochs}: z error {total / (samples // batch_size):.3f} "
            f"({time.perf_counter() - started:.0f} s)")
    encoder.eval()
    with torch.inference_mode():
        guess = encoder(test_images)
        psnr = float(psnr_of(generator(guess), test_images).mean())
        z_error = float(F.mse_loss(guess, test_z))
    return encoder, {"samples": samples, "epochs": epochs, "seed": seed, "held_out_z_mse": round(z_error, 4),
                     "held_out_psnr": round(psnr, 2), "train_seconds": round(time.perf_counter() - started, 1)}


def save_encoder(encoder: Encoder, weights: Path, info: dict) -> Path:
    path = encoder_path(weights)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {**info, "generator": Path(weights).name, "generator_sha256": file_sha256(weights),
            "config": encoder.config.to_dict(), "facegan_version": __version__}
    tensors = {k: v.detach().contiguous() for k, v in encoder.state_dict().items()}
    save_safetensors(tensors, {METADATA_KEY: json.dumps(meta)}, path)
    return path


def load_encoder(weights: Path) -> tuple[Encoder, dict] | None:
    """The encoder trained on this very generator file, or None (none there, unreadable, or another file's)."""
    path = encoder_path(weights)
    if not path.is_file():
        return None
    try:
        with safe_open(path, "pt") as f:
            meta = json.loads((f.metadata() or {})[METADATA_KEY])
            tensors = {name: f.get_tensor(name) for name in f.keys()}
        if meta["generator_sha256"] != file_sha256(weights):
            return None
        config = meta["config"]
        encoder = Encoder(EncoderConfig(config["nz"], config["image_size"], tuple(config["widths"])))
        encoder.load_state_dict(tensors)
    except (SafetensorError, OSError, KeyError, ValueError, TypeError, RuntimeError):
        return None
    return encoder.eval().requires_grad_(False), meta
