"""The Lab tab's page: GANs trained live on 2-D points, the three claims one click each, three objectives side by side.

`layout` places the tab's components, `wire` connects each to its handler in `facegan.ui.lab_handlers` (where the
runs, their caps and their stopping live), and `tab` does both. Every Lab event runs in a concurrency group of
its own, so the face tabs keep answering while a run streams.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from .. import lab
from ..lab import saved
from ..lab import view as labview
from ..lab.config import UPDATES
from ..lab.nets import ACTIVATIONS, INITS
from . import lab_literature
from .common import seed_box, slider
from .i18n import phrase, t
from .lab_handlers import CLAIM_C_S, CLAIM_C_STEPS, CLAIM_SEEDS, KNOBS, RECIPE, Lab, drawing

SKETCH_PX = 256
# Long events (runs, claims) share two slots; quick ones (a reset, one step) have their own, so that a new
# visitor's first picture never waits behind two streaming runs. Neither group holds the face tabs.
LONG, QUICK = dict(concurrency_id="lab", concurrency_limit=2), dict(concurrency_id="lab-quick", concurrency_limit=4)
CHOICES = {"optimizer": lab.OPTIMIZERS, "optimizer_d": lab.OPTIMIZERS, "init": INITS,  # settings chosen by name
           "activation": tuple(ACTIVATIONS), "update": UPDATES}


# --- layout ---------------------------------------------------------------------------------------
def _field(name: str, defaults: lab.LabConfig) -> gr.components.Component:
    """The field for one setting: a number with its range from TAB_LIMITS, or its choices."""
    label, elem_id = t(f"lab.{name}"), f"lab-{name.replace('_', '-')}"
    if name in CHOICES:
        return gr.Radio(list(CHOICES[name]), value=getattr(defaults, name), label=label, elem_id=elem_id)
    if name == "g_batchnorm":
        return gr.Checkbox(getattr(defaults, name), label=label, elem_id=elem_id)
    if name == "noise_dim":
        return gr.Radio([("1-D", 1), ("2-D", 2)], value=defaults.noise_dim, label=label, elem_id=elem_id)
    if name in lab.TAB_LIMITS:
        low, high = lab.TAB_LIMITS[name]
        return gr.Number(getattr(defaults, name), step=1 if isinstance(low, int) else None, label=label,
                         info=f"{low:g} – {high:g}", elem_id=elem_id)
    return gr.Textbox(str(getattr(defaults, name)), label=label, elem_id=elem_id)


def layout(folder: Path | None) -> SimpleNamespace:
    """The tab's components, in place on the page; `wire` connects them."""
    defaults = lab.LabConfig.for_objective("gan")
    c = SimpleNamespace(knobs={})
    k = c.knobs
    gr.Markdown(t("lab.intro"))
    c.session = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            k["distribution"] = gr.Dropdown([(t(f"lab.dist.{d}"), d) for d in lab.DISTRIBUTIONS], value="ring",
                                            label=t("lab.distribution"), elem_id="lab-distribution")
            with gr.Accordion(t("lab.draw"), open=False):
                c.sketch = gr.Sketchpad(canvas_size=(SKETCH_PX, SKETCH_PX), fixed_canvas=True, type="numpy",
                                        label=t("lab.sketch"), layers=False, transforms=(), elem_id="lab-sketch",
                                        brush=gr.Brush(default_size=6, colors=["#000000"], color_mode="fixed"))
                k["strokes"] = gr.Textbox("[]", visible=False)
            k["objective"] = gr.Radio([(t(f"lab.obj.{o}"), o) for o in lab.OBJECTIVES], value="gan",
                                      label=t("lab.objective"), elem_id="lab-objective")
            with gr.Row():
                k["noise"] = gr.Radio([(t(f"lab.noise.{n}"), n) for n in lab.NOISES], value="gaussian",
                                      label=t("lab.noise"))
                k["noise_dim"] = _field("noise_dim", defaults)
            k["seed"] = seed_box(0, t("seed"))
            c.presets = {}
            if presets := saved.presets(folder):
                gr.Markdown(t("lab.presets"))
                with gr.Row():
                    c.presets = {name: gr.Button(t(f"lab.preset.{name}"), size="sm", elem_id=f"lab-preset-{name}")
                                 for name in presets}
            with gr.Accordion(t("lab.knobs"), open=False):
                for net, optimizer, rates in (("g", "optimizer", ("lr_g", "beta1", "beta2")),
                                              ("d", "optimizer_d", ("lr_d", "beta1_d", "beta2_d"))):
                    gr.Markdown(t(f"lab.net_{net}"))
                    with gr.Row():
                        for name in (f"{net}_width", f"{net}_depth", f"{net}_steps"):
                            k[name] = _field(name, defaults)
                    k[optimizer] = _field(optimizer, defaults)
                    with gr.Row():
                        for name in rates:
                            k[name] = _field(name, defaults)
                with gr.Row():
                    for name in ("clip", "gp_lambda", "batch", "steps"):
                        k[name] = _field(name, defaults)
                for name in KNOBS:  # any setting without a place of its own above
                    if name not in k:
                        k[name] = _field(name, defaults)
            c.speed = slider("lab_speed", 10, t("lab.speed"))
            c.delay = slider("lab_delay", 0, t("lab.delay"), info=t("lab.delay_info"))
            with gr.Row():
                c.run = gr.Button(t("lab.run"), variant="primary", elem_id="lab-run")
                c.pause = gr.Button(t("lab.pause"), elem_id="lab-pause")
            with gr.Row():
                c.d_button = gr.Button(t("lab.d_step"), size="sm", elem_id="lab-d-step")
                c.g_button = gr.Button(t("lab.g_step"), size="sm", elem_id="lab-g-step")
                c.reset = gr.Button(t("lab.reset"), size="sm", elem_id="lab-reset")
            c.layers = gr.CheckboxGroup([(t(f"lab.layer.{name}"), name) for name in labview.LAYERS],
                                        value=list(labview.LAYERS), label=t("lab.layers"), elem_id="lab-layers")
        with gr.Column(scale=3):
            with gr.Row():
                c.picture = gr.Image(label=t("lab.field"), type="pil", format="png", elem_id="lab-field",
                                     height=labview.FIELD_PX + 48)
                c.curves = gr.Image(label=t("lab.curves"), type="pil", format="png", elem_id="lab-curves",
                                    height=labview.FIELD_PX + 48)
            c.reading = gr.Markdown(elem_id="lab-numbers")
            c.timeline = gr.Slider(0, 1, value=0, step=1, label=t("lab.timeline"), info=t("lab.timeline_info"),
                                   elem_id="lab-timeline")
            c.graph = gr.HTML(elem_id="lab-graph", label=t("lab.graph"))
            with gr.Row():
                c.save = gr.Button(t("lab.save"), size="sm", elem_id="lab-save")
                c.animate = gr.Button(t("lab.animate"), size="sm", elem_id="lab-animate")
            with gr.Row():
                c.saved = gr.File(label=t("lab.saved"), interactive=False, elem_id="lab-saved")
                c.load = gr.File(label=t("lab.load"), file_types=[".safetensors"], type="filepath",
                                 elem_id="lab-load")
                c.gif = gr.File(label=t("lab.gif"), interactive=False, elem_id="lab-gif")
            gr.Markdown(t("lab.legend"))

    gr.Markdown(t("lab.side_intro"))
    c.side_button = gr.Button(t("lab.side_run"), elem_id="lab-side-run")
    c.side_picture = gr.Image(label=t("lab.side"), type="pil", format="png", elem_id="lab-side")
    c.side_numbers = gr.Markdown(elem_id="lab-side-numbers")

    gr.Markdown(t("lab.surfaces_intro"))
    c.surfaces_button = gr.Button(t("lab.surfaces_run"), elem_id="lab-surfaces-run")
    c.surfaces_picture = gr.Image(label=t("lab.surfaces"), type="pil", format="png", elem_id="lab-surfaces")
    c.surfaces_sentence = gr.Markdown(elem_id="lab-surfaces-sentence")
    c.surfaces_numbers = gr.JSON(visible=False)

    gr.Markdown(phrase("lab.claims_intro", seeds=CLAIM_SEEDS, steps=CLAIM_C_STEPS, seconds=CLAIM_C_S))
    with gr.Row():
        c.claim_buttons = {which: gr.Button(t(f"lab.claim_{which}"), elem_id=f"lab-claim-{which}") for which in "abc"}
    c.figure = gr.Image(label=t("lab.figure"), type="pil", format="png", elem_id="lab-figure")
    c.sentence = gr.Markdown(elem_id="lab-claim-sentence")
    c.result = gr.JSON(visible=False)
    lab_literature.tab(folder)  # claim c on the literature's settings: its own block, laid out and wired there
    c.api_picture, c.api_json = gr.Image(visible=False, type="pil", format="png"), gr.JSON(visible=False)
    c.api_button = gr.Button(visible=False)
    return c


