"""Noise, interpolation, generation and image grids: what training snapshots and the app need."""

from __future__ import annotations

import io
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image

from .files import atomic_write
from .models import Generator


def seeded_noise(n: int, nz: int, seed: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """N×nz standard-normal latents from a seed: same seed, same faces.

    Drawn row by row, because the CPU generator's output for one big tensor depends
    on its size; this way face k of a seed stays the same whatever n is.
    """
    rng = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randn(nz, generator=rng) for _ in range(n)]).to(device)


def truncate(z: torch.Tensor, scale: float) -> torch.Tensor:
    """Scale latents towards the mean: below 1, less variety and fewer artefacts."""
    return z * scale


def lerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    return a + (b - a) * t


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation of direction, linear of length.

    A straight line between two Gaussian latents cuts through the low-norm middle
    of the distribution, where generators produce washed-out faces; walking the
    great circle keeps ‖z‖ between the endpoints' norms. t=0 and t=1 return the
    endpoints exactly.
    """
    if t <= 0:
        return a.clone()
    if t >= 1:
        return b.clone()
    na, nb = a.norm(dim=-1, keepdim=True), b.norm(dim=-1, keepdim=True)
    ua, ub = a / na, b / nb
    omega = torch.arccos((ua * ub).sum(-1, keepdim=True).clamp(-1, 1))
    so = torch.sin(omega)
    direction = torch.where(so < 1e-6, lerp(ua, ub, t),
                            (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / so.clamp_min(1e-12))
    direction = direction / direction.norm(dim=-1, keepdim=True)
    return direction * lerp(na, nb, t)


def interpolate(a: torch.Tensor, b: torch.Tensor, ts: list[float], method: str = "slerp") -> torch.Tensor:
    """One latent per t, stacked: a batch that renders a whole walk in one forward pass."""
    step = slerp if method == "slerp" else lerp
    return torch.stack([step(a, b, t) for t in ts])


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bf16 autocast pays off: on GPUs and on CPUs with bf16 units (AMX, AVX512-BF16).

    Elsewhere (AVX2 only) oneDNN runs bf16 convolutions through reference kernels, far slower
    than fp32 (figures in docs/benchmarks.md).
    """
    return device.type != "cpu" or torch.ops.mkldnn._is_mkldnn_bf16_supported()


@torch.inference_mode()
def render(generator: Generator, z: torch.Tensor, fast: bool = True) -> torch.Tensor:
    """uint8 N×3×H×W images for display, under bf16 autocast when fast.

    bf16 with a channels_last generator is the fast path on CPUs with bf16 units (figures in
    docs/benchmarks.md) and moves pixels by at most a few uint8 levels (tests bound it); fp32
    where bf16 is slow.
    """
    device = next(generator.parameters()).device
    fast = fast and bf16_is_fast(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=fast):
        return to_uint8(generator(z.to(device)).float())


def render_together(generator: Generator, zs: list[torch.Tensor]) -> list[torch.Tensor]:
    """`render` of several callers' latents in one forward pass, cut back into each caller's faces. In eval mode
    every face depends on its own z alone, so each caller gets what rendering alone gives."""
    faces = render(generator, torch.cat(zs))
    return list(faces.split([len(z) for z in zs]))


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats → uint8 in [0, 255], rounded to the nearest level."""
    return images.add(1).mul(127.5).add(0.5).clamp(0, 255).to(torch.uint8)


def from_uint8(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 N×3×H×W → [-1, 1] floats at size×size (bilinear, antialiased): to_uint8's inverse, resized."""
    x = images.float().div(127.5).sub(1.0)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return x


def resize_faces(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 N×3×H×W faces at size×size (bilinear, antialiased), still uint8."""
    if images.shape[-1] == size:
        return images
    x = F.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return x.round().clamp(0, 255).to(torch.uint8)


def grid_columns(count: int) -> int:
    """Columns of a near-square grid of count images: ceil(sqrt(count)), at least 1."""
    return max(1, int(count ** 0.5 + 0.999))


def grid(images: torch.Tensor, nrow: int | None = None, padding: int = 2, pad_value: int = 255) -> torch.Tensor:
    """N×C×H×W → one C×H'×W' near-square grid (nrow defaults to `grid_columns`), pad_value between and around."""
    n, channels, height, width = images.shape
    nrow = min(nrow or grid_columns(n), n)
    rows = -(-n // nrow)
    canvas = images.new_full((channels, rows * (height + padding) + padding, nrow * (width + padding) + padding),
                             pad_value)
    for i, image in enumerate(images):
        top, left = padding + (i // nrow) * (height + padding), padding + (i % nrow) * (width + padding)
        canvas[:, top:top + height, left:left + width] = image
    return canvas


def save_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None) -> torch.Tensor:
    """[-1, 1] images as one PNG grid with white padding, written whole (a reader of a run never meets half a
    grid); returns the grid, uint8 C×H×W."""
    canvas = grid(to_uint8(images.float().cpu()), nrow)
    with atomic_write(path) as tmp:
        Image.fromarray(canvas.permute(1, 2, 0).numpy()).save(tmp, format="PNG")
    return canvas


def to_pil(images: torch.Tensor, nrow: int | None = None, padding: int = 2) -> Image.Image:
    """uint8 N×3×H×W → one PIL grid (white padding), or the image itself when N=1."""
    canvas = images[0] if len(images) == 1 else grid(images, nrow, padding)
    return Image.fromarray(canvas.permute(1, 2, 0).cpu().numpy())


def display_grid(images: torch.Tensor, face_px: int, nrow: int | None = None, padding: int = 2) -> Image.Image:
    """uint8 N×3×H×W → a PIL grid (white padding) with every face resized to face_px, for display only.

    Lanczos, not nearest-neighbour: these are photographs, and at 3–6× nearest-neighbour draws
    each pixel as a visible square that hides the face behind a mosaic, and at non-integer
    factors (1.5×) repeats some rows and not others; Lanczos keeps edges sharp and reads as a
    photo at any factor. Each face is
    resized on its own so the white padding never rings into it. The native pixels stay
    available through `to_pil`.
    """
    nrow = min(nrow or grid_columns(len(images)), len(images))
    rows = -(-len(images) // nrow)
    cell = face_px + padding
    canvas = Image.new("RGB", (nrow * cell + padding, rows * cell + padding), (255, 255, 255))
    faces = images.permute(0, 2, 3, 1).cpu().numpy()
    for i, face in enumerate(faces):
        picture = Image.fromarray(face).resize((face_px, face_px), Image.LANCZOS)
        canvas.paste(picture, (padding + (i % nrow) * cell, padding + (i // nrow) * cell))
    return canvas


def gif_bytes(frames: torch.Tensor, duration_ms: int = 80, bounce: bool = True) -> bytes:
    """uint8 N×3×H×W frames as a looping GIF (there and back again when bounce)."""
    pictures = [Image.fromarray(f.permute(1, 2, 0).cpu().numpy()) for f in frames]
    if bounce and len(pictures) > 2:
        pictures += pictures[-2:0:-1]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
    return buffer.getvalue()
