"""The "Your photo" tab: a visitor's photo framed like the training crops, projected into every generator's z,
then moved along the Edit tab's age and gender directions.

The photo is read inside the request and nothing of it is kept by the studio: the projections
travel back to the page as latents (one list of numbers per model), and the edits start from those.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import gradio as gr
import torch

from ..attributes import IN_CHECKPOINTS as JUDGE_FILE
from ..attributes import AttributePredictor, load_predictor, predict
from ..export import CheckpointError
from ..faces import CROP, FaceError, frame, from_crop
from ..project import Projection, Projector, Settings, crop_tensor, projector_for
from ..sampling import display_grid, resize_faces
from ..sharing import Batcher
from .common import BATCH, STRIP_FACE_PX, Checks, slider
from .edit import EDIT_FACE_PX, MAX_YEARS, Edit
from .gallery import Entry
from .i18n import language, t, text

SIDE_BY_SIDE_PX = 192  # each face of the crop-and-projections row


@dataclass
class Projected:
    """One visitor's crop in every model, from a projection shared with whoever else asked meanwhile."""

    age: float  # the judge's reading of the crop
    female: float
    models: dict[str, tuple[Projection, float, float]]  # name → (its projection, the judge's age and female)


class Photo(Edit):
    """Framing, projection and edits of a visitor's photo; the judge and the projectors are built on first use,
    once, and every visitor's crops asked for meanwhile are projected together (`facegan.sharing`)."""

    def __init__(self, gallery) -> None:
        super().__init__(gallery)
        self._judge = None
        self._projectors: dict[str, Projector] = {}
        self._building = threading.Lock()  # the judge and the projectors are built by one request only
        self._projections = Batcher(self._project_together, max_size=BATCH)

    def _judge_of(self, check: Checks) -> AttributePredictor:
        """The age/gender judge in the gallery's checkpoints folder (`Gallery.judge_path`): its features are the
        perceptual loss, its readings the table's."""
        with self._building:
            if self._judge is None:
                path = self.gallery.judge_path()
                if path is None:  # no checkpoints folder at all
                    raise check.error("photo.no_judge", error=JUDGE_FILE)
                try:
                    self._judge = load_predictor(path)[0]
                except CheckpointError as error:
                    raise check.error("photo.no_judge", error=error) from None
            return self._judge

    def _projector(self, name: str, check: Checks) -> Projector:
        """The model's projector, with its encoder unless the gallery found the encoder file unusable (and the page
        says so): then it starts as a model without an encoder does."""
        judge = self._judge_of(check)
        with self._building:
            if name not in self._projectors:
                entry = self.gallery.models[name]
                if entry.encoder_problem is not None:
                    self._projectors[name] = Projector(entry.generator, judge)
                else:
                    try:
                        self._projectors[name] = projector_for(entry.path, judge, generator=entry.generator)
                    except CheckpointError as error:  # unusable since the gallery looked: nobody was told yet
                        raise check.error("photo.bad_encoder", name=name, error=error) from None
            return self._projectors[name]

    def _project_together(self, jobs: list[tuple[torch.Tensor, int]]) -> list[Projected]:
        """Several visitors' crops (uint8 1×3×64×64, each with its step count) into every model: one batched
        projection per model and step count. Each z is fitted to its own crop alone (`Projector.loss`)."""
        judge, out = self._judge, [None] * len(jobs)
        for steps in sorted({steps for _, steps in jobs}):
            index = [i for i, (_, s) in enumerate(jobs) if s == steps]
            crops = torch.cat([jobs[i][0] for i in index])
            ages, females = predict(judge, crops)
            projected = {}
            for name in self.gallery.names:
                with self.gallery.turns.turn():  # a model at a time: the face tabs' requests fit in between
                    result = self._projectors[name](crops, Settings(steps=steps))
                projected[name] = (result, *predict(judge, result.images))
            for k, i in enumerate(index):
                out[i] = Projected(float(ages[k]), float(females[k]), {
                    name: (Projection(r.z[k:k + 1], r.images[k:k + 1], r.psnr[k:k + 1], r.start_psnr[k:k + 1],
                                      r.seconds), float(a[k]), float(f[k]))
                    for name, (r, a, f) in projected.items()})
        return out

    @staticmethod
    def _frame(photo, framing: str, hand, check: Checks) -> tuple[torch.Tensor, str]:
        """The 64×64 crop (uint8 1×3×64×64) and a line on how it was found."""
        try:
            if framing == "hand":
                source = (hand or {}).get("composite") if isinstance(hand, dict) else hand
                if source is None and photo is None:
                    raise check.error("photo.no_photo")
                return crop_tensor(from_crop(source or photo)), text("photo.by_hand", check.lang)
            if photo is None:
                raise check.error("photo.no_photo")
            framed = frame(photo)
        except FaceError as error:
            raise check.error(f"photo.reason.{error.reason}", **error.values) from None
        eyes = text("photo.eyes_found" if framed.face.eyes_found else "photo.eyes_placed", check.lang)
        faces = text("photo.faces", check.lang, count=framed.faces) if framed.faces > 1 else ""
        return crop_tensor(framed.crop), f"{faces}{eyes}"

    def photo_project(self, photo, framing: str = "detect", steps=Settings.steps, hand=None, webcam=None,
                      request: gr.Request = None) -> tuple:
        """A photo (a file) → its 64×64 crop, the crop beside every generator's projection, a table of
        reconstruction numbers, and the projected latents ({model: [z…]}) that /photo_edit takes.

        framing "detect" finds, aligns and crops the largest face; "hand" takes the photo (or the hand
        crop, in the tab) as already cropped to the face, and centre-crops it. The tab's webcam shot
        stands in for the photo when there is no file.
        """
        check = Checks(language(request))
        steps = check.within(steps, "projection_steps", "photo.field.steps")
        crop, note = self._frame(photo or webcam, framing, hand, check)
        for name in self.gallery.names:  # built (or refused, in the visitor's language) before the shared work
            self._projector(name, check)
        projected = self._projections((crop, steps))
        latents, faces, rows = {}, [crop], []
        for name, (result, p_age, p_female) in projected.models.items():
            latents[name] = [round(v, 5) for v in result.z[0].tolist()]
            faces.append(resize_faces(result.images, CROP))
            rows.append(f"| {name} | {float(result.psnr[0]):.1f} | {float(result.start_psnr[0]):.1f} | "
                        f"{p_age:.0f} | {p_female:.2f} | {result.seconds:.1f} |")
        table = text("photo.table", check.lang, age=projected.age, female=projected.female) + "\n" + "\n".join(rows)
        crop_shown = display_grid(crop, EDIT_FACE_PX, padding=0)
        row = display_grid(torch.cat(faces), SIDE_BY_SIDE_PX, nrow=len(faces))
        return crop_shown, note, row, table, latents

    def _projected(self, name, latents, check: Checks) -> tuple[Entry, torch.Tensor]:
        """The model and its projected z, from what /photo_project returned."""
        entry = self._entry(name, check)
        try:
            values = (json.loads(latents) if isinstance(latents, str) else latents)[name]
            z = torch.tensor(values, dtype=torch.float32)
        except (KeyError, TypeError, ValueError, json.JSONDecodeError):
            raise check.error("photo.no_projection", name=name) from None
        if z.shape != (entry.generator.config.nz,) or not torch.isfinite(z).all():
            raise check.error("photo.no_projection", name=name)
        return entry, z

    def photo_edit_start(self, name: str, latents, attribute: str = "age", conditional: bool = True,
                         request: gr.Request = None) -> tuple:
        """The edit controls for one model's projection: sliders (age in years, gender), face, caption, walk."""
        check = Checks(language(request))
        return self._start(*self._projected(name, latents, check), attribute, conditional, check)

    def photo_edit_years(self, name: str, latents, years, gender, conditional: bool = True,
                         request: gr.Request = None) -> tuple:
        """The sliders: age in fitted years (the projection sits at its own), gender in steps."""
        check = Checks(language(request))
        return self._years(*self._projected(name, latents, check), years, gender, conditional, check)

    def photo_edit(self, name: str, latents, age, gender, conditional: bool = True, request: gr.Request = None):
        """A projection moved `age` and `gender` steps (−3…3) along the model's directions: face and caption."""
        check = Checks(language(request))
        return self._steps(*self._projected(name, latents, check), age, gender, conditional, check)

    def photo_walk(self, name: str, latents, attribute: str = "age", conditional: bool = True,
                   request: gr.Request = None):
        """Seven faces along one attribute's direction from the projection, −3 to +3 steps."""
        check = Checks(language(request))
        return self._attribute_walk(*self._projected(name, latents, check), attribute, conditional, check)


