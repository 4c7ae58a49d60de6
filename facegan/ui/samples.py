"""The Samples tab: a grid of faces for a seed, shown large, and the same grid at native size."""

from __future__ import annotations

import gradio as gr
from PIL import Image

from ..sampling import display_grid, grid_columns, to_pil
from .common import Checks, Handlers, random_seed, seed_box, slider
from .i18n import language, t

SAMPLES_PANEL, MAX_FACE_PX = 784, 384  # display sizes (px): faces are upscaled by `display_grid`


def grid_face_px(count: int) -> int:
    """Display size of each face in a grid of count: the grid fills the Samples panel (193 px at 16)."""
    return min(MAX_FACE_PX, (SAMPLES_PANEL - 2) // grid_columns(count) - 2)


class Samples(Handlers):
    def samples(self, name: str, seed, count, scale, request: gr.Request = None) -> tuple[Image.Image, Image.Image]:
        """A grid of `count` faces, shown large, and the same grid at native size.

        The same seed always gives the same faces.
        """
        check = Checks(language(request))
        seed, count = check.seed(seed), check.within(count, "faces", "field.faces")
        scale = check.within(scale, "truncation", "field.truncation")
        faces = self.gallery.render(name, self._latent(name, seed, count, scale, check))
        return display_grid(faces, grid_face_px(count)), to_pil(faces)


def tab(studio: Samples, demo: gr.Blocks, choices: list) -> None:
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            model = gr.Dropdown(choices, value=choices[0][1], label=t("model"))
            seed = seed_box(0, t("seed"))
            lucky = gr.Button(t("random_seed"), size="sm", elem_id="random-seed")
            count = slider("faces", 16, t("faces"))
            scale = slider("truncation", 1.0, t("truncation"))
            with gr.Accordion(t("native"), open=False):
                native = gr.Image(label=t("native_grid"), type="pil", format="png", buttons=["download"],
                                  elem_id="samples-native")
        with gr.Column(scale=3, min_width=SAMPLES_PANEL + 24):
            grid = gr.Image(label=t("samples"), type="pil", format="png", height=SAMPLES_PANEL + 16,
                            buttons=["download", "fullscreen"], elem_id="samples-grid")
    lucky.click(random_seed, None, seed, api_name="random_seed")
    gr.on([demo.load, model.change, seed.change, count.change, scale.change], studio.samples,
          [model, seed, count, scale], [grid, native], api_name="samples", trigger_mode="always_last")
