"""Shared fixtures: a small synthetic face-like image folder and an isolated cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

# Real faces (utkface64/, celeba10k/) where the test environment has them: docs/development.md.
SHARED_DATA = Path(os.environ.get("FACEGAN_TEST_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory) -> Path:
    """Two small exported generators, their training record, one corrupt file, the age/gender judge and the Lab's
    presets and measured suites (all that the studio reads from its checkpoints folder)."""
    import json

    from facegan.export import export_generator
    from facegan.models import Generator, ModelConfig

    folder = tmp_path_factory.mktemp("checkpoints")
    for i, mode in enumerate(["dcgan", "wgan"]):
        import torch

        torch.manual_seed(i)
        export_generator(Generator(ModelConfig(ngf=8, image_size=32)).eval(), folder / f"{mode}.safetensors",
                         {"mode": mode, "steps": 100 * (i + 1), "images_seen": 12800,
                          "metrics": {"fid": 99.5, "kid": 0.1, "kid_std": 0.01, "num": 50, "reference": "toy",
                                      "reference_size": 40}})
    rows = [{"step": s, "images_seen": s * 8, "loss_d": 1.0 / s, "loss_g": 2.0, "wasserstein": 0.5}
            for s in range(1, 6)]
    (folder / "dcgan.metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "dcgan.progress").mkdir()
    Image.new("RGB", (138, 138), (200, 100, 50)).save(folder / "dcgan.progress" / "step_0000005.png")
    (folder / "broken.safetensors").write_bytes(b"\x00" * 64)
    add_directions(folder / "dcgan.safetensors")  # wgan has none: the Edit tab must say so
    add_judge(folder)
    shutil.copytree(Path(__file__).resolve().parents[1] / "checkpoints" / "lab", folder / "lab")
    return folder


def add_judge(folder: Path) -> None:
    """The shipped age/gender judge, where the studio looks for it: in its checkpoints folder."""
    from facegan.attributes import IN_CHECKPOINTS

    (folder / IN_CHECKPOINTS).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(__file__).resolve().parents[1] / "checkpoints" / IN_CHECKPOINTS, folder / IN_CHECKPOINTS)


def add_directions(weights: Path) -> None:
    """Edit directions as `facegan.editing fit` stores them, made up (no predictor needed): age along z0, gender
    along a mix of z0 and z1, so the conditional and plain edits differ."""
    import torch

    from facegan.editing import Directions, without
    from facegan.export import update_metadata

    age, gender = torch.zeros(100), torch.zeros(100)
    age[0], gender[0], gender[1] = 1.0, 0.6, 0.8
    d = Directions(age, gender, without(age, gender), without(gender, age), 35.0, 12.0, 0.0, 3.0)
    update_metadata(weights, {"editing": {
        "directions": d.to_dict(),
        "predictor": {"age_mae": 6.4, "gender_accuracy": 0.91, "age_mae_by_band": {"0-12": {"mae": 3.1, "n": 9}}},
        "effect": {"samples": 1000, "age": {"age_change": 41.5, "monotonic": True, "female_drift": 0.04},
                   "gender": {"flipped": 0.86, "age_drift": 2.5}}}})


@pytest.fixture(scope="session")
def app_url(tiny_checkpoints):
    """The studio over the tiny checkpoints, launched in this process on a free port."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from facegan.ui import create_app, launch

    demo = create_app(tiny_checkpoints)
    port = free_port()
    launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()
