"""The Interpolation tab: the walk from seed A to seed B, one face at t, a strip of frames and a GIF."""

from __future__ import annotations

import gradio as gr
import torch
from PIL import Image

from ..sampling import display_grid, gif_bytes, interpolate
from .common import STRIP_FACE_PX, Checks, Downloads, Handlers, seed_box, slider
from .gallery import Gallery
from .i18n import language, t

GIF_FRAMES = 24
FACE_AT_T_PX, STRIP_ROW = 256, 8


class Interpolation(Handlers):
    def __init__(self, gallery: Gallery) -> None:
        super().__init__(gallery)
        self.downloads = Downloads("facegan-gif-")

    def _walk(self, name, seed_a, seed_b, method, scale, check: Checks) -> tuple[torch.Tensor, torch.Tensor, str]:
        """The latents of seeds A and B, checked once; and a file-name-safe label of the walk."""
        seed_a, seed_b = check.seed(seed_a, "field.seed_a"), check.seed(seed_b, "field.seed_b")
        scale = check.within(scale, "truncation", "field.truncation")
        if method not in ("slerp", "lerp"):
            raise check.error("msg.bad_method", method=method)
        a, b = (self._latent(name, seed, 1, scale, check)[0] for seed in (seed_a, seed_b))
        return a, b, f"{name}-{seed_a}-{seed_b}-{method}-{scale:g}"

    def frame(self, name: str, seed_a, seed_b, method: str, t, scale, request: gr.Request = None) -> Image.Image:
        """The face at t on the walk from seed A to seed B, shown large."""
        check = Checks(language(request))
        a, b, _ = self._walk(name, seed_a, seed_b, method, scale, check)
        z = interpolate(a, b, [check.within(t, "t", "field.t")], method)
        return display_grid(self.gallery.render(name, z), FACE_AT_T_PX, padding=0)

    def strip(self, name: str, seed_a, seed_b, method: str, frames, scale,
              request: gr.Request = None) -> tuple[Image.Image, str]:
        """N frames from A to B, shown large in rows of 8, and a GIF of the walk at native size.

        Both are rendered in one batch.
        """
        check = Checks(language(request))
        a, b, label = self._walk(name, seed_a, seed_b, method, scale, check)
        n = check.within(frames, "frames", "field.frames")
        ts = [i / (n - 1) for i in range(n)] + [i / (GIF_FRAMES - 1) for i in range(GIF_FRAMES)]
        images = self.gallery.render(name, interpolate(a, b, ts, method))
        gif = self.downloads.path(f"walk-{label}.gif")
        gif.write_bytes(gif_bytes(images[n:]))
        return display_grid(images[:n], STRIP_FACE_PX, nrow=STRIP_ROW), str(gif)


def tab(studio: Interpolation, demo: gr.Blocks, choices: list) -> None:
    with gr.Row():
        model = gr.Dropdown(choices, value=choices[0][1], label=t("model"))
        seed_a = seed_box(1, t("seed_a"))
        seed_b = seed_box(2, t("seed_b"))
        method = gr.Radio(["slerp", "lerp"], value="slerp", label=t("path"))
        scale = slider("truncation", 1.0, t("truncation"))
    with gr.Row():
        with gr.Column(scale=1, min_width=FACE_AT_T_PX + 24):
            t_slider = slider("t", 0.5, t("t"), elem_id="t-slider")
            face = gr.Image(label=t("face_at_t"), type="pil", format="png", height=FACE_AT_T_PX + 48,
                            elem_id="interp-face")
        with gr.Column(scale=3):
            frames = slider("frames", 8, t("frames"))
            strip = gr.Image(label=t("strip"), type="pil", format="png", elem_id="interp-strip")
            gif = gr.File(label=t("gif"))
    walk = [model, seed_a, seed_b, method]
    gr.on([demo.load, t_slider.change, *(c.change for c in walk), scale.change], studio.frame,
          [*walk, t_slider, scale], face, api_name="frame", trigger_mode="always_last", show_progress="hidden")
    gr.on([demo.load, frames.change, *(c.change for c in walk), scale.change], studio.strip,
          [*walk, frames, scale], [strip, gif], api_name="strip", trigger_mode="always_last")
