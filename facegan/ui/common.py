"""What the face tabs share: their number ranges, the input checks in the visitor's language, and the
handlers' base over the gallery.

One rule for every tab and endpoint, the Lab's included: a number outside its range is clamped to the range with a
gr.Warning saying so (the nearest allowed value is what was meant); what cannot be repaired (no number at
all, an unknown model or method, a model without edit directions) is refused with a gr.Error.
"""

from __future__ import annotations

import math
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import torch

from ..editing import STEPS
from ..sampling import seeded_noise, truncate
from .gallery import Entry, Gallery
from .i18n import text

MAX_SEED = 2**32 - 1
DOWNLOAD_LIFETIME_S = 600  # Gradio serves its own copy of a file a handler returns: ours can go after this
BATCH = 16  # visitors' requests of one face event served together (their work shares forward passes)
STRIP_FACE_PX = 96  # each face of a strip (interpolation frames, edit walks), shown large


@dataclass(frozen=True)
class Range:
    """A studio number: its slider's bounds and step, and the bounds its endpoint clamps to."""

    low: float
    high: float
    step: float
    integer: bool = False


RANGES = {
    "seed": Range(0, MAX_SEED, 1, integer=True),
    "truncation": Range(0.1, 1.0, 0.05),
    "faces": Range(1, 64, 1, integer=True),  # the Samples grid
    "faces_per_model": Range(1, 16, 1, integer=True),  # Compare
    "t": Range(0.0, 1.0, 0.01),  # where on the interpolation walk
    "frames": Range(2, 16, 1, integer=True),  # the interpolation strip
    "edit_steps": Range(-max(STEPS), max(STEPS), 0.1),  # ±3 steps: z's spread along a direction, 3 std devs
    "projection_steps": Range(0, 100, 1, integer=True),  # Your photo: optimisation steps on z after the encoder
    "lab_speed": Range(1, 100, 1, integer=True),  # the Lab: rounds per picture
    "lab_delay": Range(0.0, 2.0, 0.05),  # the Lab's slow motion: seconds between pictures
}


def slider(name: str, value: float, label, **options) -> gr.Slider:
    """The slider of RANGES[name]."""
    r = RANGES[name]
    return gr.Slider(r.low, r.high, value=value, step=r.step, label=label, **options)


class Downloads:
    """Where handlers write files for visitors to download, each in a folder of its own (two visitors' files of
    one name never meet); folders older than DOWNLOAD_LIFETIME_S are deleted as new ones are made."""

    def __init__(self, prefix: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=prefix))

    def path(self, name: str) -> Path:
        """A path for a new file called name."""
        for old in self.root.iterdir():
            try:
                stale = time.time() - old.stat().st_mtime > DOWNLOAD_LIFETIME_S
            except FileNotFoundError:  # another visitor's request deleted it meanwhile
                continue
            if stale:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=self.root)) / name


def random_seed() -> int:
    """What the 🎲 buttons put in a seed field."""
    return random.randint(0, MAX_SEED)


class Checks:
    """Input checks in the visitor's language: clamp with a gr.Warning, or refuse with a gr.Error.

    Gradio's frontend does not translate gr.Warning / gr.Error / gr.Info texts (an I18n key
    shows up raw in the toast, and gr.Info refuses one), so messages are written on the
    server in the language of the request's Accept-Language header.
    """

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang

    def error(self, key: str, **values) -> gr.Error:
        return gr.Error(text(key, self.lang, **values))

    def number(self, value, field: str) -> float:
        field = text(field, self.lang)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise self.error("msg.empty", field=field)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.error("msg.not_number", field=field, value=value) from None
        if not math.isfinite(number):
            raise self.error("msg.not_finite", field=field, value=value)
        return number

    def clamp(self, value, low: float, high: float, field: str, integer: bool = False) -> float:
        """value within [low, high] (rounded when integer), warning about any change."""
        number = self.number(value, field)
        fixed = min(max(round(number) if integer else number, low), high)
        if fixed != number:
            gr.Warning(text("msg.clamped_whole" if integer else "msg.clamped", self.lang, field=text(field, self.lang),
                            value=value, fixed=fixed, low=low, high=high))
        return int(fixed) if integer else fixed

    def within(self, value, name: str, field: str) -> float:
        """value clamped to RANGES[name], as clamp() does."""
        r = RANGES[name]
        return self.clamp(value, r.low, r.high, field, integer=r.integer)

    def seed(self, value, field: str = "field.seed") -> int:
        return self.within(value, "seed", field)


def seed_box(value: int, label, **options) -> gr.Number:
    """A seed field. Without a precision Gradio passes the value through as sent, so a non-numeric
    seed from the API reaches `Checks.seed` and gets its message (Gradio's own rounding would answer
    it with a generic "upstream exception"); the check rounds a fractional seed, saying so."""
    return gr.Number(value, precision=None, step=1, label=label, **options)


class Handlers:
    """The face tabs' handlers share one Gallery. Each handler takes the request last, for its language."""

    def __init__(self, gallery: Gallery) -> None:
        self.gallery = gallery

    def _entry(self, name, check: Checks) -> Entry:
        if name not in self.gallery.models:
            raise check.error("msg.unknown_model", name=name, loaded=", ".join(self.gallery.names) or "-")
        return self.gallery.models[name]

    def _latent(self, name: str, seed: int, n: int, scale: float, check: Checks) -> torch.Tensor:
        return truncate(seeded_noise(n, self._entry(name, check).generator.config.nz, seed), scale)
