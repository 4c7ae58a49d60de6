"""Generator weights as safetensors, with the config to rebuild them in the metadata.

The file is self-describing: `load_generator` needs nothing but the path, and
no pickle is ever read or written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from . import __version__
from .files import atomic_write
from .models import Generator, ModelConfig

METADATA_KEY = "facegan"
EXPORT_DTYPES = {"fp32": torch.float32, "fp16": torch.float16}


class CheckpointError(ValueError):
    """A weights file that is missing, corrupt, or not a FaceGAN generator."""


def export_generator(generator: Generator, path: str | Path, info: dict, dtype: str = "fp32") -> None:
    """Write the generator atomically; info (mode, steps, data set…) joins the metadata."""
    if dtype not in EXPORT_DTYPES:
        raise ValueError(f"export dtype must be one of {sorted(EXPORT_DTYPES)}, got {dtype!r}")
    tensors = {
        name: (t.to(EXPORT_DTYPES[dtype]) if t.is_floating_point() else t).detach().cpu().contiguous()
        for name, t in generator.state_dict().items()
    }
    meta = {**info, "model": generator.config.to_dict(), "dtype": dtype, "facegan_version": __version__}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_safetensors(tensors, {METADATA_KEY: json.dumps(meta)}, Path(path))


def save_safetensors(tensors: dict[str, torch.Tensor], metadata: dict[str, str], path: Path) -> None:
    """Atomic (temp file + rename): a crash mid-write leaves the old file whole."""
    with atomic_write(path) as tmp:
        save_file(tensors, tmp, metadata=metadata)


def file_sha256(path: str | Path) -> str:
    """A file's SHA-256, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_metadata(path: str | Path) -> dict:
    """The FaceGAN metadata of a weights file, without loading the tensors."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file not found: {path}")
    try:
        with safe_open(path, "pt") as f:
            raw = (f.metadata() or {}).get(METADATA_KEY)
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{path.name} is not a readable safetensors file ({error})") from None
    if raw is None:
        raise CheckpointError(f"{path.name} has no FaceGAN metadata: not exported by facegan")
    try:
        meta = json.loads(raw)
        ModelConfig(**meta["model"])
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{path.name} has unusable FaceGAN metadata ({error})") from None
    return meta


def load_generator(path: str | Path) -> tuple[Generator, dict]:
    """A ready generator (CPU, fp32, eval mode) and its metadata, from an exported file."""
    meta = read_metadata(path)
    generator = Generator(ModelConfig(**meta["model"]))
    try:
        with safe_open(path, "pt") as f:
            tensors = {name: f.get_tensor(name) for name in f.keys()}
        expected = generator.state_dict()
        for name, t in tensors.items():
            if name in expected and t.is_floating_point():
                tensors[name] = t.to(expected[name].dtype)
        generator.load_state_dict(tensors)
    except (SafetensorError, OSError, RuntimeError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise CheckpointError(f"{Path(path).name}: weights do not match its config ({first_line})") from None
    return generator.eval(), meta


def update_metadata(path: str | Path, extra: dict) -> None:
    """Merge extra into a weights file's FaceGAN metadata (tensors untouched), atomically."""
    meta = read_metadata(path)
    path = Path(path)
    with safe_open(path, "pt") as f:
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    save_safetensors(tensors, {METADATA_KEY: json.dumps({**meta, **extra})}, path)
