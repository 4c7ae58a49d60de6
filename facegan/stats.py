"""Training statistics: the metrics.jsonl log and the loss-curve plot."""

from __future__ import annotations

import json
from pathlib import Path

from .figures import new_figure
from .files import atomic_write


class MetricsLog:
    """Append-only JSON lines, one row per logging interval.

    On resume, rows past the resumed step (logged after the last saved state)
    are dropped, so the log never holds a step twice.
    """

    def __init__(self, path: str | Path, resume_step: int | None = None) -> None:
        self.path = Path(path)
        if resume_step is None:
            self.path.write_text("")
        elif self.path.exists():
            rows = [r for r in read_metrics(self.path) if r["step"] <= resume_step]
            with atomic_write(self.path) as tmp:  # a kill mid-rewrite must not lose the rows kept
                tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def append(self, row: dict) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


def read_metrics(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


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
        row = {k: sum(r[k] for r in chunk) / len(chunk) for k in chunk[-1]}
        row.update(step=chunk[-1]["step"], images_seen=chunk[-1]["images_seen"])
        merged.append(row)
    return sorted(merged + evals, key=lambda r: (r["step"], "fid" in r))
