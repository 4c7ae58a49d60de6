"""K Lab runs in one step: each run's numbers are its own, the same beside others as alone, and they learn."""

import dataclasses

import pytest
import torch

from facegan import lab, losses
from facegan.lab import LabConfig, LabRun, batched
from facegan.lab.batched import BatchedRuns, batched_histories

OBJECTIVES = ("gan-minimax", "gan", "wgan", "wgan-gp")


def trained(configs, rounds: int) -> tuple[BatchedRuns, list[dict]]:
    runs = BatchedRuns(configs)
    runs.advance(rounds)
    return runs, [run.measure() for run in runs.sync()]


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_a_run_trains_bit_for_bit_the_same_alone_and_among_five(objective, monkeypatch):
    monkeypatch.setattr(batched, "BLOCK_POINTS", 2 * 5 * 256)  # blocks of a round or two: steps cross them
    configs = [LabConfig.for_objective(objective, seed=seed) for seed in range(5)]
    five, measured_five = trained(configs, 5)
    alone, measured_alone = trained(configs[3:4], 5)
    assert torch.equal(five.G.run(3), alone.G.run(0)) and torch.equal(five.D.run(3), alone.D.run(0))
    assert measured_five[3] == measured_alone[0]
    assert measured_five[3]["step"] == 5 and measured_five[3]["d_updates"] == 5 * configs[0].d_steps
    assert not torch.equal(five.G.run(2), five.G.run(3))  # each run its own seed


def test_thin_nets_and_other_sizes_are_the_same_alone_and_among_three():
    """Width 1 and the critic's single output are broadcast products, not BLAS matrix-vector ones."""
    config = LabConfig.for_objective("wgan-gp", g_width=1, d_width=3, g_depth=1, d_depth=2, batch=48, d_steps=2)
    three = BatchedRuns([dataclasses.replace(config, seed=seed) for seed in (7, 8, 9)])
    alone = BatchedRuns([dataclasses.replace(config, seed=9)])
    for runs in (three, alone):
        runs.advance(4)
    assert torch.equal(three.G.run(2), alone.G.run(0)) and torch.equal(three.D.run(2), alone.D.run(0))


def test_runs_start_as_lab_runs_do_and_measure_through_them():
    configs = [LabConfig.for_objective("wgan", seed=seed, distribution="grid") for seed in (1, 2)]
    runs = BatchedRuns(configs)
    assert [run.measure() for run in runs.sync()] == [LabRun(config).measure() for config in configs]
    assert all(run.loss_d != run.loss_d for run in runs.runs)  # no step yet: nan, as a new LabRun's


def test_the_batched_runs_train_with_the_face_models_losses(monkeypatch):
    """No copies: the batched step calls facegan.losses, with the objective's settings."""
    calls = []

    def spy(name):
        real = getattr(losses, name)
        return lambda *args, **kwargs: calls.append((name, args, kwargs)) or real(*args, **kwargs)

    for name in ("discriminator_loss", "generator_loss", "gradient_penalty", "clip_weights"):
        assert getattr(batched, name) is getattr(losses, name)
        monkeypatch.setattr(batched, name, spy(name))
    seen = {}
    for objective in ("gan-minimax", "wgan", "wgan-gp"):
        calls.clear()
        BatchedRuns([LabConfig.for_objective(objective, d_steps=1, seed=seed) for seed in (0, 1)]).advance(1)
        seen[objective] = {name: (args, kwargs) for name, args, kwargs in calls}
    assert set(seen["gan-minimax"]) == {"discriminator_loss", "generator_loss"}
    assert seen["gan-minimax"]["discriminator_loss"][0][0] == "dcgan" and seen["gan-minimax"]["generator_loss"][0][2]
    assert set(seen["wgan"]) == {"discriminator_loss", "generator_loss", "clip_weights"}
    critic, clip = seen["wgan"]["clip_weights"][0]
    assert isinstance(critic, batched.StackedMLP) and clip == 0.01
    assert set(seen["wgan-gp"]) == {"discriminator_loss", "generator_loss", "gradient_penalty"}
    assert seen["wgan-gp"]["gradient_penalty"][1] == {"runs": True}


def test_the_penalty_per_run_is_each_runs_own():
    gen = torch.Generator().manual_seed(0)
    weights = torch.randn(3, 2, 1, generator=gen)
    real, fake, alpha = torch.randn(3, 16, 2, generator=gen), torch.randn(3, 16, 2, generator=gen), torch.rand(
        3, 16, 1, generator=gen)
    per_run = losses.gradient_penalty(lambda x: torch.tanh(x @ weights).square(), real, fake, alpha, runs=True)
    alone = [losses.gradient_penalty(lambda x, w=w: torch.tanh(x @ w).square(), r, f, a)
             for w, r, f, a in zip(weights, real, fake, alpha, strict=True)]
    assert per_run.shape == (3,) and torch.allclose(per_run, torch.stack(alone))


def test_the_critics_learn_the_ring_batched():
    """Two seeds, 300 generator steps on small nets: each WGAN run ends far closer to the data than it began."""
    for objective in ("wgan", "wgan-gp"):
        config = LabConfig.for_objective(objective, g_width=32, d_width=32, batch=128, steps=300)
        histories = batched_histories([dataclasses.replace(config, seed=seed) for seed in (0, 1)], every=300)
        for history in histories:
            assert [h["step"] for h in history] == [0, 300]
            assert history[-1]["w1"] < 0.5 * history[0]["w1"], objective


def test_a_diverged_run_ends_its_history_and_the_others_need_the_same_settings():
    config = LabConfig.for_objective("gan", lr_d=10.0, lr_g=10.0, optimizer="sgd", steps=400)
    histories = batched_histories([dataclasses.replace(config, seed=seed) for seed in (0, 1)], every=20)
    for history in histories:
        assert len(history) < 21 and not all(v == v for v in (history[-1]["loss_d"], history[-1]["loss_g"]))
    with pytest.raises(ValueError, match="seeds"):
        BatchedRuns([LabConfig(seed=0), LabConfig(seed=1, batch=128)])


def test_claims_runs_are_the_same_in_one_process_and_in_two():
    config = LabConfig(steps=6, g_width=16, d_width=16, batch=64)
    one = lab.objective_runs(config, seeds=2, objectives=("gan", "wgan"))
    assert one == lab.objective_runs(config, seeds=2, objectives=("gan", "wgan"), workers=2)
    assert list(one) == ["gan", "wgan"] and [len(h) for h in one["gan"]] == [7, 7]
    a, histories = lab.all_claims(config, seeds=2, d_steps=20, workers=2)  # claim a in the objectives' processes
    assert a == lab.vanishing_gradient(config, d_steps=20) and len(a["d_steps"]) == 2
    assert list(histories) == list(lab.CLAIM_OBJECTIVES) and histories["wgan"] == one["wgan"]


@pytest.mark.parametrize("setting", [dict(g_steps=2), dict(pack=2), dict(optimizer_d="sgd"), dict(objective="gan-r1")])
def test_settings_only_a_lab_run_trains_are_refused_by_name(setting):
    config = LabConfig.for_objective(setting.pop("objective", "gan"), steps=2, **setting)
    with pytest.raises(ValueError, match="need LabRun"):
        BatchedRuns([config])
