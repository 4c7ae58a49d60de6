"""The Gradio studio: samples, latent interpolation, side-by-side comparison, model facts.

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

from .gallery import Gallery
from .hub import HubError, fetch_weights
from .sampling import gif_bytes, interpolate, seeded_noise, to_pil, truncate

MAX_SEED = 2**32 - 1
MAX_FACES, MAX_COMPARE, MAX_FRAMES, GIF_FRAMES = 64, 16, 16, 24
GIF_LIFETIME_S = 600


def _number(value, label: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise gr.Error(f"The {label} is empty: enter a number.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise gr.Error(f"The {label} must be a number, not {value!r}.") from None
    if not math.isfinite(number):
        raise gr.Error(f"The {label} must be a finite number, not {value!r}.")
    return number


def clamp(value, low: float, high: float, label: str, integer: bool = False) -> float:
    """value within [low, high] (rounded when integer), warning about any change."""
    number = _number(value, label)
    fixed = min(max(round(number) if integer else number, low), high)
    if fixed != number:
        gr.Warning(f"The {label} {value} was changed to {fixed} (allowed: {low}–{high}{', whole numbers' if integer else ''}).")
    return int(fixed) if integer else fixed


def clean_seed(value, label: str = "seed") -> int:
    return clamp(value, 0, MAX_SEED, label, integer=True)


class Studio:
    """The app's handlers, over one Gallery."""

    def __init__(self, gallery: Gallery) -> None:
        self.gallery = gallery
        self.gif_dir = Path(tempfile.mkdtemp(prefix="facegan-gif-"))

    def _entry(self, name):
        if name not in self.gallery.models:
            raise gr.Error(f"Unknown model {name!r}; loaded: {', '.join(self.gallery.names) or 'none'}.")
        return self.gallery.models[name]

    def _latent(self, name: str, seed: int, n: int, scale: float) -> torch.Tensor:
        return truncate(seeded_noise(n, self._entry(name).generator.config.nz, seed), scale)

    def samples(self, name: str, seed, count, scale) -> Image.Image:
        """A grid of `count` faces; the same seed always gives the same faces."""
        seed, count = clean_seed(seed), clamp(count, 1, MAX_FACES, "number of faces", integer=True)
        scale = clamp(scale, 0.1, 1.0, "truncation")
        return to_pil(self.gallery.render(name, self._latent(name, seed, count, scale)))

    def _walk(self, name, seed_a, seed_b, method, scale) -> tuple[torch.Tensor, torch.Tensor, str]:
        """The latents of seeds A and B, checked once; and a file-name-safe label of the walk."""
        seed_a, seed_b = clean_seed(seed_a, "seed A"), clean_seed(seed_b, "seed B")
        scale = clamp(scale, 0.1, 1.0, "truncation")
        if method not in ("slerp", "lerp"):
            raise gr.Error(f"Interpolation must be 'slerp' or 'lerp', not {method!r}.")
        a, b = self._latent(name, seed_a, 1, scale)[0], self._latent(name, seed_b, 1, scale)[0]
        return a, b, f"{name}-{seed_a}-{seed_b}-{method}-{scale:g}"

    def frame(self, name: str, seed_a, seed_b, method: str, t, scale) -> Image.Image:
        """The face at t on the walk from seed A to seed B."""
        a, b, _ = self._walk(name, seed_a, seed_b, method, scale)
        z = interpolate(a, b, [clamp(t, 0.0, 1.0, "t")], method)
        return to_pil(self.gallery.render(name, z))

    def strip(self, name: str, seed_a, seed_b, method: str, frames, scale) -> tuple[Image.Image, str]:
        """N frames from A to B in one row, and a GIF of the walk (both rendered in one batch)."""
        a, b, label = self._walk(name, seed_a, seed_b, method, scale)
        n = clamp(frames, 2, MAX_FRAMES, "number of frames", integer=True)
        ts = [i / (n - 1) for i in range(n)] + [i / (GIF_FRAMES - 1) for i in range(GIF_FRAMES)]
        images = self.gallery.render(name, interpolate(a, b, ts, method))
        for old in self.gif_dir.glob("*.gif"):  # Gradio serves its own copy; keep the folder small
            if time.time() - old.stat().st_mtime > GIF_LIFETIME_S:
                old.unlink(missing_ok=True)
        gif = self.gif_dir / f"walk-{label}.gif"
        with tempfile.NamedTemporaryFile(dir=self.gif_dir, suffix=".part", delete=False) as part:
            part.write(gif_bytes(images[n:]))
        os.replace(part.name, gif)  # atomic: two visitors asking for the same walk never see half a file
        return to_pil(images[:n], nrow=n), str(gif)

    def compare(self, seed, count, scale) -> list[tuple[Image.Image, str]]:
        """The same latents through every model, captioned."""
        seed = clean_seed(seed)
        count = clamp(count, 1, MAX_COMPARE, "number of faces", integer=True)
        scale = clamp(scale, 0.1, 1.0, "truncation")
        return [(to_pil(self.gallery.render(name, self._latent(name, seed, count, scale))), entry.caption)
                for name, entry in self.gallery.models.items()]


