"""The Lab's engine: exact measurements, seeded runs, the face models' losses, and claim a's physics."""

import dataclasses

import numpy as np
import pytest
import torch

from facegan import lab, losses
from facegan.lab import LabConfig, LabError, LabRun, runs


def test_w1_of_a_shifted_copy_is_the_shift_and_of_a_permutation_zero():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(200, 2))
    assert lab.wasserstein1(points, points + [0.3, 0.4]) == pytest.approx(0.5)
    assert lab.wasserstein1(points, points[rng.permutation(200)]) == pytest.approx(0.0, abs=1e-12)
    # Two points each: {0, 2} against {1, 3} on a line: matching 0→1, 2→3 costs 1 each.
    assert lab.wasserstein1(np.array([[0.0, 0], [2, 0]]), np.array([[3.0, 0], [1, 0]])) == pytest.approx(1.0)


def test_mode_coverage_on_constructed_sets():
    centers = np.array([[0.0, 0], [1, 0], [0, 1], [1, 1]])
    even = np.repeat(centers, 25, axis=0)
    assert lab.mode_coverage(even, centers, 0.05) == (4, 1.0)
    collapsed = np.repeat(centers[:1], 100, axis=0)
    assert lab.mode_coverage(collapsed, centers, 0.05) == (1, 1.0)
    assert lab.mode_coverage(even + 0.5, centers, 0.05) == (0, 0.0)  # all between the modes
    # A mode needs COVERED_SHARE (25%) of its fair share (25 of 100): 6 samples are not enough, 7 are.
    lopsided = np.concatenate([np.repeat(centers[:3], 31, axis=0), np.repeat(centers[3:], 7, axis=0)])
    assert lab.mode_coverage(lopsided[:-1], centers, 0.05)[0] == 3
    assert lab.mode_coverage(lopsided, centers, 0.05)[0] == 4


def test_the_same_seed_gives_the_same_run():
    config = LabConfig.for_objective("wgan-gp", steps=10, seed=3)
    runs = [LabRun(config) for _ in range(3)]
    runs[2] = LabRun(dataclasses.replace(config, seed=4))
    for run in runs:
        run.advance(10)
    first, again, other = (run.snapshot() for run in runs)
    assert first.metrics == again.metrics and np.array_equal(first.fake, again.fake)
    assert np.array_equal(first.heat, again.heat) and np.array_equal(first.push, again.push)
    assert not np.array_equal(first.fake, other.fake)
    assert first.metrics["step"] == 10 and first.metrics["d_updates"] == 50


def test_the_lab_trains_with_the_face_models_losses(monkeypatch):
    """No copies: the Lab's objectives call facegan.losses, with the objective's settings."""
    calls = []

    def spy(name):
        real = getattr(losses, name)
        return lambda *args, **kwargs: calls.append((name, args[0], kwargs or args[2:])) or real(*args, **kwargs)

    for name in ("discriminator_loss", "generator_loss", "gradient_penalty", "clip_weights"):
        assert getattr(runs, name) is getattr(losses, name)
        monkeypatch.setattr(runs, name, spy(name))
    for objective in ("gan-minimax", "wgan", "wgan-gp"):
        run = LabRun(LabConfig.for_objective(objective, steps=1, d_steps=1))
        run.d_step()
        run.g_step()
    names = [c[0] for c in calls]
    assert names.count("discriminator_loss") == 3 and names.count("generator_loss") == 3
    assert names.count("gradient_penalty") == 1 and names.count("clip_weights") == 1
    assert ("generator_loss", "dcgan", (True,)) in calls  # the minimax form is the saturating generator loss


def test_claim_a_saturating_gradient_vanishes_once_d_is_optimal():
    a = lab.vanishing_gradient(LabConfig(), d_steps=1000, every=500)
    assert a["accuracy"][-1] >= 0.99
    assert a["saturating"][-1] < a["non_saturating"][-1] / 100
    assert a["saturating"][-1] < a["saturating"][0] / 100  # it started comparable, then vanished
    assert a["wasserstein"][-1] > a["saturating"][-1] * 100


