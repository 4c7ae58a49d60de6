"""The Runs tab: every training run in the runs folder, followed while it trains, read-only.

A run is a folder with metrics.jsonl and/or fixed-noise grids (samples_STEP.png). Each is read incrementally (its
metrics file is parsed from where the last read stopped) and shared by every page that shows it; a timer asks
every REFRESH_S seconds. Whatever state a run's files are in (being written, cut off by a kill, damaged, gone), the
page says so in words. Nothing here starts or stops training.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import gradio as gr
from PIL import Image

from ..metrics import K_DC, K_PR, PRDC
from ..record import CONFIG_FILE, METRICS_FILE, recipe, snapshots
from ..stats import PANELS, SECTIONS, MetricsReader, downsample, plot_run, read_metrics
from .gallery import Gallery
from .i18n import language, phrase, t, text

REFRESH_S = 5  # seconds between a page's reads of the runs folder
QUIET_S = 60  # a run whose metrics have not grown for this long is not (visibly) training
FINAL_GRID = "samples_final.png"
DRAWN = {key for keys in PANELS for key in keys}  # the quantities the curves show


@dataclass
class Reading:
    """A run's files as read at one moment."""

    rows: list[dict]
    grids: list[tuple[Path, int | None]]  # fixed-noise grids along the run and their steps (None: the final grid)
    config: dict | None
    written: float  # when the metrics last grew (seconds since the epoch; 0: never)
    notes: list[tuple[str, dict]] = field(default_factory=list)  # what to tell about its files: i18n key, values

    @property
    def version(self) -> tuple:
        """Changes whenever the curves, grids or recipe shown would."""
        last = self.grids[-1][0] if self.grids else None
        return (len(self.rows), json.dumps(self.rows[-1]) if self.rows else None, len(self.grids), last,
                json.dumps(self.config), tuple(key for key, _ in self.notes))


class RunFolder:
    """One run, read incrementally: each read parses only the metrics appended since the last one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.metrics = MetricsReader(path / METRICS_FILE)
        self.lock = threading.Lock()  # pages share the reader
        self._curves: tuple[tuple, Image.Image | None] = ((), None)  # the last picture drawn, by what it shows

    def read(self) -> Reading:
        with self.lock:
            rows, written, notes = self._metrics()
            config = self._config(notes)
            return Reading(rows, self._grids(), config, written, notes)

    def _metrics(self) -> tuple[list[dict], float, list[tuple[str, dict]]]:
        path, notes = self.path / METRICS_FILE, []
        if not path.is_file():
            return [], 0.0, notes
        try:
            written = path.stat().st_mtime
            self.metrics.read()
        except ValueError as error:  # a damaged line: the rows before it stand
            notes.append(("runs.damaged", {"error": error, "count": len(self.metrics.rows)}))
        except OSError as error:
            return [], 0.0, [("runs.unreadable", {"error": error})]
        if self.metrics.partial and time.time() - written > REFRESH_S:  # not a line being written: one cut off
            notes.append(("runs.cut", {"count": len(self.metrics.rows)}))
        return list(self.metrics.rows), written, notes

    def _grids(self) -> list[tuple[Path, int | None]]:
        grids: list[tuple[Path, int | None]] = list(snapshots(self.path))
        final = self.path / FINAL_GRID
        try:  # the final grid, unless a resumed run has written newer ones since
            if final.is_file() and all(final.stat().st_mtime >= p.stat().st_mtime for p, _ in grids):
                grids.append((final, None))
        except OSError:  # a grid deleted while looked at
            pass
        return grids

    def _config(self, notes: list[tuple[str, dict]]) -> dict | None:
        path = self.path / CONFIG_FILE
        if not path.is_file():
            return None
        try:
            config = json.loads(path.read_text())
            if isinstance(config, dict):
                return config
            raise ValueError("not a JSON object")
        except (OSError, ValueError) as error:
            notes.append(("runs.bad_config", {"file": path.name, "error": error}))
            return None

    def curves(self, rows: list[dict], references: dict[str, dict[str, float]]) -> Image.Image | None:
        """The curves' picture (a few hundred points a curve however long the run), drawn once for every page
        while the run has not changed."""
        key = (len(rows), json.dumps(rows[-1]) if rows else None, json.dumps(references))
        with self.lock:
            if self._curves[0] != key:
                self._curves = (key, plot_run(downsample(rows), references))
            return self._curves[1]


def is_run(path: Path) -> bool:
    return path.is_dir() and ((path / METRICS_FILE).is_file() or bool(snapshots(path)))


def age(seconds: float, lang: str) -> str:
    """A duration as the status line says it: 12 s, 5 min, 3.2 h, 2.5 d."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return text(f"runs.age.{unit}", lang, n=seconds / size)
    return text("runs.age.s", lang, n=max(seconds, 0))


def table(rows: list[tuple[str, object]], lang: str) -> str:
    return "| | |\n|---|---|\n" + "\n".join(f"| {text(key, lang)} | {value} |" for key, value in rows)


