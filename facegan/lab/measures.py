"""What the Lab measures: the exact W1 to the data, KL and JS by grid, modes covered, correlations, gradient norms."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy.spatial.distance import cdist

from .targets import VIEW

COVERED_SHARE = 0.25  # a mode is covered when it holds ≥ 25% of its fair share of samples within 3σ
GRID_BINS, SMOOTHING = 30, 1e-4  # GAN Lab's divergences by grid: 30×30 cells over the data square


def wasserstein1(a: np.ndarray, b: np.ndarray) -> float:
    """The exact W1 between two equal-size point sets, uniform weights: POT's network simplex (`ot.emd2`).

    (An assignment solver gives the same number, since optimal transport between equal-size uniform sets
    is a matching, but slows down on a collapsed generator's clustered points; docs/lab.md has the figures.)
    """
    if len(a) != len(b):
        raise ValueError("wasserstein1 needs two point sets of the same size")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")  # a diverged generator: no distance to speak of
    import ot  # POT takes seconds to import: only when a distance is asked for

    return float(ot.emd2([], [], cdist(a, b)))


def grid_histogram(points: np.ndarray) -> np.ndarray:
    """The share of points in each of GRID_BINS² cells over [-VIEW, VIEW]²; a point outside counts in the
    nearest edge cell, so the shares always sum to 1."""
    inside = np.clip(points, -VIEW, VIEW - 1e-9)
    counts, _, _ = np.histogram2d(inside[:, 0], inside[:, 1], bins=GRID_BINS, range=[[-VIEW, VIEW]] * 2)
    return counts / max(len(points), 1)


def grid_divergences(real: np.ndarray, fake: np.ndarray) -> tuple[float, float]:
    """(KL(real‖fake), JS) in bits between a real grid histogram and the generated points' (or two histograms).

    KL reads a cell where nothing was generated as holding SMOOTHING, so that it gives a large but finite number
    (and equal grids still give 0); JS needs no smoothing (its mixture is positive wherever either grid is), and
    lies in [0, 1] bit: 0 for equal grids, 1 for disjoint ones."""
    if not np.isfinite(fake).all():
        return float("nan"), float("nan")  # a diverged generator
    p = real
    q = fake if fake.shape == real.shape else grid_histogram(fake)
    kl = _kl_bits(p, np.maximum(q, SMOOTHING))
    m = (p + q) / 2
    js = 0.5 * _kl_bits(p, m) + 0.5 * _kl_bits(q, m)
    return max(kl, 0.0), float(min(max(js, 0.0), 1.0))


def _kl_bits(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p‖q) in bits over the cells where p > 0 (q must be > 0 there)."""
    used = p > 0
    return float(np.sum(p[used] * np.log2(p[used] / q[used])))


def mode_coverage(points: np.ndarray, centers: np.ndarray, sigma: float) -> tuple[int, float]:
    """(modes covered, high-quality share) by the Lab's own rule, stricter than the papers' code (which counts a
    mode captured with one high-quality sample: `literature_metrics`), so that a generator spread thinly over
    the plane does not cover every mode with stray samples.

    A sample is high quality when it lies within 3σ of some mode; a mode is covered when at least
    COVERED_SHARE of its fair share (N/K) of samples lies within 3σ of it.
    """
    counts = mode_histogram(points, centers, sigma)
    return int((counts >= COVERED_SHARE * len(points) / len(centers)).sum()), float(counts.sum() / len(points))


def mode_histogram(points: np.ndarray, centers: np.ndarray, sigma: float, threshold: float = 3.0) -> np.ndarray:
    """High-quality samples per mode, as PacGAN's `MetricLogger(dis_thre=3)` counts them: each sample goes
    to its nearest mode by σ-normalised distance, and counts there when that distance is under threshold."""
    distance = cdist(points, centers) / sigma
    nearest = distance.argmin(1)
    good = distance[np.arange(len(points)), nearest] < threshold
    return np.bincount(nearest[good], minlength=len(centers))


def literature_metrics(points: np.ndarray, centers: np.ndarray, sigma: float) -> dict:
    """The PacGAN paper's numbers from the histogram of high-quality samples per mode, as its code's
    `MetricLogger` computes them: modes captured (at least one sample), the high-quality share, and the reverse
    KL, KL(histogram ‖ uniform) = log K − H(histogram), nan when no sample is of high quality."""
    counts = mode_histogram(points, centers, sigma)
    share = counts / max(counts.sum(), 1)
    entropy = -np.sum(share[share > 0] * np.log(share[share > 0]))
    return {"modes": int((counts > 0).sum()), "high_quality": float(counts.sum() / len(points)),
            "reverse_kl": float(np.log(len(centers)) - entropy) if counts.sum() else float("nan")}


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's r; nan when either series is constant."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def total_norm(tensors: Sequence[torch.Tensor]) -> float:
    """‖(t₁, t₂, …)‖₂ over all the tensors' elements."""
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in tensors])).item()
