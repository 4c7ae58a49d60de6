"""The Lab tab's handlers: a visitor's run (`Session`), the `Lab` class whose methods answer the tab's events,
and the lines and tables that read a run's numbers in the page's language.

Apart from the page so that the handlers can be called, and tested, without one: `facegan.ui.lab` lays out the
tab and wires its events to these methods. No training code here either: `facegan.lab` trains, measures and
draws. A run is capped in steps and seconds (MAX_RUN_S); a session's lock keeps a step button and a stream of the
same page from training the same nets at once, and Pause, new settings or the page closing stop its streaming runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from .. import lab
from ..lab import graph as labgraph
from ..lab import saved
from ..lab import view as labview
from ..lab.config import SUBSTEPS
from ..lab.surfaces import critic_surfaces
from ..lab.timeline import Timeline
from ..sharing import Turns
from .common import Checks, Downloads
from .i18n import language, text

MAX_RUN_S = 120  # a streaming run, an API run or a claim stops after this many seconds
# Training time per picture at most: with measuring and drawing a picture, this keeps a streaming run above four
# pictures a second (docs/lab.md gives the measured rate).
FRAME_S = 0.12
STOP_WAIT_S = 1.0  # a handler that shows a new picture waits this long at most for the page's runs to end
SURFACE_STEPS = 500  # critic steps for each critic surface
CLAIM_SEEDS, MAX_CLAIM_STEPS = 3, 3000  # the tab's claims: fewer seeds than `python -m facegan.lab claims`
# Claim c runs the GAN and WGAN-GP at two recipes over CLAIM_SEEDS seeds on one core: at most CLAIM_C_STEPS steps
# and CLAIM_C_S seconds, so that the whole answer comes within a minute. (Processes on the second core would not
# pay: each spawned one imports torch and the studio's main module first, 7-15 s on a busy 2-core machine.)
CLAIM_C_STEPS, CLAIM_C_S = 500, 45
PROGRESS_S = 1.0  # a claim's progress line moves at least this often
FIGURE_S = 2.0  # and its figure is redrawn at most this often while it fills in
DRAW_SPAN = 0.8 * lab.VIEW  # the sketchpad spans ±1.2 of the picture's ±1.5, where the presets lie too
SIDE_BY_SIDE = ("gan", "wgan", "wgan-gp")
# The settings, in the order every Lab handler takes them (after its own first arguments): LabConfig's own.
KNOBS = tuple(f.name for f in dataclasses.fields(lab.LabConfig))
# What choosing an objective fills in: its optimisers, learning rates, betas, critic steps, packing, unrolling.
RECIPE = ("optimizer", "optimizer_d", "lr_g", "lr_d", "beta1", "beta2", "beta1_d", "beta2_d", "d_steps", "pack",
          "unroll")


@dataclass
class Session:
    """A visitor's run, its timeline (the pictures and curves so far), the layers shown, and a lock: a step
    button and a stream of the same page must not train the same nets at once."""

    run: lab.LabRun
    timeline: Timeline = field(default_factory=Timeline)
    layers: tuple = labview.LAYERS
    lock: threading.Lock = field(default_factory=threading.Lock)


def drawing(sketch: dict | None) -> tuple[str, dict]:
    """The sketchpad's strokes, and the distribution switched to them once something is drawn."""
    strokes = strokes_of_sketch(sketch)
    return strokes, gr.update(value="drawn") if strokes != "[]" else gr.update()


def strokes_of_sketch(sketch: dict | None) -> str:
    """The sketchpad's drawn pixels as the Lab's strokes (JSON): a dot per pixel, at most 2,000, in data coordinates."""
    layers = [np.asarray(layer) for layer in (sketch or {}).get("layers") or [] if layer is not None]
    if not layers:
        return "[]"
    # RGBA layers: what is drawn is opaque; others: what is dark.
    ink = np.max([layer[..., 3] > 0 if layer.shape[-1] == 4 else layer[..., :3].mean(-1) < 128 for layer in layers],
                 axis=0)
    ys, xs = np.nonzero(ink)
    if len(xs) == 0:
        return "[]"
    keep = np.linspace(0, len(xs) - 1, min(len(xs), 2000)).astype(int)
    h, w = ink.shape
    points = np.stack([xs[keep] / (w - 1) * 2 - 1, 1 - ys[keep] / (h - 1) * 2], 1) * DRAW_SPAN
    return json.dumps([[[round(float(x), 4), round(float(y), 4)]] for x, y in points])


