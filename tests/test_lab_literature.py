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
    result = {"suite": "unrolled", "paper": "Metz et al. 2017, Unrolled GAN", "steps": 500, "full_steps": 25_000,
              "trials": 2, "samples": 2500, "quoted": [{"source": "VEEGAN table 1", "objective": "gan",
                                                         "distribution": "unrolled-ring", "modes": 1,
                                                         "high_quality": 0.993, "reverse_kl": None}],
              "runs": {"gan · unrolled-ring": [final(1, 0.9), final(2, 0.8)],
                       "unrolled · unrolled-ring": [final(8, 0.7), final(7, 0.6)]}}
    (tmp_path / "bench-unrolled.json").write_text(json.dumps(result))
    Image.new("RGB", (20, 10), "white").save(tmp_path / "bench-unrolled.png")
    return tmp_path


def test_a_measured_suite_shows_its_figure_table_and_reading(measured):
    picture, table, reading = lab_literature.show(measured, "unrolled", ENGLISH)
    assert picture.size == (20, 10)
    assert "| gan | unrolled-ring | 1.5 ± 0.5 / 8 | 85.0 ± 5.0% |" in table and "(quoted: VEEGAN table 1)" in table
    assert "(2.0% of the full schedule)" in reading
    assert "the GAN captured **1.5** of 8 modes (85%" in reading
    assert "**Unrolled GAN (G looks 5 D steps ahead)**: **7.5** (65%)" in reading
    assert "Quoted from VEEGAN table 1: the GAN captured 1 of 8." in reading
    _, _, chinese = lab_literature.show(measured, "unrolled", CHINESE)
    assert "捕获最多的是 **展开 GAN（生成器向前看 5 步判别器）**：**7.5** 个（65%）" in chinese


def test_an_unmeasured_suite_is_a_visible_message_in_the_page_language(measured):
    with pytest.raises(gr.Error, match="基准尚无测得的结果"):
        lab_literature.show(measured, "pacgan", CHINESE)
    with pytest.raises(gr.Error, match="No measured results for the gan_toy suite"):
        lab_literature.show(measured, "gan_toy", ENGLISH)
