"""The generators the app serves: found in checkpoint folders, loaded once, described."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .export import CheckpointError, load_generator, record_paths
from .models import Generator
from .sampling import render
from .stats import plot_curves, read_metrics


@dataclass
class Entry:
    name: str
    path: Path
    generator: Generator
    meta: dict
    curves: Path | None = None  # a PNG of the run's metrics, when the run left them
    progress: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How the model is offered in a dropdown: file name, then what its metadata says."""
        steps = f", {self.meta['steps']:,} steps" if "steps" in self.meta else ""
        return f"{self.name} ({self.meta.get('mode', '?').upper()}{steps})"

    @property
    def caption(self) -> str:
        """Mode, training length and, where measured, FID/KID: one line under each grid."""
        m = self.meta
        parts = [m.get("mode", "?").upper()]
        if "steps" in m:
            parts.append(f"{m['steps']:,} steps")
        if "images_seen" in m:
            parts.append(f"{m['images_seen'] / 1e6:.1f}M images")
        if "metrics" in m:
            parts.append(f"FID {m['metrics']['fid']:.1f}, KID {m['metrics']['kid']:.3f}")
        return f"{self.name}: " + " · ".join(parts)

    def describe(self) -> str:
        """Markdown: configuration and training facts from the weights' metadata."""
        m, model = self.meta, self.meta["model"]
        rows = [("mode", m.get("mode")), ("architecture",
                 f"nz={model['nz']}, ngf={model['ngf']}, ndf={model['ndf']}, {model['image_size']}×{model['image_size']}, "
                 f"critic norm: {model['critic_norm']}"),
                ("trained on", f"{m['dataset']} ({m['dataset_size']:,} images)" if "dataset" in m else None),
                ("generator steps", f"{m['steps']:,}" if "steps" in m else None),
                ("real images seen", f"{m['images_seen']:,}" if "images_seen" in m else None),
                ("batch size", m.get("batch_size")),
                ("training time", f"{m['train_seconds']:.0f} s on {m.get('device', '?')}" if "train_seconds" in m else None),
                ("exported", f"{m.get('date', '?')}, {m.get('dtype', '?')}, facegan {m.get('facegan_version', '?')}")]
        if "metrics" in m:
            s = m["metrics"]
            rows.append(("FID / KID", f"{s['fid']:.2f} / {s['kid']:.4f} ± {s['kid_std']:.4f} "
                                      f"({s['num']:,} samples vs {s['reference']})"))
        config = m.get("train_config", {})
        if config:
            keys = ("optimizer", "lr_g", "lr_d", "beta1", "beta2", "n_critic", "clip", "gp_lambda", "ema_decay")
            rows.append(("recipe", ", ".join(f"{k}={config[k]}" for k in keys if k in config)))
        table = "\n".join(f"| {k} | {v} |" for k, v in rows if v is not None)
        return f"### {self.name}\n`{self.path.name}`\n\n| | |\n|---|---|\n{table}\n"


class Gallery:
    """Every readable *.safetensors generator in the given folders.

    A file that cannot be loaded is reported in `problems` and skipped, so one bad
    file never takes the other models down.
    """

    def __init__(self, folders: list[Path]) -> None:
        self.models: dict[str, Entry] = {}
        self.problems: list[str] = []
        self._plots = Path(tempfile.mkdtemp(prefix="facegan-curves-"))
        for folder in folders:
            for path in sorted(Path(folder).glob("*.safetensors"), key=lambda p: p.stem):
                try:
                    self._add(path)
                except CheckpointError as error:
                    self.problems.append(str(error))

    def _add(self, path: Path) -> None:
        generator, meta = load_generator(path)
        generator = generator.to(memory_format=torch.channels_last).requires_grad_(False)
        name = path.stem if path.stem not in self.models else f"{path.stem} ({path.parent.name})"
        entry = Entry(name, path, generator, meta)
        metrics, progress = record_paths(path)
        if metrics.exists():
            try:
                entry.curves = self._plots / f"{len(self.models)}.png"
                plot_curves(read_metrics(metrics), entry.curves, title=name)
            except (ValueError, KeyError, OSError):
                entry.curves = None  # a damaged metrics file costs only the plot
        entry.progress = [(p, f"step {int(p.stem.split('_')[1]):,}") for p in sorted(progress.glob("step_[0-9]*.png"))]
        self.models[name] = entry

    @property
    def names(self) -> list[str]:
        return list(self.models)

    def render(self, name: str, z: torch.Tensor) -> torch.Tensor:
        return render(self.models[name].generator, z)
