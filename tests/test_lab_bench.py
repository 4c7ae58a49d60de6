"""The field's GAN fixes as `facegan.losses` functions, the published benchmarks' data and metric, and `bench`."""

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from facegan import lab, losses
from facegan.lab import LabConfig, LabRun, bench, measures, runs
from facegan.lab.suites import SUITES

REAL, FAKE = torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 1.0])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


@pytest.mark.parametrize("mode, d_loss, g_loss", [
    ("dcgan", (softplus(0) + softplus(-2)) / 2 + (softplus(-1) + softplus(1)) / 2, (softplus(1) + softplus(-1)) / 2),
    ("wgan", 0.0 - 1.0, 0.0),
    ("lsgan", 0.5 * (1 + 1) / 2 + 0.5 * (1 + 1) / 2, 0.5 * (4 + 0) / 2),  # ½E[(r−1)²] + ½E[f²]; ½E[(f−1)²]
    ("hinge", (1 + 0) / 2 + (0 + 2) / 2, 0.0),  # E[max(0, 1−r)] + E[max(0, 1+f)]; −E[f]
])
def test_each_loss_on_hand_computed_logits(mode, d_loss, g_loss):
    assert losses.discriminator_loss(mode, REAL, FAKE).item() == pytest.approx(d_loss)
    assert losses.generator_loss(mode, FAKE).item() == pytest.approx(g_loss)


def test_penalties_on_a_linear_critic():
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))  # ∇ₓD = (3, 4) everywhere: ‖·‖ = 5
    points = torch.randn(6, 2)
    assert losses.r1_penalty(critic, points).item() == pytest.approx(25.0)
    assert losses.gradient_penalty(critic, points, points.flip(0)).item() == pytest.approx(16.0)
    losses.r1_penalty(critic, points).backward()  # it trains D: d(‖w‖²)/dw = 2w
    assert torch.allclose(critic.weight.grad, torch.tensor([[6.0, 8.0]]))


def test_pack_concatenates_consecutive_samples():
    points = torch.arange(12.0).view(6, 2)
    assert losses.pack(points, 1) is points
    assert losses.pack(points, 2).tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    with pytest.raises(ValueError, match="multiple of 4"):
        losses.pack(points, 4)


def test_spectral_normalisation_brings_the_largest_singular_value_to_one():
    net = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.diag(torch.tensor([6.0, 2.0, 1.0])))
    losses.spectral_normalize(net)
    for _ in range(20):  # power iterations, one per training forward
        net(torch.randn(4, 3))
    assert torch.linalg.matrix_norm(net[0].weight.detach(), 2).item() == pytest.approx(1.0, abs=1e-3)
    assert torch.linalg.matrix_norm(net[2].weight.detach(), 2).item() == pytest.approx(1.0, abs=1e-3)


def test_unrolled_parameters_are_adams_steps_and_differentiable_in_the_fakes():
    torch.manual_seed(0)
    critic, real = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)), torch.randn(16, 2)
    fake = torch.randn(16, 2, requires_grad=True)
    twin = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    twin.load_state_dict(critic.state_dict())
    opt, twin_opt = torch.optim.Adam(critic.parameters(), 1e-2), torch.optim.Adam(twin.parameters(), 1e-2)
    for _ in range(2):  # the unrolling continues the optimizer's own moments
        for net, o in ((critic, opt), (twin, twin_opt)):
            o.zero_grad()
            losses.discriminator_loss("dcgan", net(real), net(fake.detach())).backward()
            o.step()
    unrolled = losses.unrolled_parameters(critic, "dcgan", real, fake, 3, opt)
    for _ in range(3):
        twin_opt.zero_grad()
        losses.discriminator_loss("dcgan", twin(real), twin(fake.detach())).backward()
        twin_opt.step()
    for name, p in twin.named_parameters():
        assert torch.allclose(unrolled[name], p, atol=1e-6), name
    assert torch.equal(dict(critic.named_parameters())["0.weight"], opt.param_groups[0]["params"][0])  # D unchanged
    (grad,) = torch.autograd.grad(unrolled["2.bias"].sum(), fake)
    assert grad.abs().sum() > 0  # the generator sees how D would answer