def build(gallery: Gallery, notices: list[str]) -> gr.Blocks:
    studio = Studio(gallery)
    names = gallery.names
    choices = [(entry.label, name) for name, entry in gallery.models.items()]
    with gr.Blocks(title="FaceGAN studio", delete_cache=(3600, 3600)) as demo:  # a Space runs for weeks
        gr.Markdown("# FaceGAN studio\nDCGAN, WGAN and WGAN-GP face generators, side by side. "
                    "Same seed, same faces.")
        for notice in notices + gallery.problems:
            gr.Markdown(f"⚠️ {notice}")
        if not names:
            gr.Markdown("## No generator found\nPut exported `*.safetensors` generators in `checkpoints/` "
                        "(train one with `python train.py --mode dcgan --data DIR`), point the app at another "
                        "folder with `--checkpoints DIR` / `FACEGAN_CHECKPOINTS`, or name a Hub model repo "
                        "in `FACEGAN_HUB_REPO`.", elem_id="no-models")
            return demo
        with gr.Tabs():
            with gr.Tab("Samples", id="samples"):
                with gr.Row():
                    model = gr.Dropdown(choices, value=names[0], label="Model")
                    seed = gr.Number(0, precision=0, label="Seed")
                    lucky = gr.Button("🎲 Random seed", size="sm")
                with gr.Row():
                    count = gr.Slider(1, MAX_FACES, value=16, step=1, label="Faces")
                    scale = gr.Slider(0.1, 1.0, value=1.0, step=0.05, label="Truncation (scale of z)")
                grid = gr.Image(label="Samples", type="pil", format="png", buttons=["download", "fullscreen"],
                                height=540, elem_id="samples-grid")
                lucky.click(lambda: random.randint(0, MAX_SEED), None, seed, api_name="random_seed")
                gr.on([demo.load, model.change, seed.change, count.change, scale.change], studio.samples,
                      [model, seed, count, scale], grid, api_name="samples", trigger_mode="always_last")

            with gr.Tab("Interpolation", id="interpolation"):
                with gr.Row():
                    i_model = gr.Dropdown(choices, value=names[0], label="Model")
                    seed_a = gr.Number(1, precision=0, label="Seed A")
                    seed_b = gr.Number(2, precision=0, label="Seed B")
                    method = gr.Radio(["slerp", "lerp"], value="slerp", label="Path")
                    i_scale = gr.Slider(0.1, 1.0, value=1.0, step=0.05, label="Truncation")
                with gr.Row():
                    with gr.Column(scale=1):
                        t = gr.Slider(0.0, 1.0, value=0.5, step=0.01, label="t (A → B)", elem_id="t-slider")
                        face = gr.Image(label="Face at t", type="pil", format="png", height=256, elem_id="interp-face")
                    with gr.Column(scale=3):
                        frames = gr.Slider(2, MAX_FRAMES, value=8, step=1, label="Frames in the strip")
                        strip = gr.Image(label="A → B", type="pil", format="png", height=160, elem_id="interp-strip")
                        gif = gr.File(label="Animated GIF of the walk")
                walk = [i_model, seed_a, seed_b, method]
                gr.on([demo.load, t.change, *(c.change for c in walk), i_scale.change], studio.frame,
                      [*walk, t, i_scale], face, api_name="frame", trigger_mode="always_last",
                      show_progress="hidden")
                gr.on([demo.load, frames.change, *(c.change for c in walk), i_scale.change], studio.strip,
                      [*walk, frames, i_scale], [strip, gif], api_name="strip", trigger_mode="always_last")

            with gr.Tab("Compare", id="compare"):
                with gr.Row():
                    c_seed = gr.Number(0, precision=0, label="Seed")
                    c_count = gr.Slider(1, MAX_COMPARE, value=9, step=1, label="Faces per model")
                    c_scale = gr.Slider(0.1, 1.0, value=1.0, step=0.05, label="Truncation")
                side = gr.Gallery(label="Same latents, every model", columns=len(names), height="auto", format="png",
                                  object_fit="contain", elem_id="compare-gallery")
                gr.on([demo.load, c_seed.change, c_count.change, c_scale.change], studio.compare,
                      [c_seed, c_count, c_scale], side, api_name="compare", trigger_mode="always_last")

            with gr.Tab("About the models", id="about"):
                for entry in gallery.models.values():
                    gr.Markdown(entry.describe())
                    if entry.curves:
                        gr.Image(str(entry.curves), label=f"{entry.name}: training curves", type="filepath",
                                 interactive=False)
                    if entry.progress:
                        gr.Gallery([(str(p), caption) for p, caption in entry.progress], columns=6,
                                   label=f"{entry.name}: fixed noise along the run", height="auto")
    return demo


def create_app(checkpoints: Path, hub_repo: str | None = None) -> gr.Blocks:
    """The studio over a checkpoint folder, plus a Hub model repo's weights when named."""
    folders, notices = [checkpoints], []
    if not checkpoints.is_dir():
        notices.append(f"Checkpoint folder not found: {checkpoints}")
    if hub_repo:
        try:
            folders.append(fetch_weights(hub_repo))
        except HubError as error:
            notices.append(f"{error}; serving the local checkpoints only.")
    return build(Gallery([f for f in folders if f.is_dir()]), notices)