def test_drawn_data_lies_along_the_strokes():
    strokes = (((-1.0, 0.0), (1.0, 0.0)), ((0.0, 0.5), (0.2, 0.5)))  # two lines, 2 and 0.2 long
    points = lab.target("drawn", strokes).sample(4000, torch.Generator().manual_seed(0))
    on_long, on_short = points[:, 1].abs() < 0.1, (points[:, 1] - 0.5).abs() < 0.1
    assert (on_long | on_short).all()
    assert on_short.float().mean() == pytest.approx(0.2 / 2.2, abs=0.02)  # by length
    assert points[on_long, 0].min() < -0.95 and points[on_long, 0].max() > 0.95


@pytest.mark.parametrize("change, message", [
    (dict(lr_g=-1e-3), "lr_g must be a number from 1e-06 to 10, not -0.001"),
    (dict(lr_d=float("nan")), "lr_d must be a number from 1e-06 to 10, not nan"),
    (dict(steps=0), "steps must be a whole number from 1 to 400000, not 0"),
    (dict(batch=2.5), "batch must be a whole number"),
    (dict(distribution="heart"), "unknown distribution 'heart'"),
    (dict(distribution="drawn"), "the drawing is empty"),
    (dict(distribution="drawn", strokes=([[0.1, 0.2, 0.3]],)), r"two finite numbers \[x, y\], not \[0.1, 0.2, 0.3\]"),
    (dict(distribution="drawn", strokes=([[0, 1], [3]],)), "two finite numbers"),
    (dict(distribution="drawn", strokes=({"a": 1},)), "a list of polylines"),
    (dict(distribution="drawn", strokes=([[0, 0]] * 10_001,)), "at most 10,000 points"),
    (dict(objective="wgan-lp"), "unknown objective"),
])
def test_bad_settings_are_one_clear_error(change, message):
    with pytest.raises(LabError, match=message):
        LabRun(dataclasses.replace(LabConfig(), **change))


def test_a_diverging_run_stops_and_measures_without_crashing():
    run = LabRun(LabConfig.for_objective("gan", optimizer="sgd", lr_g=10.0, lr_d=10.0, steps=500))
    run.advance(500)
    assert run.diverged and 0 < run.step < 500  # it stopped once a loss was no longer finite
    assert np.isnan(run.measure()["w1"]) and np.isnan(run.snapshot().metrics["w1"])


def test_advance_stops_at_its_deadline():
    run = LabRun(LabConfig(steps=10_000))
    assert run.advance(10_000, until=0.0) == 0 and run.step == 0


def test_training_leaves_the_process_thread_count_alone():
    before = torch.get_num_threads()
    LabRun(LabConfig(steps=2)).advance(2)
    assert torch.get_num_threads() == before == lab.THREADS


def test_claim_c_refuses_data_without_modes():
    with pytest.raises(LabError, match="claim c counts modes"):
        lab.mode_collapse(lab.objective_runs(LabConfig(distribution="moons", steps=2), seeds=1, objectives=["gan"]))
    assert lab.cli(["claims", "--distribution", "moons"]) == 2


def test_claims_cli_prints_one_table_and_writes_the_figures(tmp_path, capsys):
    assert lab.cli(["claims", "--seeds", "2", "--steps", "8", "--d-steps", "50", "--workers", "1",
                    "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for objective in lab.CLAIM_OBJECTIVES:
        assert f"| {objective} |" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "claim-a-vanishing-gradient.png", "claim-b-loss-vs-progress.png", "claim-c-mode-collapse.png", "claims.json"]
    assert lab.cli(["claims", "--seeds", "0"]) == 2
    assert lab.cli(["claims", "--steps", "0"]) == 2
