"""The Edit tab: a seed's face moved along the model's fitted age and gender directions."""

from __future__ import annotations

import math

import gradio as gr
import torch
from PIL import Image

from ..editing import STEPS, Directions
from ..sampling import display_grid
from .common import RANGES, STRIP_FACE_PX, Checks, Handlers, random_seed, seed_box, slider
from .gallery import Entry
from .i18n import language, t, text

EDIT_FACE_PX = 320
MAX_YEARS = 120


class Edit(Handlers):
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
        span = RANGES["edit_steps"].high * d.years_per_step(conditional=True)
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

    def _attribute_walk(self, entry: Entry, z: torch.Tensor, attribute: str, conditional: bool,
                        check: Checks) -> Image.Image:
        """Seven faces along one attribute's direction from z, from −3 to +3 steps, shown in a row."""
        walk = self._directions(entry, check).walk(z, attribute, bool(conditional))
        return display_grid(self.gallery.render(entry.name, walk), STRIP_FACE_PX, nrow=len(STEPS))

    # What the Edit tab and the Your photo tab do to a face (z), however they came by it.
    def _start(self, entry: Entry, z: torch.Tensor, attribute: str, conditional: bool,
               check: Checks) -> tuple[dict, dict, Image.Image, str, Image.Image | None]:
        """The sliders (age in years, gender), face, caption and walk of a face about to be edited.

        Both sliders start at the face as it is. A model without directions shows the face, says why it
        cannot edit, and turns the sliders off.
        """
        if entry.directions is None:
            off = gr.update(interactive=False)
            return off, off, self._edit_face(entry, z), text("msg.no_directions", check.lang, name=entry.name), None
        d = entry.directions
        base, low, high = self._age_range(d, z)
        years = min(max(base, low), high)  # the face as it is, unless its fitted age is outside 0–120
        face, caption = self._edited(entry, d, z, (years - base) / d.years_per_step(bool(conditional)), 0.0,
                                     conditional, check)
        walk = self._attribute_walk(entry, z, attribute, conditional, check)
        age = gr.update(minimum=low, maximum=high, value=years, interactive=True)
        return age, gr.update(value=0, interactive=True), face, caption, walk

    def _steps(self, entry: Entry, z: torch.Tensor, age, gender, conditional: bool,
               check: Checks) -> tuple[Image.Image, str]:
        """z moved `age` and `gender` steps (−3…3) along the model's directions: face and caption."""
        d = self._directions(entry, check)
        age = check.within(age, "edit_steps", "field.age_steps")
        gender = check.within(gender, "edit_steps", "field.gender_steps")
        return self._edited(entry, d, z, age, gender, conditional, check)

    def _years(self, entry: Entry, z: torch.Tensor, years, gender, conditional: bool,
               check: Checks) -> tuple[Image.Image, str]:
        """The sliders: age in fitted years (the face as it is sits at its own), gender in steps."""
        d = self._directions(entry, check)
        base, low, high = self._age_range(d, z)
        years = check.clamp(years, low, high, "field.age")
        gender = check.within(gender, "edit_steps", "field.gender_steps")
        return self._edited(entry, d, z, (years - base) / d.years_per_step(bool(conditional)), gender, conditional,
                            check)

    # --- the Edit tab's handlers: a seed's face -------------------------------------------------------
    def edit(self, name: str, seed, age, gender, conditional: bool = True,
             request: gr.Request = None) -> tuple[Image.Image, str]:
        """The seed's face moved `age` and `gender` steps (−3…3, z's spread) along the model's directions.

        conditional (default) uses each direction with the other projected out, so the other
        attribute's fitted score stays where it was. Returns the face, shown large, and a caption.
        """
        check = Checks(language(request))
        return self._steps(*self._editable(name, seed, check), age, gender, conditional, check)

    def edit_walk(self, name: str, seed, attribute: str, conditional: bool = True,
                  request: gr.Request = None) -> Image.Image:
        """Seven faces along one attribute's direction, from −3 to +3 steps, shown in a row."""
        check = Checks(language(request))
        return self._attribute_walk(*self._editable(name, seed, check), attribute, conditional, check)

    def edit_start(self, name: str, seed, attribute: str, conditional: bool = True,
                   request: gr.Request = None) -> tuple[dict, dict, dict, dict, Image.Image, str, Image.Image | None]:
        """A new face on the Edit tab: sliders (age, gender), toggle, walk choice, face, caption, walk."""
        check = Checks(language(request))
        entry, z = self._editable(name, seed, check)
        age, gender, face, caption, walk = self._start(entry, z, attribute, conditional, check)
        toggles = gr.update(interactive=entry.directions is not None)
        return age, gender, toggles, toggles, face, caption, walk

    def edit_years(self, name: str, seed, years, gender, conditional: bool = True,
                   request: gr.Request = None) -> tuple[Image.Image, str]:
        """The Edit tab's sliders: age in fitted years (the face as generated sits at its own), gender in steps."""
        check = Checks(language(request))
        return self._years(*self._editable(name, seed, check), years, gender, conditional, check)


def tab(studio: Edit, demo: gr.Blocks, choices: list) -> None:
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            model = gr.Dropdown(choices, value=choices[0][1], label=t("model"))
            seed = seed_box(0, t("seed"))
            lucky = gr.Button(t("random_seed"), size="sm")
            age = gr.Slider(0, MAX_YEARS, value=30, step=1, label=t("age"), info=t("age_info"), elem_id="age-slider")
            gender = slider("edit_steps", 0, t("gender"), info=t("gender_info"), elem_id="gender-slider")
            conditional = gr.Checkbox(True, label=t("conditional"), info=t("conditional_info"))
            along = gr.Radio([(t("along.age"), "age"), (t("along.gender"), "gender")], value="age",
                             label=t("walk_along"))
        with gr.Column(scale=2, min_width=EDIT_FACE_PX + 24):
            edited = gr.Image(label=t("edited"), type="pil", format="png", height=EDIT_FACE_PX + 48,
                              elem_id="edit-face")
            reading = gr.Markdown(elem_id="edit-reading")
    strip = gr.Image(label=t("edit_walk"), type="pil", format="png", elem_id="edit-strip")
    gr.Markdown(t("edit.honesty"))
    lucky.click(random_seed, None, seed, api_name=False)
    gr.on([demo.load, model.change, seed.change], studio.edit_start, [model, seed, along, conditional],
          [age, gender, conditional, along, edited, reading, strip], api_name=False, trigger_mode="always_last")
    gr.on([age.input, gender.input, conditional.change], studio.edit_years, [model, seed, age, gender, conditional],
          [edited, reading], api_name=False, trigger_mode="always_last", show_progress="hidden")
    gr.on([conditional.change, along.change], studio.edit_walk, [model, seed, along, conditional], strip,
          api_name="edit_walk", trigger_mode="always_last")
    # The API's /edit takes both edits in steps; the sliders above go through edit_years.
    api_age, api_gender = gr.Number(0, visible=False), gr.Number(0, visible=False)
    gr.Button(visible=False).click(studio.edit, [model, seed, api_age, api_gender, conditional], [edited, reading],
                                   api_name="edit")
