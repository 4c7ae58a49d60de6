"""The Lab tab through its public API (gradio_client) and its handlers: runs, claims, bad input, and the studio
staying responsive while a run streams."""

import json
import time
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")
import gradio as gr  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from facegan.ui.lab import KNOBS, Lab, strokes_of_sketch  # noqa: E402

DEFAULTS = dict(distribution="ring", objective="wgan-gp", noise="gaussian", g_width=32, g_depth=2, d_width=32,
                d_depth=2, optimizer="adam", lr_g=1e-3, lr_d=1e-3, d_steps=2, clip=0.01, gp_lambda=0.1, batch=64,
                steps=40, seed=0, strokes="[]")
ENGLISH, CHINESE = (SimpleNamespace(headers={"accept-language": lang}, session_hash=lang) for lang in ("en", "zh-CN"))


def knobs(**change) -> list:
    return [{**DEFAULTS, **change}[name] for name in KNOBS]


@pytest.fixture(scope="module")
def client(app_url):
    return gradio_client.Client(app_url, verbose=False)


def test_run_endpoint_returns_the_picture_and_the_measurements(client):
    picture, result = client.predict(*knobs(), api_name="/lab_run")
    assert Image.open(picture).size == (2 * 400 + 8, 400)  # the field and the curves
    final = result["final"]
    assert result["complete"] and final["step"] == 40 and final["d_updates"] == 80
    assert final["modes_total"] == 8 and 0 <= final["modes"] <= 8 and 0 < final["w1"] < 3
    assert [h["step"] for h in result["history"]][:2] == [0, 1] and result["config"]["objective"] == "wgan-gp"
    again = client.predict(*knobs(), api_name="/lab_run")[1]
    assert again["final"] == final  # the same seed gives the same run


@pytest.mark.parametrize("change, message", [
    (dict(lr_d=-1e-3), "learning rates must be positive"),
    (dict(lr_g="nan"), "must be a finite number, not 'nan'"),
    (dict(steps=0), "steps must be a whole number from 1"),
    (dict(distribution="drawn"), "the drawing is empty"),
    (dict(distribution="heart"), "not in the list of choices"),
    (dict(distribution="drawn", strokes="[[0, 1"), "not valid JSON"),
])
def test_bad_input_is_a_visible_message(client, change, message):
    with pytest.raises(AppError, match=message):
        client.predict(*knobs(**change), api_name="/lab_run")


def test_a_drawn_distribution_trains(client):
    sketch = np.zeros((256, 256, 4), np.uint8)
    sketch[100:104, 20:230] = 255  # one horizontal stroke
    strokes = strokes_of_sketch({"layers": [sketch]})
    assert 100 < len(json.loads(strokes)) <= 2000
    result = client.predict(*knobs(distribution="drawn", strokes=strokes), api_name="/lab_run")[1]
    assert result["final"]["modes"] is None and result["final"]["w1"] > 0


def test_each_claim_endpoint_gives_a_figure_and_a_sentence(client):
    figure, sentence, numbers = client.predict(*knobs(steps=20), api_name="/lab_claim_b")
    assert Image.open(figure).size[0] > 600 and "r = " in sentence
    assert set(numbers) == {"gan-minimax", "gan", "wgan", "wgan-gp"}
    figure, sentence, numbers = client.predict(*knobs(steps=20), api_name="/lab_claim_c")
    assert "Modes covered out of 8" in sentence and len(numbers["gan"]["modes"]) == 3


def test_a_face_request_completes_while_a_lab_run_streams(client):
    job = client.submit(1, 0.5, *knobs(steps=20_000), api_name="/lab_stream")  # 1 step a picture, slow motion
    try:
        deadline = time.time() + 60
        while len(job.outputs()) < 2:
            assert time.time() < deadline, "the Lab run did not stream"
            time.sleep(0.1)
        started = time.time()
        client.predict("dcgan", 1, 4, 1.0, api_name="/samples")
        assert not job.done(), "the run should still be streaming"
        assert time.time() - started < 30
    finally:
        job.cancel()


def test_step_buttons_move_one_net_and_settings_changes_start_a_new_run():
    handlers = Lab()
    session, *_ = handlers.reset(ENGLISH, *knobs())
    session, *_ = handlers.d_step(ENGLISH, session, *knobs())
    assert (session.run.step, session.run.d_updates) == (0, 1)
    session, *_, reading = handlers.g_step(ENGLISH, session, *knobs())
    assert (session.run.step, session.run.d_updates) == (1, 1) and "Step **1**" in reading
    fresh, *_ = handlers.d_step(ENGLISH, session, *knobs(seed=5))
    assert fresh is not session and (fresh.run.step, fresh.run.d_updates) == (0, 1)


def test_a_run_stops_when_its_page_closes():
    handlers = Lab()
    frames = handlers.stream(ENGLISH, None, 1, 0, *knobs(steps=20_000))
    session = next(frames)[0]
    handlers.page_closed(ENGLISH)
    rest = list(frames)
    assert len(rest) <= 2 and session.run.step < 10


def test_messages_follow_the_page_language():
    with pytest.raises(gr.Error, match="实验室无法使用这些设置运行"):
        Lab().reset(CHINESE, *knobs(lr_g=-1))
    with pytest.raises(gr.Error, match="必须是数字"):
        Lab().reset(CHINESE, *knobs(batch="many"))
