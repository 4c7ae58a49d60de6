"""An encoder per generator: a photo's crop → a first guess of its z, the start of a projection.

The encoder is trained on the generator's own (z, G(z)) pairs, the way In-Domain GAN Inversion
(Zhu et al. 2020) trains its encoder, so it needs no photos. `facegan.project` starts its
optimisation from the encoder's guess.

Encoders live beside the generators, in encoders/NAME.safetensors, their metadata naming the
generator file (and its SHA-256) they were trained on. A generator without an encoder file has
none (the projector then starts from the best of a few random latents); an encoder file that
is there but cannot be used (unreadable, without its metadata, or trained on other weights) is
a CheckpointError naming it, never quietly replaced by that random start.
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
from .export import CheckpointError, file_sha256, save_safetensors
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


def _first_line(error: Exception) -> str:
    """An exception as one line: its message's first line, else its type's name."""
    message = str(error).strip()
    return message.splitlines()[0] if message else type(error).__name__


def encoder_metadata(weights: Path) -> dict | None:
    """The metadata of the encoder beside a generator file, checked without loading its weights: None when
    there is no encoder file; a CheckpointError naming the file when it is unreadable, has no usable
    metadata, or was trained on other weights (the generator file's SHA-256 differs)."""
    path = encoder_path(weights)
    if not path.is_file():
        return None
    try:
        with safe_open(path, "pt") as f:
            raw = (f.metadata() or {}).get(METADATA_KEY)
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"encoder {path} is not a readable safetensors file ({_first_line(error)})") from None
    if raw is None:
        raise CheckpointError(f"encoder {path} has no FaceGAN encoder metadata")
    try:
        meta = json.loads(raw)
        _config_of(meta)
        trained_on = meta["generator_sha256"]
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"encoder {path} has unusable metadata ({_first_line(error)})") from None
    if trained_on != file_sha256(weights):
        raise CheckpointError(f"encoder {path} was trained on other weights than {Path(weights).name} now holds "
                              f"(retrain it: python -m facegan.project --train-encoders)")
    return meta


def _config_of(meta: dict) -> EncoderConfig:
    """The encoder's configuration as its metadata records it."""
    config = meta["config"]
    return EncoderConfig(int(config["nz"]), int(config["image_size"]), tuple(int(w) for w in config["widths"]))


def load_encoder(weights: Path) -> tuple[Encoder, dict] | None:
    """The encoder trained on this very generator file and its metadata, or None when it has no encoder file.

    An encoder file that cannot be used (see `encoder_metadata`, or weights that do not fit its
    configuration) raises CheckpointError naming it.
    """
    meta = encoder_metadata(weights)
    if meta is None:
        return None
    path = encoder_path(weights)
    try:
        encoder = Encoder(_config_of(meta))
        with safe_open(path, "pt") as f:
            encoder.load_state_dict({name: f.get_tensor(name) for name in f.keys()})
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"encoder {path}: weights do not match its config ({_first_line(error)})") from None
    return encoder.eval().requires_grad_(False), meta
