"""The generators the app serves: found in checkpoint folders, loaded once, described."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import torch

from ..attributes import IN_CHECKPOINTS as JUDGE_FILE
from ..editing import Directions, directions_of
from ..encoder import encoder_metadata
from ..export import CheckpointError, load_generator
from ..metrics import PRDC
from ..models import Generator
from ..record import progress_grids, recipe, record_paths
from ..sampling import render_together
from ..sharing import Batcher, Turns
from ..stats import plot_curves, read_metrics
from .i18n import localized, text


@dataclass
class Entry:
    name: str
    path: Path
    generator: Generator
    meta: dict
    metrics: Path | None = None  # the run's metrics record, when the run left one
    curves_file: Path | None = None  # where its plot goes
    progress: list[tuple[Path, int]] = field(default_factory=list)  # fixed-noise grids and their steps
    directions: Directions | None = None  # age/gender edit directions, when `facegan.editing fit` stored them
    encoder_problem: str | None = None  # why its encoder file cannot be used (a notice says so): projected without
    _drawn: bool = field(default=False, repr=False)  # whether `curves` has been drawn (or found undrawable)
    _curves: Path | None = field(default=None, repr=False)
    _curves_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def curves(self) -> Path | None:
        """A PNG of the run's metrics, drawn on first use (the About tab's), so start-up draws nothing; once,
        however many pages ask at the same moment."""
        with self._curves_lock:
            if not self._drawn:
                self._curves, self._drawn = self._draw_curves(), True
            return self._curves

    def _draw_curves(self) -> Path | None:
        if self.metrics is None or self.curves_file is None:
            return None
        try:
            plot_curves(read_metrics(self.metrics), self.curves_file, title=self.name)
        except (ValueError, KeyError, OSError):
            return None  # a damaged metrics file costs only the plot
        return self.curves_file

    def label(self, lang: str = "en") -> str:
        """How the model is offered in a dropdown: file name, then what its metadata says."""
        steps = ", " + text("caption.steps", lang, steps=self.meta["steps"]) if "steps" in self.meta else ""
        return f"{self.name} ({self.meta.get('mode', '?').upper()}{steps})"

    def caption(self, lang: str = "en") -> str:
        """Mode, training length and, where measured, FID/KID and precision/recall/density/coverage: one line
        under each grid."""
        m = self.meta
        parts = [m.get("mode", "?").upper()]
        if "steps" in m:
            parts.append(text("caption.steps", lang, steps=m["steps"]))
        if "images_seen" in m:
            parts.append(text("caption.images", lang, millions=m["images_seen"] / 1e6))
        if "metrics" in m:
            parts.append(text("caption.fid", lang, fid=m["metrics"]["fid"], kid=m["metrics"]["kid"]))
        if "prdc" in m:
            parts.append(text("caption.prdc", lang, **{k: m["prdc"][k] for k in PRDC}))
        return text("caption", lang, name=self.name, facts=" · ".join(parts))

    def describe(self, lang: str = "en") -> str:
        """Markdown: configuration and training facts from the weights' metadata, in lang."""
        m, model = self.meta, self.meta["model"]

        def say(key: str, **values) -> str:
            return text(key, lang, **values)

        rows = [("fact.mode", m.get("mode")),
                ("fact.architecture", say("fact.architecture_value", nz=model["nz"], ngf=model["ngf"], ndf=model["ndf"],
                                          size=model["image_size"], norm=model["critic_norm"])),
                ("fact.dataset", say("fact.dataset_value", dataset=m["dataset"], size=m["dataset_size"])
                 if "dataset" in m else None),
                ("fact.steps", f"{m['steps']:,}" if "steps" in m else None),
                ("fact.images_seen", f"{m['images_seen']:,}" if "images_seen" in m else None),
                ("fact.batch_size", m.get("batch_size")),
                ("fact.train_time", say("fact.train_time_value", seconds=m["train_seconds"],
                                        device=m.get("device", "?")) if "train_seconds" in m else None),
                ("fact.exported", f"{m.get('date', '?')}, {m.get('dtype', '?')}, "
                                  f"facegan {m.get('facegan_version', '?')}")]
        if "metrics" in m:
            rows.append(("fact.metrics", say("fact.metrics_value", **{k: m["metrics"][k] for k in
                                                                      ("fid", "kid", "kid_std", "num", "reference")})))
        if "prdc" in m:
            prdc = m["prdc"]
            floor = say("fact.prdc_floor", **prdc["floor"]) if "floor" in prdc else ""
            rows.append(("fact.prdc", say("fact.prdc_value", **prdc) + floor))
        if m.get("train_config"):
            rows.append(("fact.recipe", recipe(m)))
        if "effect" in m.get("editing", {}):
            effect = m["editing"]["effect"]
            age, gender = effect["age"], effect["gender"]
            rows.append(("fact.editing", say("fact.editing_value", samples=effect["samples"],
                                             age_change=age["age_change"], female_drift=age["female_drift"],
                                             flipped=gender["flipped"], age_drift=gender["age_drift"])))
        table = "\n".join(f"| {say(k)} | {v} |" for k, v in rows if v is not None)
        return f"### {self.name}\n`{self.path.name}`\n\n| | |\n|---|---|\n{table}\n"