class Lab:
    """The Lab's handlers. Each takes the request first (Gradio passes it only to parameters before a
    *args), then its own arguments, then the settings in KNOBS order."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder  # the Lab's files beside the generators (checkpoints/lab): presets, measured suites
        # A page's streaming runs: each one's stop (set to end it) and its end (set once its last picture is out).
        self.stops: dict[str, dict[threading.Event, threading.Event]] = {}
        self.stops_lock = threading.Lock()
        self.downloads = Downloads("facegan-lab-")
        # Streaming runs train and draw a picture at a time, taking turns: each stream gets an equal share of one
        # core however many there are, and the other core stays free for the face tabs.
        self.turns = Turns()

    # --- settings ---------------------------------------------------------------------------------
    @staticmethod
    def config(values: tuple, check: Checks) -> lab.LabConfig:
        """The settings as a checked LabConfig, or a visible message naming the bad one.

        The face tabs' one rule (facegan.ui.common) holds here too: a number outside the tab's TAB_LIMITS is
        clamped into them with a warning in the page's language; what cannot be repaired (no number, an
        unknown choice, a malformed drawing) is refused."""
        given = dict(zip(KNOBS, values, strict=True))
        try:
            strokes = json.loads(given.pop("strokes") or "[]")
        except json.JSONDecodeError:
            raise check.error("msg.lab_strokes") from None
        if given["distribution"] == "drawn" and not strokes:
            raise check.error("msg.lab_empty_drawing")
        given["seed"] = check.seed(given["seed"])
        for name in sorted(set(given) & set(lab.TAB_LIMITS) - {"seed"}):
            low, high = lab.TAB_LIMITS[name]
            given[name] = check.clamp(given[name], low, high, f"lab.{name}", integer=isinstance(low, int))
        try:
            return lab.LabConfig.for_objective(given.pop("objective"), **given, strokes=strokes).check()
        except ValueError as error:  # a malformed drawing, an unknown choice sent through the API
            raise check.error("msg.lab_settings", error=error) from None

    @staticmethod
    def recipe(objective: str) -> tuple:
        """The objective's own optimisers, learning rates, betas and critic steps, into the fields when it is
        chosen."""
        config = lab.LabConfig.for_objective(objective)
        return tuple(getattr(config, name) for name in RECIPE)

    @staticmethod
    def _session(session: Session | None, config: lab.LabConfig) -> Session:
        """The visitor's run if it was made with these settings, else a new one at step 0."""
        if session is None or session.run.config != config:
            session = Session(lab.LabRun(config), layers=session.layers if session else labview.LAYERS)
        return session

    # --- pictures ---------------------------------------------------------------------------------
    @staticmethod
    def _view(session: Session, lang: str, substep: str | None = None) -> tuple:
        """The run as it stands, remembered in its timeline: session, field, curves, numbers, graph, slider."""
        session.timeline.add(session.run.snapshot())
        last = len(session.timeline) - 1
        picture, curves, reading = Lab._moment(session, last, lang)
        return (session, picture, curves, reading, graph_html(session.run.config, substep, lang),
                gr.update(maximum=max(last, 1), value=last))

    @staticmethod
    def _moment(session: Session, index: int, lang: str) -> tuple[Image.Image, Image.Image, str]:
        """The field, the curves and the numbers of the timeline's moment at index."""
        snapshot = session.timeline[index]
        return (labview.field(snapshot, title=session.run.config.objective.upper(), layers=session.layers),
                labview.curves(session.timeline.until(index)), numbers(snapshot.metrics, session.run.config, lang))

    # --- handlers ---------------------------------------------------------------------------------
    def reset(self, request: gr.Request | None, *values) -> tuple:
        """A new run at step 0 with the settings as they are; the page's streaming runs stop first."""
        return self.settings(request, None, *values)

    def settings(self, request: gr.Request | None, session: Session | None, *values) -> tuple:
        """New settings: a new run at step 0 (as in GAN Lab), unless they are the run's own; the page's streaming
        runs stop first."""
        self.pause(request, wait=STOP_WAIT_S)
        check = Checks(language(request))
        session = self._session(session, self.config(values, check))
        with session.lock:  # the page's stream may outlast the wait, and it is this run's
            return self._view(session, check.lang)

    def d_step(self, request: gr.Request | None, session: Session | None, *values) -> tuple:
        """One discriminator update (GAN Lab's step-by-step training)."""
        return self._step(lab.LabRun.d_step, "d_update", request, session, values)

    def g_step(self, request: gr.Request | None, session: Session | None, *values) -> tuple:
        """One generator update."""
        return self._step(lab.LabRun.g_step, "g_update", request, session, values)

    def _step(self, update, substep: str, request: gr.Request | None, session: Session | None,
              values: tuple) -> tuple:
        self.pause(request, wait=STOP_WAIT_S)
        check = Checks(language(request))
        session = self._session(session, self.config(values, check))
        with session.lock:
            if session.run.done:
                gr.Warning(text("msg.lab_done", check.lang, steps=session.run.config.steps))
            else:
                update(session.run)
            return self._view(session, check.lang, substep)

    def stream(self, request: gr.Request | None, session: Session | None, speed, delay, *values) -> Iterator[tuple]:
        """Train and show a picture every `speed` rounds (fewer when they take longer than FRAME_S), with `delay`
        seconds between pictures for slow motion, in which the graph lights up each sub-step of a round in turn;
        until the run's steps, MAX_RUN_S, Pause, a divergence or the page closing."""
        check = Checks(language(request))
        speed = check.within(speed, "lab_speed", "field.speed")
        delay = check.within(delay, "lab_delay", "field.delay")
        session = self._session(session, self.config(values, check))
        if session.run.done:
            gr.Warning(text("msg.lab_done", check.lang, steps=session.run.config.steps))
        deadline = time.monotonic() + MAX_RUN_S
        unchanged = gr.update()
        with self._until_page_closes(request) as stop:
            while not session.run.done and not stop.is_set():
                if delay > 0:  # slow motion: the round's sub-steps one after another on the graph
                    for substep in SUBSTEPS:
                        yield (session, unchanged, unchanged, unchanged,
                               graph_html(session.run.config, substep, check.lang), unchanged)
                        time.sleep(delay / len(SUBSTEPS))
                        if stop.is_set():
                            return
                with self.turns.turn(), session.lock:
                    frame = time.monotonic()
                    session.run.advance(speed, until=min(frame + FRAME_S, deadline))
                    view = self._view(session, check.lang)
                if stop.is_set():  # paused, reset or closed meanwhile: the newer picture stays
                    return
                yield view
                if self._stopped(session.run, deadline, check):
                    return

    def scrub(self, request: gr.Request | None, session: Session | None, index) -> tuple:
        """The timeline's moment at index: its picture, its curves and its numbers; the page's runs pause."""
        self.pause(request, wait=STOP_WAIT_S)
        return self._past(session, index, Checks(language(request)))

    def show_layers(self, request: gr.Request | None, session: Session | None, index, layers: list[str]) -> tuple:
        """The layers to draw, for the moment shown and every later picture of the run (a streaming run goes on)."""
        if session is not None:
            with session.lock:
                session.layers = tuple(name for name in labview.LAYERS if name in (layers or ()))
        return self._past(session, index, Checks(language(request)))

    def _past(self, session: Session | None, index, check: Checks) -> tuple:
        """The moment at the slider's index, saying so when it is not the latest."""
        if session is None:
            return gr.update(), gr.update(), gr.update()
        with session.lock:  # a stream of the same page adds to the timeline, and thins it, meanwhile
            if not len(session.timeline):
                return gr.update(), gr.update(), gr.update()
            last = len(session.timeline) - 1
            index = min(max(int(check.number(index, "lab.timeline")), 0), last)
            picture, curves, reading = self._moment(session, index, check.lang)
            if index < last:
                reading += "\n\n" + text("lab.timeline_past", check.lang,
                                         step=session.timeline[index].metrics["round"],
                                         latest=session.timeline[last].metrics["round"])
        return picture, curves, reading

    def side_by_side(self, request: gr.Request | None, speed, *values) -> Iterator[tuple[Image.Image, str]]:
        """GAN, WGAN and WGAN-GP on the same data, nets, seed and steps, each with its own recipe, live."""
        check = Checks(language(request))
        speed = check.within(speed, "lab_speed", "field.speed")
        shared = lab.shared_settings(self.config(values, check))
        runs = [lab.LabRun(lab.LabConfig.for_objective(name, **shared)) for name in SIDE_BY_SIDE]
        deadline = time.monotonic() + MAX_RUN_S
        with self._until_page_closes(request) as stop:
            while True:
                snapshots = [run.snapshot() for run in runs]
                picture = labview.side_by_side([labview.field(s, size=360, title=run.config.objective.upper())
                                                for s, run in zip(snapshots, runs, strict=True)])
                yield picture, numbers_table([s.metrics for s in snapshots], SIDE_BY_SIDE, check.lang)
                if all(run.done or run.diverged for run in runs) or stop.is_set():
                    return
                if time.monotonic() >= deadline:
                    gr.Warning(text("msg.lab_time", check.lang, seconds=MAX_RUN_S, step=runs[0].step))
                    return
                with self.turns.turn():
                    frame = time.monotonic()
                    for i, run in enumerate(runs, 1):  # each run gets its third of the frame
                        run.advance(speed, until=min(frame + FRAME_S * i / len(runs), deadline))

    @staticmethod
    def _stopped(run: lab.LabRun, deadline: float, check: Checks) -> bool:
        """Whether a streaming run must end here: diverged, or out of time (said in a warning)."""
        if run.diverged:
            gr.Warning(text("msg.lab_diverged", check.lang, step=run.step))
            return True
        if time.monotonic() >= deadline and not run.done:
            gr.Warning(text("msg.lab_time", check.lang, seconds=MAX_RUN_S, step=run.rounds))
            return True
        return False

    # --- files: save, load, presets, animation ------------------------------------------------------
    def save(self, request: gr.Request | None, session: Session | None) -> str:
        """The page's run as a .safetensors file to download."""
        check = Checks(language(request))
        if session is None:
            raise check.error("msg.lab_no_run")
        with session.lock:
            run = session.run
            path = self.downloads.path(f"lab-{run.config.objective}-{run.rounds}.safetensors")
            return str(saved.save_run(run, path, session.timeline.curves()))

    def load(self, request: gr.Request | None, path, session: Session | None = None) -> tuple:
        """A saved run, ready to continue: its view, and its settings into the fields (which then leave it be)."""
        self.pause(request, wait=STOP_WAIT_S)
        check = Checks(language(request))
        if not path:
            raise check.error("msg.lab_no_file")
        try:
            run, history = saved.load_run_and_history(getattr(path, "name", path))
        except lab.LabError as error:
            raise check.error("msg.lab_load", error=error) from None
        past = [m for m in history if m.get("round", -1) < run.rounds]  # its curves up to the saved moment
        loaded = Session(run, Timeline(past=past), session.layers if session else labview.LAYERS)
        config = run.config
        fields = [json.dumps(config.strokes) if name == "strokes" else getattr(config, name) for name in KNOBS]
        return *self._view(loaded, check.lang), *fields

    def preset(self, request: gr.Request | None, name: str, session: Session | None = None) -> tuple:
        """A shipped run that opens trained."""
        check = Checks(language(request))
        found = saved.presets(self.folder)
        if name not in found:
            raise check.error("msg.lab_no_preset", name=name, known=", ".join(found) or "–")
        return self.load(request, str(found[name]), session)

    def animation(self, request: gr.Request | None, session: Session | None) -> str:
        """The run so far as an animated GIF to download: picture and curves, a few seconds long."""
        check = Checks(language(request))
        if session is None or not len(session.timeline):
            raise check.error("msg.lab_no_run")
        with session.lock:
            frames, layers = session.timeline.frames(), session.layers
        run = session.run
        path = self.downloads.path(f"lab-{run.config.objective}-{run.rounds}.gif")
        path.write_bytes(labview.animation(frames, run.config.objective.upper(), layers))
        return str(path)

    # --- API and claims -------------------------------------------------------------------------
    def run_api(self, request: gr.Request | None, *values) -> tuple[Image.Image, dict]:
        """A whole run (capped at MAX_RUN_S): the final picture (field and curves) and the measurements as JSON."""
        check = Checks(language(request))
        config = self.config(values, check)
        started = time.monotonic()
        run, history = lab.history_run(config, every=max(1, config.steps // 50), until=started + MAX_RUN_S)
        picture = labview.side_by_side([labview.field(run.snapshot(), title=config.objective.upper()),
                                        labview.curves(history)])
        return picture, {"config": dataclasses.asdict(config), "final": history[-1], "history": history,
                         "complete": run.done, "diverged": run.diverged,
                         "seconds": round(time.monotonic() - started, 2)}

    def surfaces(self, request: gr.Request | None, *values) -> tuple[Image.Image, str, dict]:
        """Gulrajani et al.'s figure 1 on the fields' data and D: two critics trained on fixed points, under
        clipping and under the penalty; their value surfaces, a sentence reading them, the numbers."""
        check = Checks(language(request))
        config = self.config(values, check)
        result = critic_surfaces(config, SURFACE_STEPS)
        clip, gp = result["wgan"], result["wgan-gp"]
        reading = "lab.surfaces_result" if gp["plane_r2"] < clip["plane_r2"] else "lab.surfaces_unfinished"
        sentence = text(reading, check.lang, steps=SURFACE_STEPS, clip=clip["plane_r2"],
                        gp=gp["plane_r2"], clip_grad=clip["grad_norm"], gp_grad=gp["grad_norm"])
        numbers = {name: {"plane_r2": result[name]["plane_r2"], "grad_norm": result[name]["grad_norm"]}
                   for name in ("wgan", "wgan-gp")}
        return labview.surfaces(result), sentence, {"steps": SURFACE_STEPS, **numbers}

    def claim_a(self, request: gr.Request | None, *values) -> Iterator[tuple]:
        yield from self._claim("a", request, values)

    def claim_b(self, request: gr.Request | None, *values) -> Iterator[tuple]:
        yield from self._claim("b", request, values)

    def claim_c(self, request: gr.Request | None, *values) -> Iterator[tuple]:
        yield from self._claim("c", request, values)

    def _claim(self, which: str, request: gr.Request | None, values: tuple) -> Iterator[tuple]:
        """Claim a, b or c on the fields' data, nets, seed and steps (claim a: as many D steps), capped at
        MAX_CLAIM_STEPS and MAX_RUN_S; b on one seed; c at two recipes on CLAIM_SEEDS, capped at CLAIM_C_STEPS
        and CLAIM_C_S. A stream of (figure, sentence, numbers): the figure as it fills in, a progress line
        that moves every PROGRESS_S, and at the end the figure, the sentence and the numbers."""
        check = Checks(language(request))
        config = self.config(values, check)
        cap, seconds = (CLAIM_C_STEPS, CLAIM_C_S) if which == "c" else (MAX_CLAIM_STEPS, MAX_RUN_S)
        if config.steps > cap:
            gr.Warning(text("msg.lab_claim_steps", check.lang, steps=config.steps, cap=cap))
            config = dataclasses.replace(config, steps=cap)
        if which == "c" and lab.target(config.distribution, config.strokes).centers is None:
            raise check.error("msg.lab_no_modes")
        started = time.monotonic()
        deadline = started + seconds
        if which == "a":
            items = lab.vanishing_gradient_steps(config, d_steps=config.steps, every=max(1, config.steps // 30),
                                                 until=deadline)
        elif which == "b":
            items = lab.objective_runs_as_done(config, until=deadline)
        else:
            items = lab.recipe_runs_as_done(config, CLAIM_SEEDS, until=deadline)
        total = {"a": config.steps, "b": len(lab.CLAIM_OBJECTIVES),
                 "c": len(lab.RECIPE_OBJECTIVES) * len(lab.RECIPES)}[which]
        done: dict = {}  # claim a: its record so far; b: histories by objective; c: by (objective, recipe)
        result, drawn = None, 0.0
        stop = threading.Event()
        try:
            for item in _as_they_come(items, stop):
                if item is not None:
                    if which == "a":
                        done = item
                    elif which == "b":
                        done[item[0]] = item[1]
                    else:
                        done[item[0], item[1]] = item[2]
                    result = claim_result(which, done)
                count = (done["d_steps"][-1] if done else 0) if which == "a" else len(done)
                line = text(f"lab.claim_{which}_progress", check.lang, done=count, total=total, seeds=CLAIM_SEEDS,
                            seconds=time.monotonic() - started)
                redraw = result is not None and item is not None and time.monotonic() - drawn >= FIGURE_S
                if redraw:
                    drawn = time.monotonic()
                yield (claim_figure(which, result) if redraw else gr.update()), line, gr.update()
        finally:
            stop.set()
        if time.monotonic() >= deadline:
            gr.Warning(text("msg.lab_claim_time", check.lang, seconds=seconds))
        yield claim_figure(which, result), claim_sentence(which, result, check.lang), result

    # --- Pause, new settings and closing the page stop a page's streaming runs ---------------------
    # Stopped through events that the runs check rather than Gradio's `cancels=`: several settings changing at
    # once then each stop the run, where two cancels of one event would be one too many.
    @contextlib.contextmanager
    def _until_page_closes(self, request: gr.Request | None) -> Iterator[threading.Event]:
        """An event that is set when the request's page closes, for as long as the streaming run lasts."""
        key, stop, ended = getattr(request, "session_hash", None) or "-", threading.Event(), threading.Event()
        with self.stops_lock:
            self.stops.setdefault(key, {})[stop] = ended
        try:
            yield stop
        finally:
            ended.set()
            with self.stops_lock:
                runs = self.stops.get(key, {})
                runs.pop(stop, None)
                if not runs:
                    self.stops.pop(key, None)

    def pause(self, request: gr.Request | None = None, wait: float = 0.0) -> None:
        """The page's streaming runs stop at their next picture (within FRAME_S and a picture's drawing).

        With `wait`, return once they have ended (at most that many seconds): a handler that shows a new
        picture waits, so that a picture the run had already sent cannot arrive after it and replace it."""
        with self.stops_lock:
            runs = dict(self.stops.get(getattr(request, "session_hash", None) or "-", {}))
        for stop in runs:
            stop.set()
        deadline = time.monotonic() + wait
        for ended in runs.values():
            ended.wait(max(0.0, deadline - time.monotonic()))

    def page_closed(self, request: gr.Request | None = None) -> None:
        """demo.unload: the closing page's streaming runs stop."""
        self.pause(request)


# --- words ----------------------------------------------------------------------------------------
def _fmt(value, spec: str) -> str:
    return "–" if value is None or (isinstance(value, float) and not np.isfinite(value)) else format(value, spec)


def numbers(m: dict, config: lab.LabConfig, lang: str) -> str:
    """A run's numbers in a line, in the page's language (D's accuracy for a GAN only: a critic's sign means
    nothing)."""
    line = text("lab.numbers", lang, round=m["round"], steps=config.steps, g_updates=m["step"],
                d_updates=m["d_updates"], w1=_fmt(m["w1"], ".3f"), kl=_fmt(m["kl"], ".2f"), js=_fmt(m["js"], ".2f"),
                estimate=m["estimate"], loss_d=m["loss_d"], loss_g=m["loss_g"], grad=m["grad_g"])
    if lab.OBJECTIVES[config.objective].loss == "dcgan":
        line += text("lab.accuracy", lang, accuracy=m["accuracy"])
    if m["modes"] is not None:
        line += text("lab.modes", lang, modes=m["modes"], total=m["modes_total"], quality=m["high_quality"])
    return line


def graph_html(config: lab.LabConfig, substep: str | None, lang: str) -> str:
    """The model graph with substep lit, and the sentence that explains it."""
    explanation = text(f"lab.sub.{substep or 'none'}", lang)
    return f'<div data-substep="{substep or ""}">{labgraph.svg(config, substep)}<p>{escape(explanation)}</p></div>'


def numbers_table(metrics: list[dict], names: tuple, lang: str) -> str:
    rows = [text("lab.table_head", lang), "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, m in zip(names, metrics, strict=True):
        modes = f"{m['modes']}/{m['modes_total']}" if m["modes"] is not None else "–"
        rows.append(f"| {name} | {m['step']:,} | {_fmt(m['w1'], '.3f')} | {modes} | {_fmt(m['high_quality'], '.0%')} | "
                    f"{m['estimate']:.3f} | {m['grad_g']:.2g} |")
    return "\n".join(rows)


def _as_they_come(items: Iterator, stop: threading.Event) -> Iterator:
    """items' values as they come, computed in a thread of their own, and None every PROGRESS_S meanwhile (so that
    a progress line can move while a long item is computed); the thread takes no more values once stop is set."""
    out: queue.Queue = queue.Queue()
    end = object()

    def produce() -> None:
        try:
            for item in items:
                out.put(item)
                if stop.is_set():
                    break
        except Exception as error:  # raised in the handler's thread, where Gradio shows it
            out.put(error)
        finally:
            out.put(end)

    threading.Thread(target=produce, daemon=True).start()
    while True:
        try:
            item = out.get(timeout=PROGRESS_S)
        except queue.Empty:
            yield None
            continue
        if item is end:
            return
        if isinstance(item, Exception):
            raise item
        yield item


def claim_result(which: str, done: dict) -> dict:
    """A claim's numbers from what is measured so far: claim a's record, claim b's correlations per objective,
    claim c's modes per recipe and objective (with the steps the runs reached and the seeds)."""
    if which == "a":
        return done
    if which == "b":
        return lab.loss_vs_progress(done)
    by_recipe = {recipe: lab.mode_collapse({o: done[o, recipe] for o in lab.RECIPE_OBJECTIVES if (o, recipe) in done})
                 for recipe in lab.RECIPES if any(r == recipe for _, r in done)}
    return {"steps": min(run[-1]["step"] for runs in done.values() for run in runs),
            "seeds": len(next(iter(done.values()))), **by_recipe}


def claim_figure(which: str, result: dict) -> Image.Image:
    """A claim's figure from its numbers, complete or not."""
    if which == "a":
        return labview.vanishing_figure(result)
    if which == "b":
        return labview.progress_figure(result)
    return labview.collapse_figure({f"{objective}\n{recipe} recipe": entry for recipe in lab.RECIPES
                                    for objective, entry in result.get(recipe, {}).items()})


def claim_sentence(which: str, result: dict, lang: str) -> str:
    """One sentence that reads the experiment's measured numbers."""
    if which == "a":
        return text("lab.claim_a_result", lang, steps=result["d_steps"][-1], accuracy=result["accuracy"][-1],
                    sat0=result["saturating"][0], sat=result["saturating"][-1], ns=result["non_saturating"][-1],
                    w=result["wasserstein"][-1])
    if which == "b":
        r = {name: _fmt(v["r_loss"], "+.2f") for name, v in result.items()}
        e = {name: _fmt(v["r_estimate"], "+.2f") for name, v in result.items()}
        return text("lab.claim_b_result", lang, minimax=r["gan-minimax"], gan=r["gan"], wgan=e["wgan"],
                    gp=e["wgan-gp"], gan_estimate=e["gan"])
    recipes = {}
    for recipe in lab.RECIPES:
        gan, gp = result[recipe]["gan"], result[recipe]["wgan-gp"]
        recipes[recipe] = text("lab.claim_c_recipe", lang, recipe=text(f"lab.recipe.{recipe}", lang),
                               gan=gan["mean_modes"], gan_seeds=", ".join(map(str, gan["modes"])),
                               gan_q=gan["mean_high_quality"], gp=gp["mean_modes"],
                               gp_seeds=", ".join(map(str, gp["modes"])), gp_q=gp["mean_high_quality"],
                               verdict=text("lab.claim_c_fewer" if gan["mean_modes"] < gp["mean_modes"]
                                            else "lab.claim_c_not_fewer", lang))
    return text("lab.claim_c_result", lang, total=result["fast"]["gan"]["modes_total"], steps=result["steps"],
                seeds=result["seeds"], **recipes)
