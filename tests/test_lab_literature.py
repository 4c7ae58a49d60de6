"""Claim c on the literature's settings in the Lab tab: the measured suites, read in the page's language."""

import json
from types import SimpleNamespace

import pytest
from PIL import Image

gr = pytest.importorskip("gradio")

from facegan.ui import lab_literature  # noqa: E402

ENGLISH, CHINESE = (SimpleNamespace(headers={"accept-language": lang}) for lang in ("en", "zh-CN"))


def final(modes: int, quality: float) -> dict:
    return {"trial": 0, "final": {"modes": modes, "high_quality": quality, "reverse_kl": 0.1, "w1": 0.2}}


@pytest.fixture
def measured(tmp_path):
    pacgan = {"suite": "pacgan", "paper": "Lin et al. 2018, PacGAN", "steps": 8_000, "full_steps": 400_000,
              "trials": 2, "samples": 2500,
              "quoted": [{"source": "PacGAN table 1", "objective": "gan", "distribution": "pacgan-ring", "modes": 6.3,
                          "modes_se": 0.5, "high_quality": 0.982, "high_quality_se": 0.002, "reverse_kl": 0.45,
                          "reverse_kl_se": 0.09}],
              "runs": {"gan · pacgan-ring": [final(1, 0.9), final(2, 0.8)],
                       "pacgan4 · pacgan-ring": [final(8, 0.7), final(7, 0.6)]}}
    unrolled = {"suite": "unrolled", "paper": "Metz et al. 2017", "steps": 500, "full_steps": 25_000, "trials": 1,
                "samples": 2500, "quoted": [],
                "runs": {"gan-minimax · unrolled-ring": [final(1, 0.5)], "unrolled · unrolled-ring": [final(6, 0.4)]}}
    for result in (pacgan, unrolled):
        (tmp_path / f"bench-{result['suite']}.json").write_text(json.dumps(result))
        Image.new("RGB", (20, 10), "white").save(tmp_path / f"bench-{result['suite']}.png")
    return tmp_path


def test_a_measured_suite_shows_its_figure_table_and_reading(measured):
    picture, table, reading = lab_literature.show(measured, "pacgan", ENGLISH)
    assert picture.size == (20, 10)
    assert "| gan | pacgan-ring | 1.5 ± 0.5 / 8 | 85.0 ± 5.0% |" in table
    assert "| gan (quoted: PacGAN table 1) | pacgan-ring | 6.3 ± 0.5 | 98.2 ± 0.2% | 0.45 ± 0.09 |" in table
    assert "(2.0% of the full schedule)" in reading
    assert "the GAN, non-saturating (the tutorial's) captured **1.5** of 8 modes (85%" in reading
    assert "**PacGAN4 (D sees 4 samples at once)**: **7.5** (65%)" in reading
    assert "Quoted from PacGAN table 1: the GAN, non-saturating (the tutorial's) captured 6.3 ± 0.5 of 8." in reading
    _, _, chinese = lab_literature.show(measured, "pacgan", CHINESE)
    assert "捕获最多的是 **PacGAN4" in chinese and "6.3 ± 0.5 个" in chinese
    _, _, reading = lab_literature.show(measured, "unrolled", ENGLISH)  # the paper's GAN: minimax (k = 0)
    assert "the GAN, minimax (saturating) captured **1.0** of 8 modes" in reading


def test_an_unmeasured_suite_is_a_visible_message_in_the_page_language(measured):
    with pytest.raises(gr.Error, match="基准尚无测得的结果"):
        lab_literature.show(measured, "gan_toy", CHINESE)
    with pytest.raises(gr.Error, match="No measured results for the unrolled-notebook suite"):
        lab_literature.show(measured, "unrolled-notebook", ENGLISH)
