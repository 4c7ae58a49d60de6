"""Shared fixtures: a small synthetic face-like image folder and an isolated cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TINY = ["--image-size", "32", "--ngf", "8", "--ndf", "8", "--batch-size", "8", "--no-progress"]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEGAN_CACHE", str(tmp_path / "cache"))


def write_images(folder: Path, count: int, seed: int = 0) -> Path:
    """Blobs on noisy backgrounds, non-square, in several formats and subfolders."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        h, w = 40 + i % 7, 36 + i % 5
        yy, xx = np.mgrid[:h, :w]
        blob = ((yy - h / 2) ** 2 + (xx - w / 2) ** 2) < (min(h, w) / 3) ** 2
        pixels = rng.integers(0, 80, (h, w, 3))
        pixels[blob] = rng.integers(120, 256, 3)
        sub = folder / f"part{i % 3}"
        sub.mkdir(parents=True, exist_ok=True)
        ext = ("png", "jpg", "webp", "bmp")[i % 4]
        Image.fromarray(pixels.astype(np.uint8)).save(sub / f"img{i:03d}.{ext}")
    return folder


@pytest.fixture
def image_folder(tmp_path) -> Path:
    return write_images(tmp_path / "faces", 40)
