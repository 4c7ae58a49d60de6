"""The Compare tab: one seed's latents through every loaded model, side by side, captioned."""

from __future__ import annotations

import gradio as gr
from PIL import Image

from ..sampling import display_grid
from .common import Checks, Handlers, seed_box, slider
from .i18n import language, t

COMPARE_FACE_PX = 128


class Compare(Handlers):
    def compare(self, seed, count, scale, request: gr.Request = None) -> list[tuple[Image.Image, str]]:
        """The same latents through every model, at one face size whatever each model's resolution, captioned."""
        check = Checks(language(request))
        seed = check.seed(seed)
        count = check.within(count, "faces_per_model", "field.faces")
        scale = check.within(scale, "truncation", "field.truncation")
        faces = {name: self.gallery.render(name, self._latent(name, seed, count, scale, check))
                 for name in self.gallery.models}
        return [(display_grid(faces[name], COMPARE_FACE_PX), entry.caption(check.lang))
                for name, entry in self.gallery.models.items()]


def tab(studio: Compare, demo: gr.Blocks) -> None:
    with gr.Row():
        seed = seed_box(0, t("seed"))
        count = slider("faces_per_model", 9, t("faces_per_model"))
        scale = slider("truncation", 1.0, t("truncation"))
    side = gr.Gallery(label=t("same_latents"), columns=len(studio.gallery.names), height="auto", format="png",
                      object_fit="contain", elem_id="compare-gallery")
    gr.on([demo.load, seed.change, count.change, scale.change], studio.compare, [seed, count, scale], side,
          api_name="compare", trigger_mode="always_last")
