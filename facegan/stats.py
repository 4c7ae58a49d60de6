"""Training statistics: the metrics.jsonl log, its incremental reader, and the curve plots."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

from PIL import Image

from .figures import new_figure, save_figure
from .files import atomic_write

# Every number a metrics row may hold that is a curve, by the section TensorBoard shows it in. The rest of a
# row says when (step) or how a score was measured (num, reference, reference_size).
SECTIONS = {
    "train": ("loss_d", "loss_g", "d_real", "d_fake", "wasserstein"),
    "progress": ("images_seen", "images_per_s", "wall_time"),
    "scores": ("fid", "kid", "kid_std", "precision", "recall", "density", "coverage"),
}
CURVE_KEYS = {key for keys in SECTIONS.values() for key in keys}


class MetricsLog:
    """Append-only JSON lines, one row per logging interval.

    On resume, rows past the resumed step (logged after the last saved state)
    are dropped, so the log never holds a step twice. Starting or rewriting the
    file replaces it whole, which tells a MetricsReader to read it again.
    """

    def __init__(self, path: str | Path, resume_step: int | None = None) -> None:
        self.path = Path(path)
        rows = []
        if resume_step is not None and self.path.exists():
            rows = [r for r in read_metrics(self.path) if r["step"] <= resume_step]
        with atomic_write(self.path) as tmp:  # a kill mid-rewrite must not lose the rows kept
            tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def append(self, row: dict) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


class MetricsReader:
    """The rows of a metrics.jsonl that may still be growing, read incrementally.

    Each `read` parses only the bytes appended since the last one, up to the last whole line: a line still being
    written, or cut off by a kill, is left for later (`partial` says one is there). A file that was replaced or
    shortened since (a run started again or resumed) is read again from its start. A line that is not a metrics
    record is a ValueError naming it; the rows before it stay in `rows`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rows: list[dict] = []
        self.offset, self.lines = 0, 0  # bytes and lines parsed: up to the end of the last whole line
        self.partial = False  # bytes after it, not yet ended by a newline
        self._file: tuple[int, int] | None = None  # (device, inode) of the file read

    def read(self) -> list[dict]:
        with open(self.path, "rb") as f:
            stat = os.fstat(f.fileno())
            if (stat.st_dev, stat.st_ino) != self._file or stat.st_size < self.offset:
                self.rows, self.offset, self.lines, self._file = [], 0, 0, (stat.st_dev, stat.st_ino)
            f.seek(self.offset)
            appended = f.read()
        whole = appended[:appended.rfind(b"\n") + 1]
        self.partial = len(appended) > len(whole)
        for line in whole.splitlines(keepends=True):
            if line.strip():
                self.rows.append(self._parse(line))
            self.offset, self.lines = self.offset + len(line), self.lines + 1
        return self.rows

    def _parse(self, line: bytes) -> dict:
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if (not isinstance(row, dict) or not isinstance(row.get("step"), int)
                or not all(isinstance(row[key], int | float) for key in row.keys() & CURVE_KEYS)):
            raise ValueError(f"{self.path}, line {self.lines + 1}: not a metrics record")
        return row


def read_metrics(path: str | Path) -> list[dict]:
    """Every whole row of a metrics file (a last line cut off by a kill is left out)."""
    return MetricsReader(path).read()


CURVES = {"loss_d": "discriminator / critic loss", "loss_g": "generator loss",
          "wasserstein": "E[D(x)] - E[D(G(z))]", "fid": "FID (EMA generator)"}


def plot_curves(rows: list[dict], path: str | Path, title: str = "") -> None:
    """Losses, the critic's Wasserstein estimate and FID (where measured) against images seen."""
    series = {key: [(r["images_seen"], r[key]) for r in rows if key in r] for key in CURVES}
    series = {key: points for key, points in series.items() if points}
    fig = new_figure(width=4 * len(series), height=3)
    axes = fig.subplots(1, len(series), squeeze=False)
    for ax, (key, points) in zip(axes[0], series.items(), strict=True):
        ax.plot(*zip(*points, strict=True), lw=1, marker="o" if key == "fid" else None)
        ax.set_title(CURVES[key])
        ax.set_xlabel("real images seen")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def is_number(value: object) -> bool:
    """A finite int or float: what a curve can draw (a diverged run logs NaN; a damaged record anything)."""
    return isinstance(value, int | float) and math.isfinite(value)


# The Runs view's panels: quantities of SECTIONS that share a scale, drawn together.
PANELS = (("loss_d", "loss_g"), ("d_real", "d_fake"), ("wasserstein",), ("images_per_s",),
          ("fid",), ("kid",), ("precision", "recall"), ("density", "coverage"))


def plot_run(rows: list[dict], references: Mapping[str, Mapping[str, float]]) -> Image.Image | None:
    """Each panel of PANELS that the rows have numbers for, against generator steps, with each reference's value
    of a quantity (name → quantity → value) as a dashed line of the quantity's colour, labelled with its name.

    Its only words are the quantities' names as metrics.jsonl and TensorBoard spell them, so one picture serves
    every language. None when the rows have no curve yet.
    """
    panels = [keys for keys in PANELS if any(key in row for row in rows for key in keys)]
    if not panels:
        return None
    columns = min(4, len(panels))
    lines = -(-len(panels) // columns)
    fig = new_figure(width=3.2 * columns, height=2.4 * lines)
    axes = list(fig.subplots(lines, columns, squeeze=False).flat)
    for ax, keys in zip(axes, panels, strict=False):
        for color, key in zip(("tab:blue", "tab:orange"), keys, strict=False):
            points = [(r["step"], r[key]) for r in rows if is_number(r.get(key))]
            if points:
                ax.plot(*zip(*points, strict=True), color=color, lw=1, label=key,
                        marker="o" if len(points) < 50 else None, markersize=3)
            for name, values in references.items():
                if key in values:
                    ax.axhline(values[key], color=color, ls="--", lw=0.8, alpha=0.6)
                    ax.annotate(name, (1, values[key]), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                                fontsize=7, color=color)
        ax.set_title(" · ".join(keys), fontsize=9)
        if keys == ("images_per_s",):  # a laptop's run beside a GPU's: orders of magnitude apart
            ax.set_yscale("log")
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if len(keys) > 1:
            ax.legend(fontsize=7, loc="upper left")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return save_figure(fig, None)


def downsample(rows: list[dict], max_rows: int = 300) -> list[dict]:
    """At most max_rows training rows, each the mean of a run of consecutive rows.

    Evaluation rows (those with "fid") are few and all kept; step and images_seen
    come from the last row of each run.
    """
    train = [r for r in rows if "loss_d" in r]
    evals = [r for r in rows if "fid" in r]
    size = max(1, -(-len(train) // max_rows))
    merged = []
    for i in range(0, len(train), size):
        chunk = train[i:i + size]
        row = {k: sum(r[k] for r in chunk) / len(chunk) for k in chunk[-1]
               if all(isinstance(r.get(k), int | float) for r in chunk)}  # numbers only: a stray text is left out
        row.update({k: chunk[-1][k] for k in ("step", "images_seen") if k in chunk[-1]})
        merged.append(row)
    return sorted(merged + evals, key=lambda r: (r["step"], "fid" in r))
