"""The Gradio studio: samples, latent interpolation, side-by-side comparison, face editing, model facts.

Every handler validates its inputs the same way: a value that can be repaired is
clamped with a gr.Warning saying so, one that cannot raises gr.Error. Nothing is
computed at import; `create_app` loads the generators once.
"""

from __future__ import annotations

import math
import os
import random
import tempfile
import time
from pathlib import Path

import gradio as gr
import torch
from PIL import Image

from .editing import STEPS, Directions
from .gallery import Entry, Gallery
from .hub import HubError, fetch_weights
from .i18n import LAUNCH_I18N, language, localized, phrase, t, text
from .sampling import display_grid, gif_bytes, grid_columns, interpolate, seeded_noise, to_pil, truncate

MAX_SEED = 2**32 - 1
MAX_FACES, MAX_COMPARE, MAX_FRAMES, GIF_FRAMES = 64, 16, 16, 24
GIF_LIFETIME_S = 600
# Display sizes (px): faces are shown large, upscaled by `display_grid`; the native ones download.
SAMPLES_PANEL, MAX_FACE_PX, FACE_AT_T_PX, STRIP_FACE_PX, STRIP_ROW, COMPARE_FACE_PX = 784, 384, 256, 96, 8, 128
EDIT_FACE_PX, MAX_EDIT = 320, max(STEPS)  # edits reach ±3 steps: z's spread along a direction, 3 standard deviations
MAX_YEARS = 120
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
# Gradio marks every <img> loading="lazy", so the About tab's curves and progress grids below the
# fold stayed blank for a visitor who scrolled fast. Turn each one eager as soon as it appears.
EAGER_IMAGES = """<script>
new MutationObserver(() => document.querySelectorAll('img[loading="lazy"]').forEach(img => { img.loading = "eager"; }))
  .observe(document.documentElement, {childList: true, subtree: true});
</script>"""