def test_the_lab_trains_the_fixes_with_the_losses_functions(monkeypatch):
    """No copies: the new objectives call facegan.losses, with the objective's settings."""
    calls = []

    def spy(name):
        real = getattr(losses, name)
        return lambda *args, **kwargs: calls.append((name, args[1] if name == "pack" else args[0])) or real(
            *args, **kwargs)

    for name in ("discriminator_loss", "generator_loss", "r1_penalty", "spectral_normalize", "pack",
                 "unrolled_generator_loss"):
        assert getattr(runs, name) is getattr(losses, name)
        monkeypatch.setattr(runs, name, spy(name))
    for objective in ("lsgan", "hinge", "gan-r1", "gan-sn", "pacgan2", "unrolled"):
        run = LabRun(LabConfig.for_objective(objective, steps=1, batch=8))
        run.d_step()
        run.g_step()
    for expected in (("discriminator_loss", "lsgan"), ("generator_loss", "lsgan"), ("discriminator_loss", "hinge"),
                     ("generator_loss", "hinge"), ("pack", 2)):
        assert expected in calls
    names = [c[0] for c in calls]
    assert names.count("r1_penalty") == 1 and names.count("spectral_normalize") == 1
    assert names.count("unrolled_generator_loss") == 1


def test_literature_metric_on_constructed_sets():
    centers = np.array([[np.cos(a), np.sin(a)] for a in np.arange(8) * 2 * np.pi / 8])
    balanced = np.repeat(centers, 10, axis=0)
    assert measures.literature_metrics(balanced, centers, 0.01) == {"modes": 8, "high_quality": 1.0,
                                                                    "reverse_kl": pytest.approx(0.0, abs=1e-12)}
    five = np.concatenate([np.repeat(centers[:5], 10, axis=0), np.full((50, 2), 5.0)])  # 50 far from every mode
    got = measures.literature_metrics(five, centers, 0.01)
    assert got == {"modes": 5, "high_quality": 0.5, "reverse_kl": pytest.approx(math.log(8 / 5))}
    # σ-normalised distance under 3 (PacGAN's dis_thre): 2.9σ counts, 3.1σ does not, and one sample captures
    near = centers[:2] + [[0.029, 0.0], [0.0, 0.031]]
    assert measures.mode_histogram(near, centers, 0.01).tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert np.isnan(measures.literature_metrics(np.full((3, 2), 9.0), centers, 0.01)["reverse_kl"])


def test_the_suites_data_and_nets_are_the_papers():
    gen = torch.Generator().manual_seed(0)
    grid = lab.target("pacgan-grid")
    assert sorted({tuple(c) for c in grid.centers.tolist()}) == [(x, y) for x in (-4, -2, 0, 2, 4)
                                                                 for y in (-4, -2, 0, 2, 4)]
    points = grid.sample(5000, gen)
    assert measures.literature_metrics(points.numpy(), grid.centers.numpy(), grid.sigma)["modes"] == 25
    offsets = points - grid.centers[torch.cdist(points, grid.centers).argmin(1)]
    assert offsets.std().item() == pytest.approx(0.05, rel=0.05)
    ring = lab.target("unrolled-ring")
    assert torch.allclose(ring.centers.norm(dim=1), torch.full((8,), 2.0)) and ring.sigma == 0.02
    toy = lab.target("toy-8gaussians")
    assert toy.centers.norm(dim=1).max().item() == pytest.approx(2 / 1.414) and toy.sigma == pytest.approx(0.02 / 1.414)
    run = LabRun(SUITES["pacgan"].config("pacgan4", "pacgan-grid", 0, 1))
    assert (run.D.layers[0].in_features, run.D.layers[0].out_features, len(run.D.layers)) == (8, 1000, 4)
    assert len(run.G.norms) == 4 and run.G.layers[1].bias is None and run.G.layers[1].out_features == 400
    assert run.opt_d.param_groups[0]["betas"][0] == 0.8 and run.config.batch == 100
    run.advance(1)  # a packed, BatchNorm-ed, maxout step runs
    unrolled = SUITES["unrolled"].config("unrolled", "unrolled-ring", 0, 1)
    assert (unrolled.noise_dim, unrolled.g_width, unrolled.d_depth, unrolled.unroll) == (256, 128, 1, 5)
    assert unrolled.batch == 512
    toy_wgan = SUITES["gan_toy"].config("wgan", "toy-swissroll", 0, 1)
    assert (toy_wgan.optimizer, toy_wgan.lr_d, toy_wgan.clip, toy_wgan.d_width) == ("rmsprop", 5e-5, 0.01, 512)
    tutorial = SUITES["tutorial"].config("wgan-gp", "ring", 0, 1)
    assert (tutorial.lr_d, tutorial.beta1, tutorial.gp_lambda, tutorial.d_steps) == (1e-4, 0.0, 10.0, 5)