class Runs:
    """The runs under one folder and what a page shows of them. Every method takes the request last, for its
    language, and answers in words whatever it finds."""

    def __init__(self, root: Path, gallery: Gallery) -> None:
        self.root = root
        self.gallery = gallery
        self._folders: dict[str, RunFolder] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """The runs in the folder, by name."""
        try:
            return sorted(p.name for p in self.root.iterdir() if is_run(p))
        except OSError:  # no folder (yet), or not one
            return []

    def latest(self, names: list[str]) -> str | None:
        """The run that wrote last: the one a page opens on."""
        def written(name: str) -> float:
            try:
                return max(p.stat().st_mtime for p in self.root.joinpath(name).iterdir())
            except (OSError, ValueError):
                return 0.0
        return max(names, key=written, default=None)

    def _folder(self, name: str) -> RunFolder:
        with self._lock:
            if name not in self._folders:
                self._folders[name] = RunFolder(self.root / name)
            return self._folders[name]

    @cached_property
    def shipped(self) -> dict[str, tuple[str | None, dict[str, float]]]:
        """Each shipped generator's mode and final values of what the curves show: the last training row of its
        record, and its scores."""
        finals = {}
        for name, entry in self.gallery.models.items():
            last = {}
            if entry.metrics is not None:
                try:
                    last = next((r for r in reversed(read_metrics(entry.metrics)) if "loss_d" in r), {})
                except (OSError, ValueError):
                    pass  # the About tab has no curves for it either
            values = {**last, **entry.meta.get("metrics", {}), **entry.meta.get("prdc", {})}
            finals[name] = (entry.meta.get("mode"), {k: v for k, v in values.items() if k in DRAWN})
        return finals

    def references(self, mode: str | None) -> dict[str, dict[str, float]]:
        """The shipped generators' final values a run of mode is drawn against: scores from every one, training
        quantities only from those of its mode (a GAN's loss and a critic's are on different scales)."""
        return {name: {k: v for k, v in values.items() if k in SECTIONS["scores"] or theirs == mode}
                for name, (theirs, values) in self.shipped.items()}

    # --- handlers ---------------------------------------------------------------------------------------
    def listing(self, current: str | None, listed: list[str] | None, request: gr.Request = None) -> tuple:
        """The runs' dropdown, when the runs have changed: the run shown stays chosen while it is there."""
        names = self.names()
        if names == listed:
            return gr.skip(), gr.skip()
        value = current if current in names else self.latest(names)
        return gr.Dropdown(choices=names, value=value), names

    def show(self, name: str | None, index: float | None, seen: tuple | None, request: gr.Request = None) -> tuple:
        """The run: status, curves, grid, timeline, grid note, scores, recipe, and what was shown (the page's
        state). Curves, grids and recipe are sent only when they changed since `seen`; the timeline follows the
        newest grid unless moved back."""
        lang = language(request)
        if not name or name not in self.names():
            return self._nothing(name, lang)
        reading = self._folder(name).read()
        status = self._status(name, reading, lang)
        if seen is not None and seen[0] == (name, reading.version):
            return (status, *[gr.skip()] * 6, seen)
        count = len(reading.grids)
        follow = seen is None or seen[0][0] != name or index is None or index >= seen[1] - 1
        index = count - 1 if follow else min(int(index), count - 1)
        image, note = self._grid(reading, index, lang)
        mode = (reading.config or {}).get("mode")
        curves = self._folder(name).curves(reading.rows, self.references(mode))
        timeline = gr.Slider(minimum=0, maximum=max(count - 1, 1), value=max(index, 0), step=1,
                             interactive=count > 1)
        return (status, curves, image, timeline, note, self._scores(reading, lang), self._recipe(reading, lang),
                ((name, reading.version), count))

    def moment(self, name: str | None, index: float | None, request: gr.Request = None) -> tuple:
        """The grid at a point of the timeline, and its note."""
        lang = language(request)
        if not name or name not in self.names():
            return None, text("runs.not_a_run", lang, name=name, path=self.root)
        reading = self._folder(name).read()
        return self._grid(reading, min(int(index or 0), len(reading.grids) - 1), lang)

    # --- what the page says ------------------------------------------------------------------------------
    def _nothing(self, name: str | None, lang: str) -> tuple:
        if name:
            status = text("runs.not_a_run", lang, name=name, path=self.root)
        else:
            status = text("runs.none" if self.root.is_dir() else "runs.no_folder", lang, path=self.root)
        return status, None, None, gr.Slider(minimum=0, maximum=1, value=0, interactive=False), "", "", "", None

    def _status(self, name: str, reading: Reading, lang: str) -> str:
        notes = [text(key, lang, **values) for key, values in reading.notes]
        rows = [r for r in reading.rows if "loss_d" in r]
        if not rows:
            return "\n\n".join([text("runs.no_metrics", lang, name=name), *notes])
        last, steps = rows[-1], (reading.config or {}).get("steps")
        quiet = time.time() - reading.written
        if isinstance(steps, int) and last["step"] >= steps:
            state = text("runs.state.finished", lang)
        elif quiet < QUIET_S:
            state = text("runs.state.training", lang, age=age(quiet, lang))
        else:
            state = text("runs.state.quiet", lang, age=age(quiet, lang))
        total = text("runs.of_steps", lang, steps=steps) if isinstance(steps, int) else ""
        line = text("runs.status", lang, name=name, state=state, step=last["step"], total=total,
                    images=last.get("images_seen", 0), rate=last.get("images_per_s", 0.0))
        return "\n\n".join([line, *notes])

    def _grid(self, reading: Reading, index: int, lang: str) -> tuple[Image.Image | None, str]:
        if not reading.grids:
            return None, text("runs.no_grids", lang)
        path, step = reading.grids[index]
        try:
            with Image.open(path) as image:
                image.load()
                picture = image.convert("RGB")
        except (OSError, SyntaxError, ValueError) as error:  # Pillow's SyntaxError: a broken PNG chunk
            return None, text("runs.bad_grid", lang, file=path.name, error=error)
        where = (text("runs.grid_final", lang) if step is None else text("runs.grid_at", lang, step=step))
        return picture, text("runs.grid_note", lang, where=where, index=index + 1, count=len(reading.grids))

    def _scores(self, reading: Reading, lang: str) -> str:
        scored = [r for r in reading.rows if "fid" in r]
        if not scored:
            return text("runs.no_scores", lang)
        row = scored[-1]
        rows = []
        if {"kid", "kid_std", "num", "reference"} <= row.keys():
            rows.append(("fact.metrics", text("fact.metrics_value", lang, **row)))
        if {*PRDC, "num", "reference", "reference_size"} <= row.keys():
            rows.append(("fact.prdc", text("fact.prdc_value", lang, **row, k_pr=K_PR, k_dc=K_DC)))
        if not rows:
            rows.append(("fact.metrics", f"{row['fid']:.2f}"))
        return text("runs.scores", lang, step=row["step"]) + "\n\n" + table(rows, lang)

    def _recipe(self, reading: Reading, lang: str) -> str:
        config = reading.config
        if config is None:
            return text("runs.no_config", lang)
        model = config.get("model", {})
        rows = [("fact.mode", config.get("mode")), ("fact.dataset", f"`{config.get('data', '?')}`"),
                ("fact.steps", config.get("steps")), ("fact.batch_size", config.get("batch_size"))]
        if {"nz", "ngf", "ndf", "image_size", "critic_norm"} <= model.keys():
            rows.append(("fact.architecture", text("fact.architecture_value", lang, nz=model["nz"], ngf=model["ngf"],
                                                   ndf=model["ndf"], size=model["image_size"],
                                                   norm=model["critic_norm"])))
        rows.append(("fact.recipe", recipe({"train_config": config})))
        return text("runs.recipe", lang) + "\n\n" + table(rows, lang)


