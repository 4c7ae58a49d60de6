"""Image folders → one uint8 tensor on the training device.

Images are decoded once (centre crop, resize, RGB) and cached on disk as
safetensors, so the second run on the same folder starts in seconds; training
then draws batches by indexing that tensor on the device, with no PIL work and
no DataLoader on the hot path.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .distributed import World
from .files import atomic_write
from .images import IMAGE_EXTENSIONS, load_image

CACHE_FORMAT = 1


class DataError(ValueError):
    """A data folder that cannot be trained on; the message says why."""


def default_cache_dir() -> Path:
    if "FACEGAN_CACHE" in os.environ:
        return Path(os.environ["FACEGAN_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "facegan"


def find_images(root: str | Path) -> list[Path]:
    """Every image file under root, recursively, in a stable order."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"data folder not found: {root}")
    return sorted(
        p for p in root.rglob("*")
        if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file() and not p.name.startswith(".")
    )


def _try_load(path: Path, size: int) -> np.ndarray | str:
    try:
        return load_image(path, size)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        return f"{path.name} ({type(error).__name__}: {error})"


def folder_fingerprint(root: Path, files: list[Path], *keys: object) -> str:
    """A short hash of keys and of the files' names, sizes and mtimes: what caches of a folder are keyed by."""
    digest = hashlib.sha256("|".join(map(str, keys)).encode())
    for f in files:
        stat = f.stat()
        digest.update(f"|{f.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def warn_skipped(skipped: list[str]) -> None:
    if skipped:
        shown = "; ".join(skipped[:3]) + (" …" if len(skipped) > 3 else "")
        warnings.warn(f"skipped {len(skipped)} unreadable image(s): {shown}", stacklevel=2)


def load_folder(root: str | Path, size: int, cache_dir: Path | None = None) -> torch.Tensor:
    """All usable images under root as an N×3×size×size uint8 tensor (CPU).

    Unreadable, truncated and oversized (decompression-bomb) files are skipped
    with one warning; a folder with nothing usable raises DataError.
    """
    root = Path(root)
    files = find_images(root)
    if not files:
        raise DataError(
            f"no images in {root} (looked recursively for {', '.join(sorted(IMAGE_EXTENSIONS))})"
        )
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    cache = cache_dir / f"{folder_fingerprint(root, files, CACHE_FORMAT, size)}.safetensors"
    if cache.exists():
        try:
            with safe_open(cache, "pt") as f:
                images, skipped = f.get_tensor("images"), json.loads(f.metadata()["skipped"])
            warn_skipped(skipped)
            return images
        except (OSError, KeyError, ValueError, SafetensorError):
            pass  # a damaged cache is rebuilt below

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(partial(_try_load, size=size), files, chunksize=64))
    arrays = [r for r in results if isinstance(r, np.ndarray)]
    skipped = [r for r in results if isinstance(r, str)]
    if not arrays:
        raise DataError(f"none of the {len(files)} image files in {root} could be read: {skipped[0]}")
    warn_skipped(skipped)
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache) as tmp:
            save_file({"images": images}, tmp, metadata={"root": str(root), "skipped": json.dumps(skipped)})
    except OSError as error:
        warnings.warn(f"could not write the image cache in {cache_dir}: {error}", stacklevel=2)
    return images


class ImageBank:
    """The data set resident on the training device, served as fixed-shape batches.

    Batch k of the run is a pure function of (seed, k): epoch k // per_epoch is a
    seeded permutation, so resuming needs only the batch counter. Under torchrun the
    permutation is cut into global batches of batch_size × world.size and each rank
    takes its own disjoint slice. The last partial batch of each epoch is dropped to
    keep shapes fixed (cudnn.benchmark, compile).
    """

    def __init__(self, images: torch.Tensor, batch_size: int, seed: int, device: torch.device,
                 world: World = World()) -> None:
        global_batch = batch_size * world.size
        if global_batch > len(images):
            raise DataError(f"batch size {global_batch} is larger than the data set ({len(images)} images)")
        self.images = images.to(device).contiguous(memory_format=torch.channels_last)
        self.batch_size, self.seed, self.world = batch_size, seed, world
        self.per_epoch = len(images) // global_batch
        self._epoch, self._order = -1, None

    def __len__(self) -> int:
        return len(self.images)

    def indices(self, k: int) -> torch.Tensor:
        """The data set indices (on the device) of this rank's share of real batch k."""
        epoch, i = divmod(k, self.per_epoch)
        if epoch != self._epoch:
            rng = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._order = torch.randperm(len(self.images), generator=rng).to(self.images.device)
            self._epoch = epoch
        B, world = self.batch_size, self.world
        start = (i * world.size + world.rank) * B
        return self._order[start:start + B]

    def fetch(self, indices: torch.Tensor) -> torch.Tensor:
        """Those images in [-1, 1], float32, randomly flipped left-right: device work only, no host sync,
        so a CUDA graph can capture it with indices in a static buffer."""
        B, world = self.batch_size, self.world
        x = self.images.index_select(0, indices)
        # Flips are drawn for the global batch, so every rank's RNG stays in step.
        flip = (torch.rand(B * world.size, 1, 1, 1, device=x.device) < 0.5)[world.my_slice(B)]
        x = torch.where(flip, x.flip(3), x)
        # One copy does dtype and layout together; the scaling is then in place.
        return x.to(torch.float32, memory_format=torch.channels_last).div_(127.5).sub_(1.0)

    def batch(self, k: int) -> torch.Tensor:
        """This rank's share of real batch k."""
        return self.fetch(self.indices(k))