def test_bench_prints_one_table_beside_the_papers_and_writes_json_and_figure(tmp_path, capsys):
    assert lab.cli(["bench", "--suite", "unrolled", "--trials", "2", "--steps", "3", "--objectives", "gan",
                    "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| gan | unrolled-ring |" in out and "(quoted: VEEGAN table 1" in out
    result = json.loads((tmp_path / "bench-unrolled.json").read_text())
    runs_ = result["runs"]["gan · unrolled-ring"]
    assert [r["trial"] for r in runs_] == [0, 1] and runs_[0]["strip"] and not runs_[1]["strip"]
    assert runs_[0]["final"]["step"] == 3 and set(runs_[0]["final"]) >= {"modes", "high_quality", "reverse_kl", "w1"}
    assert (tmp_path / "bench-unrolled.png").stat().st_size > 10_000
    # Run again with more trials: the measured ones are kept, only the missing one runs.
    assert lab.cli(["bench", "--suite", "unrolled", "--trials", "3", "--steps", "3", "--objectives", "gan",
                    "--out", str(tmp_path)]) == 0
    again = json.loads((tmp_path / "bench-unrolled.json").read_text())["runs"]["gan · unrolled-ring"]
    assert again[:2] == runs_ and again[2]["trial"] == 2


@pytest.mark.parametrize("argv, message", [
    (["--suite", "veegan"], "unknown suite 'veegan'"),
    (["--suite", "pacgan", "--trials", "0"], "--trials must be from 1"),
    (["--suite", "pacgan", "--steps", "20001"], "--steps must be from 1 to 20,000"),
    (["--suite", "gan_toy", "--objectives", "pacgan4"], "suite gan_toy has no objective 'pacgan4'"),
])
def test_bad_bench_input_is_one_line_and_exit_2(argv, message, capsys):
    assert lab.cli(["bench", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bench_summary_is_mean_and_standard_error():
    runs_ = [{"final": {"modes": m}} for m in (6, 8, 7)]
    assert bench.summary(runs_, "modes") == pytest.approx((7.0, 1 / math.sqrt(3)))


def test_tensorflow_1_rmsprop_follows_its_formula():
    """gan_toy.py's RMSProp: ms from 1, ms ← 0.9·ms + 0.1·g², θ ← θ − lr·g/√(ms + 1e-10); its first steps are
    about lr·g, where torch's RMSprop moves every weight by about 10·lr."""
    from facegan.optim import make_optimizer

    grads = [np.array([1e-3, -2.0, 0.0]), np.array([3e-3, 1.0, 5.0]), np.array([-1e-3, 0.5, 0.0])]
    theta = torch.nn.Parameter(torch.tensor([0.5, -0.5, 1.0], dtype=torch.float64))
    opt = make_optimizer("rmsprop-tf1", [theta], lr=5e-5)
    expected, ms = theta.detach().numpy().copy(), np.ones(3)
    for g in grads:
        theta.grad = torch.from_numpy(g)
        opt.step()
        ms = 0.9 * ms + 0.1 * g**2
        expected = expected - 5e-5 * g / np.sqrt(ms + 1e-10)
        assert np.allclose(theta.detach().numpy(), expected, rtol=0, atol=1e-15)
    small = torch.nn.Parameter(torch.zeros(1))
    for name, step in (("rmsprop-tf1", 5e-5 * 1e-3 / math.sqrt(0.9 + 0.1e-6)), ("rmsprop", 5e-5 * 10)):
        small.data.zero_()
        small.grad = torch.tensor([1e-3])
        make_optimizer(name, [small], lr=5e-5).step()
        assert -small.item() == pytest.approx(step, rel=1e-3)