class Gallery:
    """Every readable *.safetensors generator in the given folders.

    A file that cannot be loaded is reported in `problems` and skipped, so one bad
    file never takes the other models down. A generator whose encoder file or edit
    directions cannot be used is served without them, and reported in `problems` too:
    the page shows every problem above its tabs (`notices`).
    """

    def __init__(self, folders: list[Path]) -> None:
        self.folders = [Path(folder) for folder in folders]
        self.models: dict[str, Entry] = {}
        self._renderers: dict[str, Batcher] = {}  # per model: concurrent visitors' faces in one forward pass
        # The face tabs' model work (forward passes, projections) one piece at a time, first come first served:
        # each piece already uses every core, and pieces run side by side would only fight over them.
        self.turns = Turns()
        self.problems: list[str] = []  # in English; `notices` has them in every language
        self._problem_texts: list[Callable[[str], str]] = []  # each problem in a given language
        self._plots = Path(tempfile.mkdtemp(prefix="facegan-curves-"))
        for folder in self.folders:
            for path in sorted(folder.glob("*.safetensors"), key=lambda p: p.stem):
                try:
                    self._add(path)
                except CheckpointError as error:
                    self._problem(error)

    def _problem(self, error: CheckpointError, consequence: str | None = None, **values) -> None:
        """A file the studio cannot use as it is: the error (naming the file), then what the studio does instead
        (`consequence`, a string key of facegan.ui.i18n, given the error and `values`)."""
        def say(lang: str) -> str:
            return str(error) if consequence is None else text(consequence, lang, error=error, **values)

        self.problems.append(say("en"))
        self._problem_texts.append(say)

    def notices(self) -> list:
        """The problems as the lines above the page's tabs, each in the visitor's language."""
        return [localized(lambda lang, say=say: text("notice.problem", lang, problem=say(lang)))
                for say in self._problem_texts]

    def _add(self, path: Path) -> None:
        generator, meta = load_generator(path)
        generator = generator.to(memory_format=torch.channels_last).requires_grad_(False)
        name = path.stem if path.stem not in self.models else f"{path.stem} ({path.parent.name})"
        metrics = record_paths(path)[0]
        entry = Entry(name, path, generator, meta, progress=progress_grids(path))
        try:
            entry.directions = directions_of(meta, path)
        except CheckpointError as error:
            self._problem(error, "problem.directions", name=name)
        try:
            encoder_metadata(path)  # its header and the generator's hash: the weights are read at first projection
        except CheckpointError as error:
            entry.encoder_problem = str(error)
            self._problem(error, "problem.encoder", name=name)
        if metrics.exists():
            try:
                read_metrics(metrics)  # a few hundred rows: the plot itself is drawn when a page first asks
            except (ValueError, OSError) as error:
                self._problem(CheckpointError(f"{metrics.name} cannot be read ({error})"), "problem.record", name=name)
            else:
                entry.metrics, entry.curves_file = metrics, self._plots / f"{len(self.models)}.png"
        self.models[name] = entry
        self._renderers[name] = Batcher(partial(self._render_in_turn, generator))

    def judge_path(self) -> Path | None:
        """The age/gender judge the Your photo tab uses: attributes/age-gender.safetensors in the first of the
        gallery's folders that has one, else where the first folder would keep it (None without folders).
        Never found from the working directory."""
        candidates = [folder / JUDGE_FILE for folder in self.folders]
        return next((path for path in candidates if path.is_file()), candidates[0] if candidates else None)

    @property
    def names(self) -> list[str]:
        return list(self.models)

    def _render_in_turn(self, generator: Generator, zs: list[torch.Tensor]) -> list[torch.Tensor]:
        with self.turns.turn(urgent=True):  # tens of milliseconds, where a model's projection takes seconds
            return render_together(generator, zs)

    def render(self, name: str, z: torch.Tensor) -> torch.Tensor:
        """uint8 faces of the model for z (`sampling.render`), drawn together with any other visitor's faces of
        the same model asked for meanwhile: every tab's faces come through here."""
        return self._renderers[name](z)