def tab(runs: Runs, demo: gr.Blocks, tabs: gr.Tabs, shown: gr.Tab) -> None:
    """The layout and its events, on the page's `shown` tab of `tabs`. A timer reads the runs folder every REFRESH_S
    seconds while that tab is the one shown."""
    gr.Markdown(phrase("runs.intro", path=runs.root, seconds=REFRESH_S))
    names = runs.names()
    run = gr.Dropdown(names, value=runs.latest(names), label=t("runs.run"), elem_id="runs-run")
    listed, seen = gr.State(names), gr.State(None)
    status = gr.Markdown(elem_id="runs-status")
    curves = gr.Image(label=t("runs.curves"), type="pil", format="png", interactive=False, elem_id="runs-curves",
                      buttons=["download", "fullscreen"])
    gr.Markdown(t("runs.curves_help"))
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            grid = gr.Image(label=t("runs.grid"), type="pil", format="png", interactive=False, elem_id="runs-grid",
                            buttons=["download", "fullscreen"])
            timeline = gr.Slider(0, 1, value=0, step=1, label=t("runs.timeline"), elem_id="runs-timeline")
            note = gr.Markdown(elem_id="runs-grid-note")
        with gr.Column(scale=1, min_width=320):
            scores = gr.Markdown(elem_id="runs-scores")
            recipe_box = gr.Markdown(elem_id="runs-recipe")
    timer = gr.Timer(REFRESH_S, active=False)
    index = tabs.children.index(shown)

    def follow(event: gr.SelectData) -> gr.Timer:
        return gr.Timer(active=event.index == index)

    quiet = dict(show_progress="hidden", concurrency_id="runs", concurrency_limit=4)
    view = [status, curves, grid, timeline, note, scores, recipe_box, seen]
    tabs.select(follow, None, timer, api_name=False, queue=False)
    gr.on([shown.select, timer.tick], runs.listing, [run, listed], [run, listed], api_name=False, **quiet)
    gr.on([demo.load, shown.select, timer.tick, run.change], runs.show, [run, timeline, seen], view,
          api_name="runs_view", trigger_mode="always_last", **quiet)
    timeline.input(runs.moment, [run, timeline], [grid, note], api_name="runs_grid", trigger_mode="always_last",
                   **quiet)
