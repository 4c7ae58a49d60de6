"""The Gradio studio: one module per tab, over one Gallery; `create_app` loads the generators once.

    samples        a grid of faces per seed
    interpolation  the walk between two seeds
    compare        one seed through every model
    edit           age and gender directions
    photo          a visitor's photo projected into every model, then edited
    about          objectives, facts, curves and progress grids
    runs           the training runs in a folder, followed live: curves, grids, recipe, scores
    lab            GANs trained live on 2-D points: the three claims, side by side (the page;
                   lab_handlers answers its events, lab_literature shows the published 2-D benchmarks)
    common         the input checks and the handlers' base every tab shares

Nothing is computed at import.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..hub import HubError, fetch_weights
from . import about, compare, edit, interpolation, lab, photo, runs, samples
from .common import BATCH, MAX_SEED, Checks
from .compare import Compare
from .edit import Edit
from .gallery import Gallery
from .i18n import LAUNCH_I18N, localized, phrase, t
from .interpolation import Interpolation
from .lab_handlers import Lab
from .samples import Samples, grid_face_px

__all__ = ["MAX_SEED", "Checks", "Studio", "build", "create_app", "grid_face_px", "launch"]

# Gradio marks every <img> loading="lazy": the About tab's curves and progress grids below the fold
# would wait to be scrolled to. Turn each one eager as soon as it appears. And a page that is hidden (another
# browser tab, a minimised window) pauses its Lab runs, so that nobody's CPU share goes to pictures unseen.
PAGE_SCRIPT = """<script>
new MutationObserver(() => document.querySelectorAll('img[loading="lazy"]').forEach(img => { img.loading = "eager"; }))
  .observe(document.documentElement, {childList: true, subtree: true});
document.addEventListener("visibilitychange", () => {
  if (document.hidden) document.querySelector("#lab-pause")?.click();
});
</script>"""


class Studio(Samples, Interpolation, Compare, Edit):
    """Every face tab's handlers over one Gallery (what the API and the benchmarks call)."""


def build(gallery: Gallery, notices: list, runs_folder: Path = Path("runs")) -> gr.Blocks:
    """The page; notices are texts (I18nData or str) shown above the tabs; the Runs tab shows runs_folder."""
    studio = Studio(gallery)
    choices = [(localized(entry.label), name) for name, entry in gallery.models.items()]
    with gr.Blocks(title="FaceGAN studio", delete_cache=(3600, 3600)) as demo:  # a Space runs for weeks
        gr.Markdown(t("intro"))
        for notice in notices + gallery.notices():
            gr.Markdown(notice)
        if not choices:
            gr.Markdown(t("no_models"), elem_id="no-models")
        with gr.Tabs() as tabs:
            if choices:  # the face tabs need a generator; the Lab trains its own
                with gr.Tab(t("tab.samples"), id="samples"):
                    samples.tab(studio, demo, choices)
                with gr.Tab(t("tab.interpolation"), id="interpolation"):
                    interpolation.tab(studio, demo, choices)
                with gr.Tab(t("tab.compare"), id="compare"):
                    compare.tab(studio, demo)
                with gr.Tab(t("tab.edit"), id="edit"):
                    edit.tab(studio, demo, choices)
                with gr.Tab(t("tab.photo"), id="photo"):
                    photo.tab(photo.Photo(gallery), demo, choices)
                with gr.Tab(t("tab.about"), id="about", elem_id="about"):
                    about.tab(gallery, demo)
            with gr.Tab(t("tab.runs"), id="runs", elem_id="runs") as shown:
                runs.tab(runs.Runs(runs_folder, gallery), demo, tabs, shown)
            with gr.Tab(t("tab.lab"), id="lab", elem_id="lab"):
                # The Lab's presets and measured suites: lab/ in the first folder that has one (none: neither).
                lab.tab(Lab(next((f / "lab" for f in gallery.folders if (f / "lab").is_dir()), None)), demo)
    return demo


def launch(demo: gr.Blocks, **options) -> None:
    """Queue and launch the studio with its translations and page script (app.py, tests and benchmarks alike).

    Up to BATCH visitors' requests of one face event reach its handler at once: their faces are drawn in shared
    forward passes (`Gallery.render`), so letting them in together is cheaper than holding them in line. The
    Lab's events keep their own, smaller limits (ui/lab.py)."""
    demo.queue(default_concurrency_limit=BATCH, max_size=64).launch(i18n=LAUNCH_I18N, head=PAGE_SCRIPT, **options)


def create_app(checkpoints: Path, hub_repo: str | None = None, runs_folder: Path = Path("runs")) -> gr.Blocks:
    """The studio over a checkpoint folder, plus a Hub model repo's weights when named, and the training runs in
    runs_folder."""
    folders, notices = [checkpoints], []
    if not checkpoints.is_dir():
        notices.append(phrase("notice.no_folder", path=checkpoints))
    if hub_repo:
        try:
            folders.append(fetch_weights(hub_repo))
        except HubError as error:
            notices.append(phrase("notice.hub", error=error))
    return build(Gallery([f for f in folders if f.is_dir()]), notices, runs_folder)