def grid_face_px(count: int) -> int:
    """Display size of each face in a grid of count: the grid fills the Samples panel (193 px at 16)."""
    return min(MAX_FACE_PX, (SAMPLES_PANEL - 2) // grid_columns(count) - 2)


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

    def seed(self, value, field: str = "field.seed") -> int:
        return self.clamp(value, 0, MAX_SEED, field, integer=True)


class Studio:
    """The app's handlers, over one Gallery. Each takes the request last, for its language."""

    def __init__(self, gallery: Gallery) -> None:
        self.gallery = gallery
        self.gif_dir = Path(tempfile.mkdtemp(prefix="facegan-gif-"))

    def _entry(self, name, check: Checks):
        if name not in self.gallery.models:
            raise check.error("msg.unknown_model", name=name, loaded=", ".join(self.gallery.names) or "-")
        return self.gallery.models[name]

    def _latent(self, name: str, seed: int, n: int, scale: float, check: Checks) -> torch.Tensor:
        return truncate(seeded_noise(n, self._entry(name, check).generator.config.nz, seed), scale)

    def samples(self, name: str, seed, count, scale, request: gr.Request = None) -> tuple[Image.Image, Image.Image]:
        """A grid of `count` faces, shown large, and the same grid at native size.

        The same seed always gives the same faces.
        """
        check = Checks(language(request))
        seed, count = check.seed(seed), check.clamp(count, 1, MAX_FACES, "field.faces", integer=True)
        scale = check.clamp(scale, 0.1, 1.0, "field.truncation")
        faces = self.gallery.render(name, self._latent(name, seed, count, scale, check))
        return display_grid(faces, grid_face_px(count)), to_pil(faces)

    def _walk(self, name, seed_a, seed_b, method, scale, check: Checks) -> tuple[torch.Tensor, torch.Tensor, str]:
        """The latents of seeds A and B, checked once; and a file-name-safe label of the walk."""
        seed_a, seed_b = check.seed(seed_a, "field.seed_a"), check.seed(seed_b, "field.seed_b")
        scale = check.clamp(scale, 0.1, 1.0, "field.truncation")
        if method not in ("slerp", "lerp"):
            raise check.error("msg.bad_method", method=method)
        a, b = (self._latent(name, seed, 1, scale, check)[0] for seed in (seed_a, seed_b))
        return a, b, f"{name}-{seed_a}-{seed_b}-{method}-{scale:g}"

    def frame(self, name: str, seed_a, seed_b, method: str, t, scale, request: gr.Request = None) -> Image.Image:
        """The face at t on the walk from seed A to seed B, shown large."""
        check = Checks(language(request))
        a, b, _ = self._walk(name, seed_a, seed_b, method, scale, check)
        z = interpolate(a, b, [check.clamp(t, 0.0, 1.0, "field.t")], method)
        return display_grid(self.gallery.render(name, z), FACE_AT_T_PX, padding=0)

    def strip(self, name: str, seed_a, seed_b, method: str, frames, scale,
              request: gr.Request = None) -> tuple[Image.Image, str]:
        """N frames from A to B, shown large in rows of 8, and a GIF of the walk at native size.

        Both are rendered in one batch.
        """
        check = Checks(language(request))
        a, b, label = self._walk(name, seed_a, seed_b, method, scale, check)
        n = check.clamp(frames, 2, MAX_FRAMES, "field.frames", integer=True)
        ts = [i / (n - 1) for i in range(n)] + [i / (GIF_FRAMES - 1) for i in range(GIF_FRAMES)]
        images = self.gallery.render(name, interpolate(a, b, ts, method))
        for old in self.gif_dir.glob("*.gif"):  # Gradio serves its own copy; keep the folder small
            if time.time() - old.stat().st_mtime > GIF_LIFETIME_S:
                old.unlink(missing_ok=True)
        gif = self.gif_dir / f"walk-{label}.gif"
        with tempfile.NamedTemporaryFile(dir=self.gif_dir, suffix=".part", delete=False) as part:
            part.write(gif_bytes(images[n:]))
        os.replace(part.name, gif)  # atomic: two visitors asking for the same walk never see half a file
        return display_grid(images[:n], STRIP_FACE_PX, nrow=STRIP_ROW), str(gif)

    def _editable(self, name: str, seed, check: Checks) -> tuple[Entry, torch.Tensor]:
        """The model and the seed's latent: the Samples tab's first face for that seed."""
        return self._entry(name, check), self._latent(name, check.seed(seed), 1, 1.0, check)[0]

    @staticmethod
    def _directions(entry: Entry, check: Checks) -> Directions:
        if entry.directions is None:
            raise check.error("msg.no_directions", name=entry.name)
        return entry.directions

    @staticmethod
    def _age_range(d: Directions, z: torch.Tensor) -> tuple[int, int, int]:
        """The face's own fitted age (rounded: the slider's whole years start there) and the age slider's range,
        what ±3 conditional steps reach, within 0–120 years. Without "keep fixed" the same years take fewer steps."""
        base = round(float(d.years(z)))
        span = MAX_EDIT * d.years_per_step(conditional=True)
        low, high = max(0, math.ceil(base - span)), min(MAX_YEARS, math.floor(base + span))
        return base, low, max(low, high)

    def _edited(self, entry: Entry, d: Directions, z: torch.Tensor, age: float, gender: float, conditional: bool,
                check: Checks) -> tuple[Image.Image, str]:
        """The edited face, shown large, and what the fitted models say of it (with the predictor's errors)."""
        moved = d.edit(z, age, gender, bool(conditional))
        face = self._edit_face(entry, moved)
        caption = text("edit.reading", check.lang, years=float(d.years(moved)), female=float(d.female(moved)))
        predictor = entry.meta["editing"].get("predictor", {})
        if {"age_mae", "gender_accuracy", "age_mae_by_band"} <= predictor.keys():
            bands = ", ".join(f"{band}: {v['mae']:.1f}" for band, v in predictor["age_mae_by_band"].items())
            caption += "\n\n" + text("edit.errors", check.lang, mae=predictor["age_mae"],
                                       accuracy=predictor["gender_accuracy"], bands=bands)
        return face, caption

    def _edit_face(self, entry: Entry, z: torch.Tensor) -> Image.Image:
        return display_grid(self.gallery.render(entry.name, z.unsqueeze(0)), EDIT_FACE_PX, padding=0)

    def _attribute_walk(self, entry: Entry, d: Directions, z: torch.Tensor, attribute: str,
                        conditional: bool) -> Image.Image:
        walk = d.walk(z, attribute, bool(conditional))
        return display_grid(self.gallery.render(entry.name, walk), STRIP_FACE_PX, nrow=len(STEPS))

    def edit(self, name: str, seed, age, gender, conditional: bool = True,
             request: gr.Request = None) -> tuple[Image.Image, str]:
        """The seed's face moved `age` and `gender` steps (−3…3, z's spread) along the model's directions.

        conditional (default) uses each direction with the other projected out, so the other
        attribute's fitted score stays where it was. Returns the face, shown large, and a caption.
        """
        check = Checks(language(request))
        entry, z = self._editable(name, seed, check)
        d = self._directions(entry, check)
        age = check.clamp(age, -MAX_EDIT, MAX_EDIT, "field.age_steps")
        gender = check.clamp(gender, -MAX_EDIT, MAX_EDIT, "field.gender_steps")
        return self._edited(entry, d, z, age, gender, conditional, check)

    def edit_walk(self, name: str, seed, attribute: str, conditional: bool = True,
                  request: gr.Request = None) -> Image.Image:
        """Seven faces along one attribute's direction, from −3 to +3 steps, shown in a row."""
        check = Checks(language(request))
        entry, z = self._editable(name, seed, check)
        return self._attribute_walk(entry, self._directions(entry, check), z, attribute, conditional)

    def edit_start(self, name: str, seed, attribute: str, conditional: bool = True,
                   request: gr.Request = None) -> tuple[dict, dict, dict, dict, Image.Image, str, Image.Image | None]:
        """A new face on the Edit tab: sliders (age, gender), toggle, walk choice, face, caption, walk.

        Both sliders start at the face as generated. A model without directions shows its face,
        says why it cannot edit, and turns the controls off.
        """
        check = Checks(language(request))
        entry, z = self._editable(name, seed, check)
        if entry.directions is None:
            off = gr.update(interactive=False)
            return off, off, off, off, self._edit_face(entry, z), text("msg.no_directions", check.lang, name=name), None
        d, on = entry.directions, gr.update(interactive=True)
        base, low, high = self._age_range(d, z)
        years = min(max(base, low), high)  # the face as generated, unless its fitted age is outside 0–120
        face, caption = self._edited(entry, d, z, (years - base) / d.years_per_step(bool(conditional)), 0.0,
                                     conditional, check)
        walk = self._attribute_walk(entry, d, z, attribute, conditional)
        age = gr.update(minimum=low, maximum=high, value=years, interactive=True)
        return age, gr.update(value=0, interactive=True), on, on, face, caption, walk

    def edit_years(self, name: str, seed, years, gender, conditional: bool = True,
                   request: gr.Request = None) -> tuple[Image.Image, str]:
        """The Edit tab's sliders: age in fitted years (the face as generated sits at its own), gender in steps."""
        check = Checks(language(request))
        entry, z = self._editable(name, seed, check)
        d = self._directions(entry, check)
        base, low, high = self._age_range(d, z)
        years = check.clamp(years, low, high, "field.age")
        gender = check.clamp(gender, -MAX_EDIT, MAX_EDIT, "field.gender_steps")
        return self._edited(entry, d, z, (years - base) / d.years_per_step(bool(conditional)), gender, conditional,
                            check)

    def compare(self, seed, count, scale, request: gr.Request = None) -> list[tuple[Image.Image, str]]:
        """The same latents through every model, at one face size whatever each model's resolution, captioned."""
        check = Checks(language(request))
        seed = check.seed(seed)
        count = check.clamp(count, 1, MAX_COMPARE, "field.faces", integer=True)
        scale = check.clamp(scale, 0.1, 1.0, "field.truncation")
        return [(display_grid(self.gallery.render(name, self._latent(name, seed, count, scale, check)), COMPARE_FACE_PX),
                 entry.caption(check.lang)) for name, entry in self.gallery.models.items()]


def build(gallery: Gallery, notices: list) -> gr.Blocks:
    """The page; notices are texts (I18nData or str) shown above the tabs."""
    studio = Studio(gallery)
    names = gallery.names
    choices = [(localized(entry.label), name) for name, entry in gallery.models.items()]
    with gr.Blocks(title="FaceGAN studio", delete_cache=(3600, 3600)) as demo:  # a Space runs for weeks
        gr.Markdown(t("intro"))
        for notice in notices + [phrase("notice.problem", problem=p) for p in gallery.problems]:
            gr.Markdown(notice)
        if not names:
            gr.Markdown(t("no_models"), elem_id="no-models")
            return demo
        with gr.Tabs():
            with gr.Tab(t("tab.samples"), id="samples"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=260):
                        model = gr.Dropdown(choices, value=names[0], label=t("model"))
                        seed = gr.Number(0, precision=0, label=t("seed"))
                        lucky = gr.Button(t("random_seed"), size="sm", elem_id="random-seed")
                        count = gr.Slider(1, MAX_FACES, value=16, step=1, label=t("faces"))
                        scale = gr.Slider(0.1, 1.0, value=1.0, step=0.05, label=t("truncation"))
                        with gr.Accordion(t("native"), open=False):
                            native = gr.Image(label=t("native_grid"), type="pil", format="png", buttons=["download"],
                                              elem_id="samples-native")
                    with gr.Column(scale=3, min_width=SAMPLES_PANEL + 24):
                        grid = gr.Image(label=t("samples"), type="pil", format="png", height=SAMPLES_PANEL + 16,
                                        buttons=["download", "fullscreen"], elem_id="samples-grid")
                lucky.click(lambda: random.randint(0, MAX_SEED), None, seed, api_name="random_seed")
                gr.on([demo.load, model.change, seed.change, count.change, scale.change], studio.samples,
                      [model, seed, count, scale], [grid, native], api_name="samples", trigger_mode="always_last")

            with gr.Tab(t("tab.interpolation"), id="interpolation"):
                with gr.Row():
                    i_model = gr.Dropdown(choices, value=names[0], label=t("model"))
                    seed_a = gr.Number(1, precision=0, label=t("seed_a"))
                    seed_b = gr.Number(2, precision=0, label=t("seed_b"))
                    method = gr.Radio(["slerp", "lerp"], value="slerp", label=t("path"))
                    i_scale = gr.Slider(0.1, 1.0, value=1.0, step=0.05, label=t("truncation"))
                with gr.Row():
                    with gr.Column(scale=1, min_width=FACE_AT_T_PX + 24):
                        t_slider = gr.Slider(0.0, 1.0, value=0.5, step=0.01, label=t("t"), elem_id="t-slider")
                        face = gr.Image(label=t("face_at_t"), type="pil", format="png", height=FACE_AT_T_PX + 48,
                                        elem_id="interp-face")
                    with gr.Column(scale=3):
                        frames = gr.Slider(2, MAX_FRAMES, value=8, step=1, label=t("frames"))
                        strip = gr.Image(label=t("strip"), type="pil", format="png", elem_id="interp-strip")
                        gif = gr.File(label=t("gif"))
                walk = [i_model, seed_a, seed_b, method]
                gr.on([demo.load, t_slider.change, *(c.change for c in walk), i_scale.change], studio.frame,
                      [*walk, t_slider, i_scale], face, api_name="frame", trigger_mode="always_last",
                      show_progress="hidden")
                gr.on([demo.load, frames.change, *(c.change for c in walk), i_scale.change], studio.strip,
                      [*walk, frames, i_scale], [strip, gif], api_name="strip", trigger_mode="always_last")

            with gr.Tab(t("tab.compare"), id="compare"):
                with gr.Row():
                    c_seed = gr.Number(0, precision=0, label=t("seed"))
                    c_count = gr.Slider(1, MAX_COMPARE, value=9, step=1, label=t("faces_per_model"))
                    c_scale = gr.Slider(0.1, 1.0, value=1.0, step=0.05, label=t("truncation"))
                side = gr.Gallery(label=t("same_latents"), columns=len(names), height="auto", format="png",
                                  object_fit="contain", elem_id="compare-gallery")
                gr.on([demo.load, c_seed.change, c_count.change, c_scale.change], studio.compare,
                      [c_seed, c_count, c_scale], side, api_name="compare", trigger_mode="always_last")

            with gr.Tab(t("tab.edit"), id="edit"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        e_model = gr.Dropdown(choices, value=names[0], label=t("model"))
                        e_seed = gr.Number(0, precision=0, label=t("seed"))
                        e_lucky = gr.Button(t("random_seed"), size="sm")
                        age = gr.Slider(0, MAX_YEARS, value=30, step=1, label=t("age"), info=t("age_info"),
                                        elem_id="age-slider")
                        gender = gr.Slider(-MAX_EDIT, MAX_EDIT, value=0, step=0.1, label=t("gender"),
                                           info=t("gender_info"), elem_id="gender-slider")
                        conditional = gr.Checkbox(True, label=t("conditional"), info=t("conditional_info"))
                        along = gr.Radio([(t("along.age"), "age"), (t("along.gender"), "gender")], value="age",
                                         label=t("walk_along"))
                    with gr.Column(scale=2, min_width=EDIT_FACE_PX + 24):
                        edited = gr.Image(label=t("edited"), type="pil", format="png", height=EDIT_FACE_PX + 48,
                                          elem_id="edit-face")
                        reading = gr.Markdown(elem_id="edit-reading")
                e_strip = gr.Image(label=t("edit_walk"), type="pil", format="png", elem_id="edit-strip")
                gr.Markdown(t("edit.honesty"))
                e_lucky.click(lambda: random.randint(0, MAX_SEED), None, e_seed, api_name=False)
                gr.on([demo.load, e_model.change, e_seed.change], studio.edit_start,
                      [e_model, e_seed, along, conditional], [age, gender, conditional, along, edited, reading, e_strip],
                      api_name=False, trigger_mode="always_last")
                gr.on([age.input, gender.input, conditional.change], studio.edit_years,
                      [e_model, e_seed, age, gender, conditional], [edited, reading], api_name=False,
                      trigger_mode="always_last", show_progress="hidden")
                gr.on([conditional.change, along.change], studio.edit_walk, [e_model, e_seed, along, conditional],
                      e_strip, api_name="edit_walk", trigger_mode="always_last")
                # The API's /edit takes both edits in steps; the sliders above go through edit_years.
                api_age, api_gender = gr.Number(0, visible=False), gr.Number(0, visible=False)
                gr.Button(visible=False).click(studio.edit, [e_model, e_seed, api_age, api_gender, conditional],
                                               [edited, reading], api_name="edit")

            with gr.Tab(t("tab.about"), id="about", elem_id="about"):
                gr.Markdown(t("about.objectives"), latex_delimiters=LATEX, elem_id="objectives")
                for entry in gallery.models.values():
                    gr.Markdown(localized(entry.describe))
                    if entry.curves:
                        gr.Image(str(entry.curves), label=phrase("about.curves", name=entry.name), type="filepath",
                                 interactive=False)
                    if entry.progress:
                        gr.Gallery([(str(p), f"{step:,}") for p, step in entry.progress], columns=6,
                                   label=phrase("about.progress", name=entry.name), height="auto")
    return demo


def launch(demo: gr.Blocks, **options) -> None:
    """Queue and launch the studio with its translations and page script (app.py, tests and benchmarks alike)."""
    demo.queue(default_concurrency_limit=2, max_size=64).launch(i18n=LAUNCH_I18N, head=EAGER_IMAGES, **options)


def create_app(checkpoints: Path, hub_repo: str | None = None) -> gr.Blocks:
    """The studio over a checkpoint folder, plus a Hub model repo's weights when named."""
    folders, notices = [checkpoints], []
    if not checkpoints.is_dir():
        notices.append(phrase("notice.no_folder", path=checkpoints))
    if hub_repo:
        try:
            folders.append(fetch_weights(hub_repo))
        except HubError as error:
            notices.append(phrase("notice.hub", error=error))
    return build(Gallery([f for f in folders if f.is_dir()]), notices)
