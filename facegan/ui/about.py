"""The About tab: how the three objectives differ, then each model's facts, curves and progress grids."""

from __future__ import annotations

import gradio as gr

from .gallery import Gallery
from .i18n import EN, localized, phrase, t

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def tab(gallery: Gallery, demo: gr.Blocks) -> None:
    """The curves are drawn when the first page is loaded, not while the studio starts."""
    gr.Markdown(t("about.objectives"), latex_delimiters=LATEX, elem_id="objectives")
    for entry in gallery.models.values():
        gr.Markdown(localized(entry.describe))
        if f"lab.about.{entry.meta.get('mode')}" in EN:
            gr.Markdown(t(f"lab.about.{entry.meta['mode']}"))
        if entry.metrics:
            image = gr.Image(label=phrase("about.curves", name=entry.name), type="filepath", interactive=False)
            demo.load(lambda entry=entry: entry.curves and str(entry.curves), None, image, api_name=False,
                      show_progress="hidden")
        if entry.progress:
            gr.Gallery([(str(p), f"{step:,}") for p, step in entry.progress], columns=6,
                       label=phrase("about.progress", name=entry.name), height="auto")
