"""A run's TensorBoard events: its curves, fixed-noise grids and recipe, beside metrics.jsonl in the run folder.

`tensorboard --logdir runs` then shows every run of the folder together. TensorBoard's own writer
(torch.utils.tensorboard) writes them, and its readers stop at the last whole record of a file cut off by a kill.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter

from .stats import SECTIONS

FLUSH_S = 10  # at most this far behind the run, a TensorBoard watching it
TAGS = {key: f"{section}/{key}" for section, keys in SECTIONS.items() for key in keys}
GRID_TAG = "samples/fixed_noise"


def recipe_markdown(config: dict) -> str:
    """A TrainConfig (as dataclasses.asdict gives it) as a Markdown table, the model's fields as model.NAME."""
    flat = {**{k: v for k, v in config.items() if k != "model"},
            **{f"model.{k}": v for k, v in config.get("model", {}).items()}}
    return "| setting | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in flat.items())


class RunEvents:
    """One run's event stream, written by the main process only.

    A resumed run continues the stream: TensorBoard discards the events past the resumed step (its purge_step),
    logged after the last saved state and about to be logged again, as MetricsLog drops such rows.
    """

    def __init__(self, run_dir: str | Path, config: dict, step: int, resumed: bool) -> None:
        self.writer = SummaryWriter(str(run_dir), purge_step=step + 1 if resumed else None, flush_secs=FLUSH_S)
        self.writer.add_text("recipe", recipe_markdown(config), step)
        self.grid_step: int | None = None  # the last grid's step: the final grid may repeat the last snapshot

    def scalars(self, row: dict) -> None:
        """A metrics row's curves, at its step."""
        for key, value in row.items():
            if key in TAGS:
                self.writer.add_scalar(TAGS[key], value, row["step"])

    def grid(self, canvas: torch.Tensor, step: int) -> None:
        """A fixed-noise grid (uint8 C×H×W), once per step."""
        if step != self.grid_step:
            self.writer.add_image(GRID_TAG, canvas, step)
            self.grid_step = step

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
