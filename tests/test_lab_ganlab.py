"""What the Lab has from GAN Lab, and its memory: KL and JS by grid, per-net optimisers and steps, 1-D noise,
layers, the model graph, save and load, the timeline and the animation."""

import io
import json
import re
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from facegan.lab import LabConfig, LabError, LabRun
from facegan.lab import view as labview
from facegan.lab.config import SUBSTEPS
from facegan.lab.graph import svg, terms
from facegan.lab.measures import GRID_BINS, grid_divergences, grid_histogram
from facegan.lab.runs import CURVE, Snapshot
from facegan.lab.saved import load_run, presets, save_run
from facegan.lab.surfaces import critic_surfaces, plane_r2
from facegan.lab.timeline import Timeline
from facegan.ui.lab_handlers import KNOBS, Lab

LAB_FOLDER = Path(__file__).resolve().parents[1] / "checkpoints" / "lab"  # the shipped presets

SMALL = dict(g_width=16, g_depth=2, d_width=16, d_depth=2, batch=32)
ENGLISH = SimpleNamespace(headers={"accept-language": "en"}, session_hash="en")


def small(objective: str = "wgan-gp", **change) -> LabConfig:
    return LabConfig.for_objective(objective, **{**SMALL, "steps": 200, **change})


def weights(net: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


# --- KL and JS by grid ----------------------------------------------------------------------------
def test_divergences_by_grid_know_their_answers():
    rng = np.random.default_rng(0)
    points = rng.uniform(-1, 1, (500, 2))
    real = grid_histogram(points)
    assert real.shape == (GRID_BINS, GRID_BINS) and real.sum() == pytest.approx(1.0)  # every real point counts
    assert grid_divergences(real, real) == (0.0, 0.0)
    left, right = grid_histogram(points * [0.5, 1] - [0.7, 0]), grid_histogram(points * [0.5, 1] + [0.7, 0])
    kl, js = grid_divergences(left, right)
    assert js == pytest.approx(1.0)  # disjoint grids: one bit
    assert kl > 5  # large where the generated grid is empty, but finite thanks to the smoothing
    half = grid_divergences(left, (left + right) / 2)
    assert 0 < half[1] < 1 and half[0] == pytest.approx(1.0, abs=0.01)  # KL(p‖(p+q)/2) = 1 bit for disjoint p, q
    assert np.isnan(grid_divergences(left, np.full((4, 2), np.nan))[0])


# --- per-net optimisers and steps, 1-D noise --------------------------------------------------------
@pytest.mark.parametrize("frozen", ["G", "D"])
def test_a_net_with_zero_steps_per_round_does_not_move(frozen):
    run = LabRun(small("gan", **{"g_steps" if frozen == "G" else "d_steps": 0}))
    other = "D" if frozen == "G" else "G"
    before, other_before = weights(getattr(run, frozen)), weights(getattr(run, other))
    assert run.advance(5) == 5 and run.rounds == 5
    assert same(before, weights(getattr(run, frozen))) and not same(other_before, weights(getattr(run, other)))


def test_each_net_gets_its_own_optimiser_rate_betas_and_steps():
    run = LabRun(small("gan", optimizer="sgd", optimizer_d="rmsprop", lr_g=0.01, lr_d=0.002, beta1_d=0.1,
                       d_steps=3, g_steps=2))
    assert isinstance(run.opt_g, torch.optim.SGD) and run.opt_g.param_groups[0]["lr"] == 0.01
    assert isinstance(run.opt_d, torch.optim.RMSprop) and run.opt_d.param_groups[0]["lr"] == 0.002
    run.advance(4)
    assert (run.rounds, run.step, run.d_updates) == (4, 8, 12)
    adam = LabRun(small("gan", beta1=0.2, beta1_d=0.7))
    assert adam.opt_g.param_groups[0]["betas"][0] == 0.2 and adam.opt_d.param_groups[0]["betas"][0] == 0.7
    with pytest.raises(LabError, match="both 0"):
        small(d_steps=0, g_steps=0).check()


def test_one_dimensional_noise_trains_and_draws_a_curve():
    run = LabRun(small("gan", noise_dim=1, noise="uniform"))
    assert run.G.layers[0].in_features == 1
    run.advance(3)
    snapshot = run.snapshot()
    assert snapshot.mesh.shape == (1, CURVE, 2) and np.isfinite(snapshot.mesh).all()
    curve_only = np.asarray(labview.field(snapshot, layers=("manifold",)))
    assert (curve_only < 200).any(axis=2).sum() > 20  # a drawn line, on white


def test_layers_can_each_be_left_out():
    snapshot = LabRun(small("gan")).snapshot()
    pictures = {name: np.asarray(labview.field(snapshot, layers=(name,))) for name in labview.LAYERS}
    blank = np.asarray(labview.field(snapshot, layers=()))
    assert (blank == 255).all()
    assert all(not np.array_equal(p, blank) for p in pictures.values())
    assert len({p.tobytes() for p in pictures.values()}) == len(labview.LAYERS)


# --- the model graph --------------------------------------------------------------------------------
def test_the_graph_is_drawn_from_the_settings_and_lights_one_sub_step():
    config = small("wgan-gp", g_width=48, d_depth=3, gp_lambda=0.5)
    loss_d, loss_g, constraint = terms(config)
    assert "λ(‖∇D(x̂)‖ − 1)², λ = 0.5" in loss_d and loss_g == "L_G = −D(G(z))" and constraint == ""
    assert "clip(w, −c, c), c = 0.01" in terms(small("wgan"))[2]
    assert terms(small("gan-minimax"))[1] == "L_G = log(1 − D(G(z)))"
    drawn = svg(config, "d_update")
    assert "2→48×2→2" in drawn and "2→16×3→1" in drawn and 'data-substep="d_update"' in drawn
    assert svg(config, "g_update") != drawn
    assert svg(config, None).count("#e8590c") == 1 < drawn.count("#e8590c")  # unlit: the colour is only defined


# --- save and load --------------------------------------------------------------------------------
@pytest.mark.parametrize("objective, optimizer", [("wgan-gp", "adam"), ("wgan", "rmsprop"), ("gan", "sgd")])
def test_a_saved_run_continues_exactly_as_a_straight_run(tmp_path, objective, optimizer):
    config = small(objective, optimizer=optimizer, optimizer_d=optimizer, lr_g=1e-3, lr_d=1e-3, steps=200)
    straight = LabRun(config)
    straight.advance(200)
    first = LabRun(config)
    first.advance(100)
    path = save_run(first, tmp_path / "run.safetensors")
    assert path.stat().st_size < 100_000
    resumed = load_run(path)
    assert resumed.config == config and resumed.rounds == 100
    resumed.advance(100)
    assert same(weights(straight.G), weights(resumed.G)) and same(weights(straight.D), weights(resumed.D))
    assert straight.measure() == resumed.measure()  # bit for bit: the same numbers to the last digit


def test_a_damaged_or_foreign_file_is_refused_with_a_message(tmp_path):
    run = LabRun(small())
    good = save_run(run, tmp_path / "good.safetensors")
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    foreign = tmp_path / "face.safetensors"
    save_file({"weight": torch.zeros(3)}, foreign, metadata={"facegan": "{}"})
    text = tmp_path / "notes.safetensors"
    text.write_text("not a tensor file")
    for path, message in ((truncated, "not a readable"), (foreign, "not a saved Lab run"), (text, "not a readable"),
                          (tmp_path / "missing.safetensors", "not a readable")):
        with pytest.raises(LabError, match=message):
            load_run(path)
    with pytest.raises(gr.Error, match="This file cannot be loaded: truncated.safetensors is not a readable"):
        Lab(LAB_FOLDER).load(ENGLISH, str(truncated))


def test_presets_open_trained_and_stay_small():
    found = presets(LAB_FOLDER)
    if not found:
        pytest.skip("no trained runs in checkpoints/lab/ (run from the repository root)")
    for path in found.values():
        assert path.stat().st_size < 1_000_000
        run = load_run(path)
        assert run.rounds > 0 and run.measure()["step"] == run.step


# --- the timeline and the animation -----------------------------------------------------------------
def test_the_timeline_stays_bounded_and_even_over_a_long_run():
    base = LabRun(small("gan")).snapshot()
    timeline = Timeline(capacity=200)
    for step in range(20_001):
        timeline.add(Snapshot({**base.metrics, "round": step, "step": step}, base.real, base.fake, base.push,
                              base.heat, base.mesh, base.probability))
    kept = [s.metrics["round"] for s in timeline.frames()]
    assert 100 <= len(kept) <= 201 and kept[0] == 0 and kept[-1] == 20_000
    gaps = set(np.diff(kept[:-1]))
    assert len(gaps) == 1  # evenly spread
    assert timeline.until(3) == [s.metrics for s in timeline.frames()[:4]]


def test_the_slider_shows_an_earlier_moment_and_continuing_starts_from_the_latest():
    handlers = Lab(LAB_FOLDER)
    values = [{**small("gan").__dict__, "strokes": "[]", "steps": 30}[name] for name in KNOBS]
    session = handlers.reset(ENGLISH, *values)[0]
    frames = list(handlers.stream(ENGLISH, session, 10, 0, *values))
    assert session.run.rounds == 30 and len(session.timeline) >= 3
    latest = frames[-1][1]
    earlier, _, reading = handlers.scrub(ENGLISH, session, 0)
    assert earlier.tobytes() != latest.tobytes() and "Step **0**" in reading and "latest state (step 30)" in reading
    hidden = handlers.show_layers(ENGLISH, session, 0, ["real"])[0]
    assert hidden.tobytes() != earlier.tobytes() and session.layers == ("real",)


def test_the_animation_has_one_frame_per_moment_up_to_its_cap(monkeypatch):
    monkeypatch.setattr(labview, "GIF_FRAMES", 12)
    run = LabRun(small("gan"))
    timeline = Timeline()
    for _ in range(7):
        run.advance(2)
        timeline.add(run.snapshot())
    gif = Image.open(io.BytesIO(labview.animation(timeline.frames(), "GAN")))
    assert gif.n_frames == 7 and gif.size == (2 * labview.GIF_PX + 8, labview.GIF_PX)
    many = [timeline.latest] * 3 + timeline.frames() * 20  # 143 moments
    data = labview.animation(many)
    assert Image.open(io.BytesIO(data)).n_frames == 12 and len(data) < 5_000_000


def test_the_api_json_of_a_run_holds_kl_and_js():
    values = [{**small("gan").__dict__, "strokes": "[]", "steps": 4}[name] for name in KNOBS]
    result = Lab(LAB_FOLDER).run_api(ENGLISH, *values)[1]
    assert {"kl", "js", "round"} <= set(result["final"]) and json.dumps(result)


# --- critic surfaces --------------------------------------------------------------------------------
def test_a_clipped_critic_is_nearly_a_plane_and_a_penalised_one_follows_the_data():
    assert plane_r2(np.add.outer(np.arange(5.0), 2 * np.arange(5.0))) == pytest.approx(1.0)
    result = critic_surfaces(small("wgan", d_width=64, batch=64), steps=200)
    clip, gp = result["wgan"], result["wgan-gp"]
    assert clip["surface"].shape == gp["surface"].shape == (64, 64)
    assert clip["plane_r2"] > 0.5 > gp["plane_r2"]
    assert clip["grad_norm"] < 0.01 < gp["grad_norm"]  # clipping flattens the critic; the penalty asks for ‖∇D‖ ≈ 1
    picture = labview.surfaces(result)
    assert picture.size == (2 * 360 + 8, 360)


def test_slow_motion_lights_each_sub_step_of_a_round_in_turn():
    values = [{**small("gan").__dict__, "strokes": "[]", "steps": 1}[name] for name in KNOBS]
    frames = list(Lab(LAB_FOLDER).stream(ENGLISH, None, 1, 0.05, *values))
    lit = [re.search(r'data-substep="(\w*)"', frame[4]).group(1) for frame in frames]
    assert lit == [*SUBSTEPS, ""]  # then the round's picture, with nothing lit
    assert "D scores a batch of real points" in frames[0][4]


def test_a_loaded_run_keeps_its_curves():
    handlers = Lab(LAB_FOLDER)
    values = [{**small("gan").__dict__, "strokes": "[]", "steps": 30}[name] for name in KNOBS]
    session = handlers.reset(ENGLISH, *values)[0]
    list(handlers.stream(ENGLISH, session, 10, 0, *values))
    curves = session.timeline.curves()
    loaded = handlers.load(ENGLISH, handlers.save(ENGLISH, session))[0]
    assert loaded.timeline.curves() == curves and len(loaded.timeline) == 1  # the curves, and one picture
