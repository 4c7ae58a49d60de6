"""A run's training record: the files of its run folder, and beside its export the downsampled metrics and a few
fixed-noise grids.

The studio and the Hub card show how training went from these small files; the weights file itself
(export.py) holds only what rebuilds the generator.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from PIL import Image

from .export import read_metadata
from .stats import downsample, read_metrics

METRICS_FILE = "metrics.jsonl"
CONFIG_FILE = "config.json"  # the run's recipe (TrainConfig as JSON), written as training starts
SNAPSHOT = re.compile(r"samples_(\d+)\.png")  # a fixed-noise grid of the run, named by its generator step


def snapshot_name(step: int) -> str:
    return f"samples_{step:07d}.png"


def snapshots(run_dir: str | Path) -> list[tuple[Path, int]]:
    """A run folder's fixed-noise grids and their generator steps, in step order."""
    found = [(p, int(m[1])) for p in Path(run_dir).glob("samples_*.png") if (m := SNAPSHOT.fullmatch(p.name))]
    return sorted(found, key=lambda snapshot: snapshot[1])


def record_paths(export_path: str | Path) -> tuple[Path, Path]:
    """Where an export's training record lives: NAME.metrics.jsonl and the NAME.progress/ folder."""
    stem = str(Path(export_path).with_suffix(""))
    return Path(f"{stem}.metrics.jsonl"), Path(f"{stem}.progress")


def progress_grids(export_path: str | Path) -> list[tuple[Path, int]]:
    """The fixed-noise grids of an export's training record and their generator steps, in step order."""
    progress = record_paths(export_path)[1]
    return [(p, int(p.stem.split("_")[1])) for p in sorted(progress.glob("step_[0-9]*.png"))]


def export_training_record(run_dir: str | Path, export_path: str | Path, grids: int = 6) -> None:
    """Small files beside an export that let the app show how training went.

    NAME.metrics.jsonl: the run's metrics, downsampled to a few hundred rows.
    NAME.progress/step_N.png: the fixed-noise grids of up to `grids` snapshots
    along the run (and the last), cut to their first 4×4 faces.
    """
    run_dir = Path(run_dir)
    metrics_path, progress = record_paths(export_path)
    metrics = run_dir / METRICS_FILE
    if metrics.exists():
        rows = downsample(read_metrics(metrics))
        metrics_path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    grids_along = snapshots(run_dir)
    if not grids_along:
        return
    picks = sorted({grids_along[round(i * (len(grids_along) - 1) / max(grids - 1, 1))] for i in range(grids)})
    progress.mkdir(exist_ok=True)
    for old in progress.glob("step_*.png"):
        old.unlink()
    size = read_metadata(export_path)["model"]["image_size"]
    cell = size + 2  # save_grid's padding
    for snapshot, step in picks:
        with Image.open(snapshot) as image:
            image.crop((0, 0, 4 * cell + 2, 4 * cell + 2)).save(progress / f"step_{step:07d}.png")


def recipe(meta: dict) -> str:
    """The training recipe a weights file records: optimiser, learning rates, critic steps, constraint, EMA."""
    config = meta.get("train_config", {})
    keys = ("optimizer", "lr_g", "lr_d", "beta1", "beta2", "n_critic", "clip", "gp_lambda", "ema_decay")
    return ", ".join(f"{k}={config[k]}" for k in keys if k in config)
