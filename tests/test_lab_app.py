"""The Lab tab through its public API (gradio_client) and its handlers: runs, claims, bad input, and the studio
staying responsive while a run streams."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")
import gradio as gr  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from facegan.ui.lab_handlers import KNOBS, Lab, drawing, strokes_of_sketch  # noqa: E402

LAB_FOLDER = Path(__file__).resolve().parents[1] / "checkpoints" / "lab"  # the shipped presets

DEFAULTS = dict(distribution="ring", objective="wgan-gp", noise="gaussian", g_width=32, g_depth=2, d_width=32,
                d_depth=2, optimizer="adam", lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.9, d_steps=2, clip=0.01,
                gp_lambda=0.1, batch=64, steps=40, seed=0, strokes="[]", optimizer_d="adam", beta1_d=0.5, beta2_d=0.9,
                g_steps=1, noise_dim=2, g_batchnorm=False, d_maxout=1, init="uniform", pack=1, unroll=0, r1_gamma=1.0,
                activation="relu", d_scale=1.0, init_gain=1.0, update="alternate")
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
    (dict(lr_g="nan"), "The G learning rate must be a finite number, not 'nan'"),
    (dict(batch="many"), "The Batch must be a number, not 'many'"),
    (dict(d_steps=0, g_steps=0), "both 0"),
    (dict(noise_dim=3), "not in the list of choices"),
    (dict(optimizer_d="lion"), "not in the list of choices|unknown optimizer_d"),
    (dict(distribution="drawn"), "The drawing is empty"),
    (dict(distribution="heart"), "not in the list of choices"),
    (dict(distribution="drawn", strokes="[[0, 1"), "not valid JSON"),
    (dict(distribution="drawn", strokes="[[[0.1, 0.2, 0.3]]]"), r"two finite numbers \[x, y\]"),
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
    figure, sentence, numbers = client.predict(*knobs(steps=120), api_name="/lab_claim_a")
    assert Image.open(figure).size[0] > 600 and numbers["d_steps"][-1] == 120
    assert f"{numbers['saturating'][-1]:.2g}" in sentence and f"{numbers['non_saturating'][-1]:.2g}" in sentence
    figure, sentence, numbers = client.predict(*knobs(steps=30), api_name="/lab_claim_b")
    assert set(numbers) == {"gan-minimax", "gan", "wgan", "wgan-gp"}
    assert len(numbers["gan"]["curves"]["w1"]) == 31  # measured every max(1, 30 // 40) steps, and at 0
    assert f"r = **{numbers['gan-minimax']['r_loss']:+.2f}**" in sentence
    figure, sentence, numbers = client.predict(*knobs(steps=4), api_name="/lab_claim_c")
    assert "Modes covered out of 8 after 4 steps" in sentence and numbers["steps"] == 4
    assert set(numbers) == {"steps", "seeds", "face", "fast"} and len(numbers["face"]["gan"]["modes"]) == 3
    assert "At **the face models' recipe, the tutorial's" in sentence and "At **the Lab's fast recipe" in sentence
    with pytest.raises(AppError, match="Claim c counts modes"):
        client.predict(*knobs(steps=20, distribution="moons"), api_name="/lab_claim_c")


def test_claims_stream_a_moving_progress_line_then_their_answer(monkeypatch):
    """The page sees something within seconds: a progress line that moves while a slow part is computed, the
    figure as it fills in, then the figure, the sentence and the numbers."""
    import facegan.ui.lab_handlers as lab_handlers
    from facegan import lab

    steps = lab.vanishing_gradient_steps

    def slow(*args, **kwargs):
        for item in steps(*args, **kwargs):
            time.sleep(0.4)
            yield item

    monkeypatch.setattr(lab_handlers, "PROGRESS_S", 0.1)
    monkeypatch.setattr(lab_handlers, "FIGURE_S", 0.0)
    monkeypatch.setattr(lab_handlers.lab, "vanishing_gradient_steps", slow)
    started, seen = time.monotonic(), []
    for figure, sentence, numbers in Lab(None).claim_a(ENGLISH, *knobs(steps=20)):
        seen.append((time.monotonic() - started, figure, sentence, numbers))
    *progress, (_, figure, sentence, numbers) = seen
    assert progress[0][0] < 0.3 and all(line.startswith("⏳ D step ") for *_, line, _ in progress)
    assert sum(isinstance(f, Image.Image) for _, f, *_ in progress) >= 2  # the figure fills in
    assert isinstance(figure, Image.Image) and numbers["d_steps"][-1] == 20 and "⏳" not in sentence

    outputs = list(Lab(None).claim_c(CHINESE, *knobs(steps=6)))  # both recipes, seeds trained together
    assert "组目标与配方中的" in outputs[-2][1] and "人脸模型的配方" in outputs[-1][1]
    numbers = outputs[-1][2]
    assert numbers["steps"] == 6 and numbers["seeds"] == 3 and set(numbers["face"]) == {"gan", "wgan-gp"}


def test_claim_c_trains_the_face_models_recipe_beside_the_lab_s():
    from facegan import lab
    from facegan.lab.claims import recipe_config

    config = lab.LabConfig(g_width=32, steps=700, seed=5)
    face, fast = (recipe_config(config, "wgan-gp", recipe, 6) for recipe in ("face", "fast"))
    assert (face.lr_g, face.beta1, face.gp_lambda, face.d_steps) == (1e-4, 0.0, 10.0, 5)
    assert (fast.lr_g, fast.beta1, fast.gp_lambda) == (1e-3, 0.5, 0.1)
    assert face.g_width == fast.g_width == 32 and face.steps == 700 and face.seed == 6
    assert recipe_config(config, "gan", "face", 0).lr_d == 2e-4


def test_a_run_is_loaded_saved_and_animated_through_the_api(client, tmp_path):
    from facegan.lab import LabConfig, LabRun
    from facegan.lab.saved import load_run, save_run

    run = LabRun(LabConfig.for_objective("wgan-gp", g_width=16, d_width=16, g_depth=2, d_depth=2, batch=32, steps=50,
                                         noise_dim=1))
    run.advance(12)
    path = save_run(run, tmp_path / "run.safetensors")
    loaded = client.predict(gradio_client.handle_file(str(path)), api_name="/lab_load")
    reading, fields = loaded[2], dict(zip(KNOBS, loaded[5:], strict=True))
    assert "Step **12** / 50" in reading and fields["noise_dim"] == 1 and fields["objective"] == "wgan-gp"
    again = load_run(client.predict(api_name="/lab_save"))  # the page's run is the loaded one
    assert again.rounds == 12 and again.config == run.config
    gif = Image.open(client.predict(api_name="/lab_animation"))
    assert gif.n_frames == 1 and gif.size[0] > gif.size[1]
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(path.read_bytes()[:100])
    with pytest.raises(AppError, match="This file cannot be loaded: broken.safetensors is not a readable"):
        client.predict(gradio_client.handle_file(str(broken)), api_name="/lab_load")


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
    handlers = Lab(LAB_FOLDER)
    session, *_ = handlers.reset(ENGLISH, *knobs())
    session, *_ = handlers.d_step(ENGLISH, session, *knobs())
    assert (session.run.step, session.run.d_updates) == (0, 1)
    session, _, _, reading, graph, _ = handlers.g_step(ENGLISH, session, *knobs())
    assert (session.run.step, session.run.d_updates) == (1, 1) and "Step **1**" in reading
    assert 'data-substep="g_update"' in graph and "through D" in graph
    fresh, *_ = handlers.d_step(ENGLISH, session, *knobs(seed=5))
    assert fresh is not session and (fresh.run.step, fresh.run.d_updates) == (0, 1)


@pytest.mark.parametrize("stop", ["page_closed", "pause", "reset", "d_step"])
def test_a_streaming_run_stops_on_pause_new_settings_a_step_or_closing_the_page(stop):
    handlers = Lab(LAB_FOLDER)
    frames = handlers.stream(ENGLISH, None, 1, 0, *knobs(steps=20_000))
    session = next(frames)[0]
    other = CHINESE  # another page's run goes on
    elsewhere = handlers.stream(other, None, 1, 0, *knobs(steps=20_000))
    next(elsewhere)
    if stop in ("page_closed", "pause"):
        getattr(handlers, stop)(ENGLISH)
    elif stop == "reset":
        handlers.reset(ENGLISH, *knobs(seed=7))
    else:
        handlers.d_step(ENGLISH, session, *knobs(steps=20_000))
    assert list(frames) == [] and session.run.step < 10  # no stale picture after the stop
    assert next(elsewhere)[0].run.step >= 1
    elsewhere.close()


def test_numbers_out_of_range_are_clamped_with_a_warning_as_on_every_tab():
    with pytest.warns(UserWarning) as warned:
        config = Lab(LAB_FOLDER).reset(ENGLISH, *knobs(lr_d=-1e-3, steps=0, d_steps=11, g_width=12.6))[0].run.config
    assert (config.lr_d, config.steps, config.d_steps, config.g_width) == (1e-6, 1, 10, 13)
    messages = " ".join(str(w.message) for w in warned)
    assert "The D learning rate -0.001 was changed to 1e-06" in messages and "Rounds 0 was changed to 1" in messages


def test_messages_follow_the_page_language():
    with pytest.warns(UserWarning, match="G 学习率 -1 已改为 1e-06"):
        Lab(LAB_FOLDER).reset(CHINESE, *knobs(lr_g=-1))
    with pytest.raises(gr.Error, match="批大小必须是数字"):
        Lab(LAB_FOLDER).reset(CHINESE, *knobs(batch="many"))
    with pytest.raises(gr.Error, match="手绘为空"):
        Lab(LAB_FOLDER).reset(CHINESE, *knobs(distribution="drawn"))


def test_choosing_an_objective_fills_in_its_recipe_for_both_nets():
    handlers = Lab(LAB_FOLDER)
    assert handlers.recipe("wgan") == ("rmsprop", "rmsprop", 5e-4, 5e-4, 0.0, 0.0, 0.0, 0.0, 5, 1, 0)
    assert handlers.recipe("wgan-gp")[4:8] == (0.5, 0.9, 0.5, 0.9)  # Gulrajani et al.'s betas for each net
    assert handlers.recipe("pacgan4")[-2:] == (4, 0) and handlers.recipe("unrolled")[-2:] == (1, 5)
    with pytest.warns(UserWarning, match="seed 3.6 was changed to 4"):
        fractional = handlers.reset(ENGLISH, *knobs(seed=3.6))[0]
    assert fractional.run.config.seed == 4  # seeds are clamped and rounded with a warning, as on every tab


def test_runs_stop_at_their_time_cap(monkeypatch):
    import facegan.ui.lab_handlers as lab_handlers

    monkeypatch.setattr(lab_handlers, "MAX_RUN_S", 0)
    handlers = Lab(LAB_FOLDER)
    with pytest.warns(UserWarning, match="Stopped after 0 s at generator step 0"):
        assert len(list(handlers.stream(ENGLISH, None, 1, 0, *knobs(steps=20_000)))) == 1
    picture, result = handlers.run_api(ENGLISH, *knobs(steps=20_000))
    assert not result["complete"] and result["final"]["step"] < 20_000 and picture.size == (808, 400)


def test_a_diverging_run_says_so(monkeypatch):
    warnings = []
    monkeypatch.setattr(gr, "Warning", warnings.append)
    diverging = dict(objective="gan", optimizer="sgd", optimizer_d="sgd", lr_g=10, lr_d=10, g_width=64, d_width=64,
                     g_depth=3, d_depth=3, batch=256, d_steps=1, steps=500)
    frames = list(Lab(LAB_FOLDER).stream(ENGLISH, None, 100, 0, *knobs(**diverging)))
    assert frames[-1][0].run.diverged and "diverged" in warnings[-1]
    assert "exact W1 **–**" in frames[-1][3]


def test_side_by_side_streams_three_runs_with_their_numbers():
    frames = list(Lab(LAB_FOLDER).side_by_side(ENGLISH, 20, *knobs(steps=40)))
    picture, table = frames[-1]
    assert picture.size == (3 * 360 + 16, 360)
    rows = [row for row in table.splitlines() if row.startswith("| gan") or row.startswith("| wgan")]
    assert [row.split("|")[1].strip() for row in rows] == ["gan", "wgan", "wgan-gp"]
    assert all(row.split("|")[2].strip() == "40" for row in rows)


def test_drawing_switches_the_data_to_the_strokes():
    rgb = np.full((64, 64, 3), 255, np.uint8)
    rgb[30:33, 10:50] = 0  # a dark stroke on white, as an RGB layer
    strokes, update = drawing({"layers": [rgb]})
    assert update["value"] == "drawn" and len(json.loads(strokes)) == 3 * 40
    assert strokes_of_sketch({"layers": [np.zeros((64, 64, 4), np.uint8)]}) == "[]"
    assert strokes_of_sketch(None) == "[]"


def test_four_visitors_running_at_once_get_what_each_gets_alone():
    """Runs of the same and of different seeds at the same moment: every run's numbers and picture come from its
    own seed alone (spectral normalisation included), as when it runs by itself."""
    handlers = Lab(LAB_FOLDER)
    settings = [dict(seed=0, objective="gan-sn"), dict(seed=0, objective="gan-sn"), dict(seed=1, objective="wgan-gp"),
                dict(seed=2, objective="gan-sn")]

    def run(change: dict) -> tuple:
        picture, result = handlers.run_api(ENGLISH, *knobs(steps=30, **change))
        return np.asarray(picture).tobytes(), result["history"]

    alone = [run(change) for change in settings]
    torch.manual_seed(12345)  # whatever the process-wide stream holds, no run reads it
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(run, settings))
    assert together == alone
    assert alone[0] == alone[1] and alone[0] != alone[3]