def tab(studio: Photo, demo: gr.Blocks, choices: list) -> None:
    gr.Markdown(t("photo.intro"))
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            upload = gr.File(label=t("photo.upload"), file_types=["image"], type="filepath", elem_id="photo-upload")
            webcam = gr.Image(label=t("photo.webcam"), sources=["webcam"], type="filepath", image_mode=None,
                              format="png", height=240)
            with gr.Accordion(t("photo.hand"), open=False):
                hand = gr.ImageEditor(label=t("photo.hand_editor"), type="filepath", image_mode="RGB",
                                      transforms=("crop",), brush=False, eraser=False, layers=False, format="png")
            framing = gr.Radio([(t("photo.framing.detect"), "detect"), (t("photo.framing.hand"), "hand")],
                               value="detect", label=t("photo.framing"))
            steps = slider("projection_steps", Settings.steps, t("photo.steps"), info=t("photo.steps_info"))
            go = gr.Button(t("photo.go"), variant="primary")
        with gr.Column(scale=1, min_width=300):
            crop = gr.Image(label=t("photo.crop"), type="pil", format="png", height=EDIT_FACE_PX + 48,
                            interactive=False)
            note = gr.Markdown(elem_id="photo-note")
    row = gr.Image(label=t("photo.row"), type="pil", format="png", interactive=False, elem_id="photo-row")
    table = gr.Markdown(elem_id="photo-table")
    latents = gr.JSON(visible=False)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            model = gr.Dropdown(choices, value=choices[0][1], label=t("model"))
            age = gr.Slider(0, MAX_YEARS, value=30, step=1, label=t("age"), info=t("age_info"), interactive=False)
            gender = slider("edit_steps", 0, t("gender"), info=t("gender_info"), interactive=False)
            conditional = gr.Checkbox(True, label=t("conditional"), info=t("conditional_info"))
            along = gr.Radio([(t("along.age"), "age"), (t("along.gender"), "gender")], value="age",
                             label=t("walk_along"))
        with gr.Column(scale=2, min_width=EDIT_FACE_PX + 24):
            edited = gr.Image(label=t("edited"), type="pil", format="png", height=EDIT_FACE_PX + 48,
                              buttons=["download"], interactive=False, elem_id="photo-edited")
            reading = gr.Markdown()
    strip = gr.Image(label=t("edit_walk"), type="pil", format="png", buttons=["download"], interactive=False,
                     elem_id="photo-strip", height=STRIP_FACE_PX + 48)
    gr.Markdown(t("photo.privacy"))
    upload.upload(lambda: None, None, webcam, api_name=False)  # the newest source is the one projected
    webcam.input(lambda: None, None, upload, api_name=False)
    project = go.click(studio.photo_project, [upload, framing, steps, hand, webcam],
                       [crop, note, row, table, latents], api_name="photo_project", concurrency_limit=BATCH)
    start = [model, latents, along, conditional]
    project.success(studio.photo_edit_start, start, [age, gender, edited, reading, strip], api_name=False)
    # Only what the visitor does starts these (`.input`): opening the tab, or a projection filling the sliders,
    # must not ask for an edit of a projection that is not there yet.
    model.input(studio.photo_edit_start, start, [age, gender, edited, reading, strip], api_name=False)
    gr.on([age.input, gender.input, conditional.input], studio.photo_edit_years,
          [model, latents, age, gender, conditional], [edited, reading], api_name=False,
          trigger_mode="always_last", show_progress="hidden")
    gr.on([conditional.input, along.input], studio.photo_walk, [model, latents, along, conditional], strip,
          api_name="photo_walk", trigger_mode="always_last")
    api_age, api_gender = gr.Number(0, visible=False), gr.Number(0, visible=False)
    gr.Button(visible=False).click(studio.photo_edit, [model, latents, api_age, api_gender, conditional],
                                   [edited, reading], api_name="photo_edit")
