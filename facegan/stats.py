"""Training statistics: the metrics.jsonl log and the loss-curve plot."""

from __future__ import annotations

import json
from pathlib import Path


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
            self.path.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def append(self, row: dict) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


def read_metrics(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def plot_curves(rows: list[dict], path: str | Path, title: str = "") -> None:
    """Losses (and the critic's Wasserstein estimate, for WGANs) against images seen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seen = [r["images_seen"] for r in rows]
    keys = [k for k in ("loss_d", "loss_g", "wasserstein") if rows and k in rows[0]]
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    for ax, key in zip(axes[0], keys):
        ax.plot(seen, [r[key] for r in rows], lw=1)
        ax.set_title(key)
        ax.set_xlabel("real images seen")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