def wire(handlers: Lab, demo: gr.Blocks, c: SimpleNamespace) -> None:
    """The tab's events: which handler answers which control, in which concurrency group, under which API name."""
    knobs = [c.knobs[name] for name in KNOBS]
    view = [c.session, c.picture, c.curves, c.reading, c.graph, c.timeline]
    moment = [c.picture, c.curves, c.reading]

    # New settings show a new run at step 0, as in GAN Lab. Only what the visitor changes starts one (`.input`), and
    # what fills in several fields at once (a drawing, an objective's recipe) starts one after it has filled them
    # all: with `.change`, each field would start its own run, and one from a half-filled set could come last.
    settings = dict(fn=handlers.settings, inputs=[c.session, *knobs], outputs=view, api_name=False,
                    trigger_mode="always_last", **QUICK)
    c.sketch.change(drawing, c.sketch, [c.knobs["strokes"], c.knobs["distribution"]], api_name=False,
                    queue=False).then(**settings)
    c.knobs["objective"].input(handlers.recipe, c.knobs["objective"], [c.knobs[name] for name in RECIPE],
                               api_name=False, queue=False).then(**settings)
    gr.on([knob.input for knob in knobs if knob is not c.knobs["objective"]], **settings)
    c.run.click(handlers.stream, [c.session, c.speed, c.delay, *knobs], view, api_name="lab_stream",
                show_progress="hidden", trigger_mode="once", **LONG)
    # Reset, new settings and the step buttons stop the page's runs first.
    gr.on([demo.load, c.reset.click], handlers.reset, knobs, view, api_name=False, trigger_mode="always_last",
          **QUICK)
    c.d_button.click(handlers.d_step, [c.session, *knobs], view, api_name=False, **QUICK)
    c.g_button.click(handlers.g_step, [c.session, *knobs], view, api_name=False, **QUICK)
    c.timeline.input(handlers.scrub, [c.session, c.timeline], moment, api_name=False, trigger_mode="always_last",
                     show_progress="hidden", **QUICK)
    c.layers.input(handlers.show_layers, [c.session, c.timeline, c.layers], moment, api_name=False, **QUICK)
    demo.unload(handlers.page_closed)
    c.pause.click(handlers.pause, None, None, api_name=False, queue=False)

    c.save.click(handlers.save, c.session, c.saved, api_name="lab_save", **QUICK)
    c.load.upload(handlers.load, [c.load, c.session], [*view, *knobs], api_name="lab_load", **QUICK)
    for name, button in c.presets.items():
        button.click(handlers.preset, [gr.State(name), c.session], [*view, *knobs], api_name=False, **QUICK)
    c.animate.click(handlers.animation, c.session, c.gif, api_name="lab_animation", **LONG)

    c.side_button.click(handlers.side_by_side, [c.speed, *knobs], [c.side_picture, c.side_numbers], api_name=False,
                        show_progress="hidden", trigger_mode="once", **LONG)
    c.surfaces_button.click(handlers.surfaces, knobs, [c.surfaces_picture, c.surfaces_sentence, c.surfaces_numbers],
                            api_name="lab_critic_surfaces", trigger_mode="once", **LONG)
    for which, button in c.claim_buttons.items():
        button.click(getattr(handlers, f"claim_{which}"), knobs, [c.figure, c.sentence, c.result],
                     api_name=f"lab_claim_{which}", trigger_mode="once", **LONG)
    c.api_button.click(handlers.run_api, knobs, [c.api_picture, c.api_json], api_name="lab_run", **LONG)


def tab(handlers: Lab, demo: gr.Blocks) -> None:
    wire(handlers, demo, layout(handlers.folder))
