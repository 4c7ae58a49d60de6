"""Claim c on the literature's settings: the published 2-D benchmarks as measured by `python -m facegan.lab bench`,
beside the papers' own numbers, one click per suite.

The suites take minutes to hours on a CPU, so the tab shows their measured results (bench-SUITE.json and .png in
the Lab's folder beside the generators, checkpoints/lab), read in the page's language; the Lab's own ring stays
the fast default for live play.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import gradio as gr
from PIL import Image

from ..lab import bench
from ..lab.suites import SUITES
from .common import Checks
from .i18n import language, t, text


def results(folder: Path | None, suite: str) -> tuple[dict, Image.Image] | None:
    """A suite's measured numbers and figure in folder, or None where they were never measured."""
    if folder is None or suite not in SUITES:
        return None
    numbers, picture = folder / f"bench-{suite}.json", folder / f"bench-{suite}.png"
    if not numbers.is_file() or not picture.is_file():
        return None
    return json.loads(numbers.read_text()), Image.open(picture)


def reading(result: dict, lang: str) -> str:
    """The measured result in sentences: the setting, then per data set the source's plain GAN's modes beside the
    objective that captured the most (high quality breaking ties), and the paper's own row for it where it has one."""
    lines = [text("lab.lit.setting", lang, paper=text(f"lab.lit.suite.{result['suite']}", lang), steps=result["steps"],
                  share=result["steps"] / result["full_steps"], trials=result["trials"])]
    baseline = SUITES[result["suite"]].baseline
    name = text(f"lab.obj.{baseline}", lang)
    by_data: dict[str, dict[str, list]] = {}
    for key, runs in result["runs"].items():
        objective, distribution = key.split(" · ")
        by_data.setdefault(distribution, {})[objective] = runs
    for distribution, objectives in by_data.items():
        centers = bench.mode_centers(distribution)
        if centers is None:
            continue
        mean = {o: (bench.summary(r, "modes")[0], bench.summary(r, "high_quality")[0]) for o, r in objectives.items()}
        best = max(mean, key=lambda o: tuple(-math.inf if math.isnan(v) else v for v in mean[o]))
        gan = mean.get(baseline, (math.nan, math.nan))
        lines.append(text("lab.lit.row", lang, data=distribution, total=len(centers), baseline=name, gan=gan[0],
                          gan_q=gan[1], best=text(f"lab.obj.{best}", lang), best_modes=mean[best][0],
                          best_q=mean[best][1]))
        quoted = [q for q in result["quoted"] if q["objective"] == baseline and q["distribution"] == distribution]
        if quoted:
            lines.append(text("lab.lit.quoted", lang, source=quoted[0]["source"], baseline=name,
                              modes=bench.quoted_cell(quoted[0], "modes", 1, ".1f"), total=len(centers)))
    return "\n\n".join(lines)


def show(folder: Path | None, suite: str, request: gr.Request | None = None) -> tuple[Image.Image, str, str]:
    """The suite's figure, its table beside the papers' rows, and the reading; a visible message if unmeasured."""
    check = Checks(language(request))
    found = results(folder, suite)
    if found is None:
        raise check.error("msg.lab_lit_missing", suite=suite)
    result, picture = found
    return picture, bench.table(result), reading(result, check.lang)


def tab(folder: Path | None) -> None:
    """The literature's block of the Lab tab (suites measured in folder): a suite, a button, the figure, the table
    and its reading."""
    gr.Markdown(t("lab.lit.intro"))
    with gr.Row():
        suite = gr.Radio([(t(f"lab.lit.suite.{s}"), s) for s in SUITES], value="pacgan", label=t("lab.lit.suite"),
                         elem_id="lab-lit-suite")
        button = gr.Button(t("lab.lit.show"), elem_id="lab-lit-show")
    sentence = gr.Markdown(elem_id="lab-lit-reading")
    table = gr.Markdown(elem_id="lab-lit-table")
    figure = gr.Image(label=t("lab.figure"), type="pil", format="png", elem_id="lab-lit-figure")

    def show_suite(suite: str, request: gr.Request) -> tuple[Image.Image, str, str]:
        return show(folder, suite, request)

    button.click(show_suite, suite, [figure, table, sentence], api_name="lab_literature", queue=False)
