"""The Lab tab: GANs trained live on 2-D points, the three claims one click each, three objectives side by side.

No training code here: `facegan.lab` trains, measures and draws. Every Lab event
runs in its own concurrency group, so the face tabs keep answering while a run streams; a run is
capped in steps and seconds, and stops when its page closes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import gradio as gr
import numpy as np
from PIL import Image

from .. import lab
from ..lab import view as labview
from . import lab_literature
from .common import Checks, seed_box
from .i18n import language, phrase, t, text

MAX_RUN_S = 120  # a streaming run, an API run or a claim stops after this many seconds
MAX_STREAM_STEPS = 100  # generator steps per picture, at most
FRAME_S = 0.12  # training time per picture at most: with measuring and drawing (~0.1 s), 4.5 pictures a second
CLAIM_SEEDS, MAX_CLAIM_STEPS = 3, 3000  # the tab's claims: fewer seeds than `python -m facegan.lab claims`
SKETCH_PX = 256
DRAW_SPAN = 0.8 * lab.VIEW  # the sketchpad spans ±1.2 of the picture's ±1.5, where the presets lie too
SIDE_BY_SIDE = ("gan", "wgan", "wgan-gp")
# Long events (runs, claims) share two slots; quick ones (a reset, one step) have their own, so that a new
# visitor's first picture never waits behind two streaming runs. Neither group holds the face tabs.
LONG, QUICK = dict(concurrency_id="lab", concurrency_limit=2), dict(concurrency_id="lab-quick", concurrency_limit=4)
# The knobs, in the order every Lab handler takes them (after its own first arguments).
KNOBS = ("distribution", "objective", "noise", "g_width", "g_depth", "d_width", "d_depth", "optimizer", "lr_g", "lr_d",
         "d_steps", "clip", "gp_lambda", "batch", "steps", "seed", "strokes")
CHOICES = {"distribution", "objective", "noise", "optimizer"}


@dataclass
class Session:
    """A visitor's run, what it measured so far (the curves), and a lock: a step button and a stream of the
    same page must not train the same nets at once."""

    run: lab.LabRun
    history: list[dict] = field(default_factory=list)
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
    *args), then its own arguments, then the knobs in KNOBS order."""

    def __init__(self) -> None:
        self.stops: dict[str, set[threading.Event]] = {}  # a session's streaming runs, set when its page closes
        self.stops_lock = threading.Lock()

    # --- settings ---------------------------------------------------------------------------------
    @staticmethod
    def config(values: tuple, check: Checks) -> lab.LabConfig:
        """The knobs as a checked LabConfig on the objective's recipe, or a visible message naming the bad one.

        Numbers are checked here, in the page's language, against the engine's own LIMITS; a seed is
        clamped with a warning, as on every tab."""
        given = dict(zip(KNOBS, values, strict=True))
        try:
            strokes = json.loads(given.pop("strokes") or "[]")
        except json.JSONDecodeError:
            raise check.error("msg.lab_strokes") from None
        if given["distribution"] == "drawn" and not strokes:
            raise check.error("msg.lab_empty_drawing")
        given["seed"] = check.seed(given["seed"])
        for name in set(given) - CHOICES - {"seed"}:
            low, high = lab.LIMITS[name]
            number = check.number(given[name], f"lab.{name}")
            number = int(number) if isinstance(low, int) and number == int(number) else number
            if not lab.in_range(number, low, high):
                raise check.error("msg.lab_range", field=text(f"lab.{name}", check.lang), low=low, high=high,
                                  value=given[name])
            given[name] = number
        try:
            return lab.LabConfig.for_objective(given.pop("objective"), **given, strokes=strokes).check()
        except ValueError as error:  # a malformed drawing, an unknown choice sent through the API
            raise check.error("msg.lab_settings", error=error) from None

    @staticmethod
    def recipe(objective: str) -> tuple:
        """The objective's own optimiser, learning rates and critic steps, into the knobs when it is chosen."""
        r = lab.OBJECTIVES[objective].recipe
        return r["optimizer"], r["lr_g"], r["lr_d"], r["d_steps"]

    @staticmethod
    def _session(session: Session | None, config: lab.LabConfig) -> Session:
        """The visitor's run if it was made with these settings, else a new one at step 0."""
        if session is None or session.run.config != config:
            session = Session(lab.LabRun(config))
        return session

    # --- pictures ---------------------------------------------------------------------------------
    @staticmethod
    def _view(session: Session, lang: str) -> tuple[Session, Image.Image, Image.Image, str]:
        snapshot = session.run.snapshot()
        moment = (snapshot.metrics["step"], snapshot.metrics["d_updates"])
        if not session.history or (session.history[-1]["step"], session.history[-1]["d_updates"]) != moment:
            session.history.append(snapshot.metrics)  # a new moment joins the curves
        return (session, labview.field(snapshot, title=session.run.config.objective.upper()),
                labview.curves(session.history), numbers(snapshot.metrics, session.run.config, lang))

    # --- handlers ---------------------------------------------------------------------------------
    def reset(self, request: gr.Request | None, *values) -> tuple:
        """A new run at step 0 with the knobs as they are; the page's streaming runs stop first."""
        self.pause(request)
        check = Checks(language(request))
        return self._view(self._session(None, self.config(values, check)), check.lang)

    def d_step(self, request: gr.Request | None, session: Session | None, *values) -> tuple:
        """One discriminator update (GAN Lab's step-by-step training)."""
        return self._step(lab.LabRun.d_step, request, session, values)

    def g_step(self, request: gr.Request | None, session: Session | None, *values) -> tuple:
        """One generator update."""
        return self._step(lab.LabRun.g_step, request, session, values)

    def _step(self, update, request: gr.Request | None, session: Session | None, values: tuple) -> tuple:
        self.pause(request)
        check = Checks(language(request))
        session = self._session(session, self.config(values, check))
        with session.lock:
            if session.run.done:
                gr.Warning(text("msg.lab_done", check.lang, steps=session.run.config.steps))
            else:
                update(session.run)
            return self._view(session, check.lang)

    def stream(self, request: gr.Request | None, session: Session | None, speed, delay, *values) -> Iterator[tuple]:
        """Train and show a picture every `speed` generator steps (fewer when they take longer than FRAME_S),
        with `delay` seconds between pictures for slow motion; until the run's steps, MAX_RUN_S, Pause, a
        divergence or the page closing."""
        check = Checks(language(request))
        speed = check.clamp(speed, 1, MAX_STREAM_STEPS, "field.speed", integer=True)
        delay = check.clamp(delay, 0.0, 2.0, "field.delay")
        session = self._session(session, self.config(values, check))
        if session.run.done:
            gr.Warning(text("msg.lab_done", check.lang, steps=session.run.config.steps))
        deadline = time.monotonic() + MAX_RUN_S
        with self._until_page_closes(request) as stop:
            while not session.run.done and not stop.is_set():
                frame = time.monotonic()
                with session.lock:
                    session.run.advance(speed, until=min(frame + FRAME_S, deadline))
                    view = self._view(session, check.lang)
                if stop.is_set():  # paused, reset or closed meanwhile: the newer picture stays
                    return
                yield view
                if self._stopped(session.run, deadline, check):
                    return
                time.sleep(max(0.0, delay - (time.monotonic() - frame)))

    def side_by_side(self, request: gr.Request | None, speed, *values) -> Iterator[tuple[Image.Image, str]]:
        """GAN, WGAN and WGAN-GP on the same data, nets, seed and steps, each with its own recipe, live."""
        check = Checks(language(request))
        speed = check.clamp(speed, 1, MAX_STREAM_STEPS, "field.speed", integer=True)
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
            gr.Warning(text("msg.lab_time", check.lang, seconds=MAX_RUN_S, step=run.step))
            return True
        return False

    def run_api(self, request: gr.Request | None, *values) -> tuple[Image.Image, dict]:
        """A whole run (capped at MAX_RUN_S): the final picture (field and curves) and the measurements as JSON."""
        check = Checks(language(request))
        config = self.config(values, check)
        started = time.monotonic()
        run, history = lab.history_run(config, every=max(1, config.steps // 50), until=started + MAX_RUN_S)
        session = Session(run, history)
        _, field_picture, curves_picture, _ = self._view(session, check.lang)
        return labview.side_by_side([field_picture, curves_picture]), {
            "config": dataclasses.asdict(config), "final": history[-1], "history": history,
            "complete": run.done, "diverged": run.diverged, "seconds": round(time.monotonic() - started, 2)}

    def claim_a(self, request: gr.Request | None, *values) -> tuple[Image.Image, str, dict]:
        return self._claim("a", request, values)

    def claim_b(self, request: gr.Request | None, *values) -> tuple[Image.Image, str, dict]:
        return self._claim("b", request, values)

    def claim_c(self, request: gr.Request | None, *values) -> tuple[Image.Image, str, dict]:
        return self._claim("c", request, values)

    def _claim(self, which: str, request: gr.Request | None, values: tuple) -> tuple[Image.Image, str, dict]:
        """Claim a, b or c on the knobs' data, nets, seed and steps (claim a: as many D steps), capped at
        MAX_CLAIM_STEPS and MAX_RUN_S; b on one seed, c on CLAIM_SEEDS. Figure, sentence, numbers."""
        check = Checks(language(request))
        config = self.config(values, check)
        if config.steps > MAX_CLAIM_STEPS:
            gr.Warning(text("msg.lab_claim_steps", check.lang, steps=config.steps, cap=MAX_CLAIM_STEPS))
            config = dataclasses.replace(config, steps=MAX_CLAIM_STEPS)
        if which == "c" and lab.target(config.distribution, config.strokes).centers is None:
            raise check.error("msg.lab_no_modes")
        deadline = time.monotonic() + MAX_RUN_S
        if which == "a":
            result = lab.vanishing_gradient(config, d_steps=config.steps, every=max(1, config.steps // 30),
                                            until=deadline)
            figure = labview.vanishing_figure(result)
        else:
            histories = lab.objective_runs(config, seeds=1 if which == "b" else CLAIM_SEEDS, until=deadline)
            result = lab.loss_vs_progress(histories) if which == "b" else lab.mode_collapse(histories)
            figure = (labview.progress_figure if which == "b" else labview.collapse_figure)(result)
        if time.monotonic() >= deadline:
            gr.Warning(text("msg.lab_claim_time", check.lang, seconds=MAX_RUN_S))
        return figure, claim_sentence(which, result, check.lang), result

    # --- Pause, new settings and closing the page stop a page's streaming runs ---------------------
    # Stopped here rather than with Gradio's `cancels=`: two cancels of one run (two settings changing at
    # once) made Gradio answer 500 for the second.
    @contextlib.contextmanager
    def _until_page_closes(self, request: gr.Request | None) -> Iterator[threading.Event]:
        """An event that is set when the request's page closes, for as long as the streaming run lasts."""
        key, stop = getattr(request, "session_hash", None) or "-", threading.Event()
        with self.stops_lock:
            self.stops.setdefault(key, set()).add(stop)
        try:
            yield stop
        finally:
            with self.stops_lock:
                runs = self.stops.get(key, set())
                runs.discard(stop)
                if not runs:
                    self.stops.pop(key, None)

    def pause(self, request: gr.Request | None = None) -> None:
        """The page's streaming runs stop at their next picture (within FRAME_S and a picture's drawing)."""
        with self.stops_lock:
            for stop in self.stops.get(getattr(request, "session_hash", None) or "-", ()):
                stop.set()

    def page_closed(self, request: gr.Request | None = None) -> None:
        """demo.unload: the closing page's streaming runs stop."""
        self.pause(request)


# --- words ----------------------------------------------------------------------------------------
def _fmt(value, spec: str) -> str:
    return "–" if value is None or (isinstance(value, float) and not np.isfinite(value)) else format(value, spec)


def numbers(m: dict, config: lab.LabConfig, lang: str) -> str:
    """A run's numbers in a line, in the page's language (D's accuracy for a GAN only: a critic's sign means
    nothing)."""
    line = text("lab.numbers", lang, step=m["step"], steps=config.steps, d_updates=m["d_updates"],
                w1=_fmt(m["w1"], ".3f"), estimate=m["estimate"], loss_d=m["loss_d"], loss_g=m["loss_g"],
                grad=m["grad_g"])
    if lab.OBJECTIVES[config.objective].loss == "dcgan":
        line += text("lab.accuracy", lang, accuracy=m["accuracy"])
    if m["modes"] is not None:
        line += text("lab.modes", lang, modes=m["modes"], total=m["modes_total"], quality=m["high_quality"])
    return line


def numbers_table(metrics: list[dict], names: tuple, lang: str) -> str:
    rows = [text("lab.table_head", lang), "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, m in zip(names, metrics, strict=True):
        modes = f"{m['modes']}/{m['modes_total']}" if m["modes"] is not None else "–"
        rows.append(f"| {name} | {m['step']:,} | {_fmt(m['w1'], '.3f')} | {modes} | {_fmt(m['high_quality'], '.0%')} | "
                    f"{m['estimate']:.3f} | {m['grad_g']:.2g} |")
    return "\n".join(rows)


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
    seeds = len(next(iter(result.values()))["modes"])
    return text("lab.claim_c_result", lang, seeds=seeds, total=result["gan"]["modes_total"],
                **{k.replace("-", "_"): v["mean_modes"] for k, v in result.items()},
                **{f"q_{k.replace('-', '_')}": v["mean_high_quality"] for k, v in result.items()})


# --- layout ---------------------------------------------------------------------------------------
def tab(handlers: Lab, demo: gr.Blocks) -> None:
    defaults = lab.LabConfig.for_objective("gan")
    gr.Markdown(t("lab.intro"))
    session = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            distribution = gr.Dropdown([(t(f"lab.dist.{d}"), d) for d in lab.DISTRIBUTIONS], value="ring",
                                       label=t("lab.distribution"), elem_id="lab-distribution")
            with gr.Accordion(t("lab.draw"), open=False):
                sketch = gr.Sketchpad(canvas_size=(SKETCH_PX, SKETCH_PX), fixed_canvas=True, type="numpy",
                                      label=t("lab.sketch"), layers=False, transforms=(), elem_id="lab-sketch",
                                      brush=gr.Brush(default_size=6, colors=["#000000"], color_mode="fixed"))
                strokes = gr.Textbox("[]", visible=False)
            objective = gr.Radio([(t(f"lab.obj.{o}"), o) for o in lab.OBJECTIVES], value="gan",
                                 label=t("lab.objective"), elem_id="lab-objective")
            noise = gr.Radio([(t(f"lab.noise.{n}"), n) for n in lab.NOISES], value="gaussian", label=t("lab.noise"))
            seed = seed_box(0, t("seed"))
            with gr.Accordion(t("lab.knobs"), open=False):
                with gr.Row():
                    g_width = gr.Number(defaults.g_width, step=1, label=t("lab.g_width"))
                    g_depth = gr.Number(defaults.g_depth, step=1, label=t("lab.g_depth"))
                    d_width = gr.Number(defaults.d_width, step=1, label=t("lab.d_width"))
                    d_depth = gr.Number(defaults.d_depth, step=1, label=t("lab.d_depth"))
                optimizer = gr.Radio(list(lab.OPTIMIZERS), value=defaults.optimizer, label=t("lab.optimizer"))
                with gr.Row():
                    lr_g = gr.Number(defaults.lr_g, label=t("lab.lr_g"))
                    lr_d = gr.Number(defaults.lr_d, label=t("lab.lr_d"))
                    d_steps = gr.Number(defaults.d_steps, step=1, label=t("lab.d_steps"))
                with gr.Row():
                    clip = gr.Number(defaults.clip, label=t("lab.clip"))
                    gp_lambda = gr.Number(defaults.gp_lambda, label=t("lab.gp_lambda"))
                    batch = gr.Number(defaults.batch, step=1, label=t("lab.batch"))
                steps = gr.Number(defaults.steps, step=1, label=t("lab.steps"))
            speed = gr.Slider(1, MAX_STREAM_STEPS, value=10, step=1, label=t("lab.speed"))
            delay = gr.Slider(0, 2, value=0, step=0.05, label=t("lab.delay"), info=t("lab.delay_info"))
            with gr.Row():
                run = gr.Button(t("lab.run"), variant="primary", elem_id="lab-run")
                pause = gr.Button(t("lab.pause"), elem_id="lab-pause")
            with gr.Row():
                d_button = gr.Button(t("lab.d_step"), size="sm", elem_id="lab-d-step")
                g_button = gr.Button(t("lab.g_step"), size="sm", elem_id="lab-g-step")
                reset = gr.Button(t("lab.reset"), size="sm", elem_id="lab-reset")
        with gr.Column(scale=3):
            with gr.Row():
                picture = gr.Image(label=t("lab.field"), type="pil", format="png", elem_id="lab-field",
                                   height=labview.FIELD_PX + 48)
                curves = gr.Image(label=t("lab.curves"), type="pil", format="png", elem_id="lab-curves",
                                  height=labview.FIELD_PX + 48)
            reading = gr.Markdown(elem_id="lab-numbers")
            gr.Markdown(t("lab.legend"))
    knobs = [distribution, objective, noise, g_width, g_depth, d_width, d_depth, optimizer, lr_g, lr_d, d_steps, clip,
             gp_lambda, batch, steps, seed, strokes]
    view = [session, picture, curves, reading]

    sketch.change(drawing, sketch, [strokes, distribution], api_name=False, queue=False)
    objective.input(handlers.recipe, objective, [optimizer, lr_g, lr_d, d_steps], api_name=False, queue=False)
    run.click(handlers.stream, [session, speed, delay, *knobs], view, api_name="lab_stream", show_progress="hidden",
              trigger_mode="once", **LONG)
    # New settings, Reset and the step buttons stop the page's runs first; new settings show a new run at step 0,
    # as in GAN Lab.
    gr.on([demo.load, reset.click, *(knob.change for knob in knobs)], handlers.reset, knobs, view, api_name=False,
          trigger_mode="always_last", **QUICK)
    d_button.click(handlers.d_step, [session, *knobs], view, api_name=False, **QUICK)
    g_button.click(handlers.g_step, [session, *knobs], view, api_name=False, **QUICK)
    demo.unload(handlers.page_closed)

    gr.Markdown(t("lab.side_intro"))
    side_button = gr.Button(t("lab.side_run"), elem_id="lab-side-run")
    side_picture = gr.Image(label=t("lab.side"), type="pil", format="png", elem_id="lab-side")
    side_numbers = gr.Markdown(elem_id="lab-side-numbers")
    side_button.click(handlers.side_by_side, [speed, *knobs], [side_picture, side_numbers], api_name=False,
                      show_progress="hidden", trigger_mode="once", **LONG)
    pause.click(handlers.pause, None, None, api_name=False, queue=False)

    gr.Markdown(phrase("lab.claims_intro", seeds=CLAIM_SEEDS))
    with gr.Row():
        claim_buttons = {which: gr.Button(t(f"lab.claim_{which}"), elem_id=f"lab-claim-{which}") for which in "abc"}
    figure = gr.Image(label=t("lab.figure"), type="pil", format="png", elem_id="lab-figure")
    sentence = gr.Markdown(elem_id="lab-claim-sentence")
    result = gr.JSON(visible=False)
    for which, button in claim_buttons.items():
        button.click(getattr(handlers, f"claim_{which}"), knobs, [figure, sentence, result],
                     api_name=f"lab_claim_{which}", trigger_mode="once", **LONG)
    lab_literature.tab()
    api_picture, api_json = gr.Image(visible=False, type="pil", format="png"), gr.JSON(visible=False)
    gr.Button(visible=False).click(handlers.run_api, knobs, [api_picture, api_json], api_name="lab_run", **LONG)
