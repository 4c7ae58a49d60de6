"""The field's GAN fixes as `facegan.losses` functions, the published benchmarks' data and metric, and `bench`."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from facegan import lab, losses
from facegan.lab import LabConfig, LabRun, bench, measures, runs
from facegan.lab.suites import SUITES, settings_table
from facegan.optim import TF1RMSprop

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


def test_the_suites_data_are_their_sources():
    gen = torch.Generator().manual_seed(0)
    grid = lab.target("pacgan-grid")
    assert sorted({tuple(c) for c in grid.centers.tolist()}) == [(x, y) for x in (-4, -2, 0, 2, 4)
                                                                 for y in (-4, -2, 0, 2, 4)]
    points = grid.sample(5000, gen)
    assert measures.literature_metrics(points.numpy(), grid.centers.numpy(), grid.sigma)["modes"] == 25
    offsets = points - grid.centers[torch.cdist(points, grid.centers).argmin(1)]
    assert offsets.std().item() == pytest.approx(0.05, rel=0.05)
    # PacGAN's and gan_toy.py's fixed sets are drawn anew for every run (trial); gan_toy's 25 are balanced
    assert not torch.equal(lab.target("pacgan-ring", seed=0).sample(50, torch.Generator().manual_seed(1)),
                           lab.target("pacgan-ring", seed=1).sample(50, torch.Generator().manual_seed(1)))
    toy25 = lab.target("toy-25gaussians", seed=3)
    nearest = torch.cdist(toy25.training_set, toy25.centers).argmin(1)
    assert len(toy25.training_set) == 100_000 and torch.bincount(nearest, minlength=25).tolist() == [4000] * 25
    ring = lab.target("unrolled-ring")
    assert torch.allclose(ring.centers.norm(dim=1), torch.full((8,), 2.0)) and ring.sigma == 0.02
    toy = lab.target("toy-8gaussians")
    assert toy.centers.norm(dim=1).max().item() == pytest.approx(2 / 1.414) and toy.sigma == pytest.approx(0.02 / 1.414)
    # the notebook's linspace(0, 2π, 8): 7 places 2π/7 apart, the one at (0, 1) drawn twice as often
    notebook = lab.target("notebook-ring")
    assert len(notebook.centers) == 7 and notebook.sigma == 0.01
    angles = torch.atan2(notebook.centers[:, 0], notebook.centers[:, 1])
    assert torch.allclose(torch.diff(angles[:4]), torch.full((3,), 2 * math.pi / 7), atol=1e-6)
    share = torch.bincount(torch.cdist(notebook.sample(40_000, gen), notebook.centers).argmin(1)) / 40_000
    assert share[0].item() == pytest.approx(2 / 8, abs=0.01)
    assert share[1:].max().item() == pytest.approx(1 / 8, abs=0.01)


def _orthogonal(weight: torch.Tensor, gain: float) -> bool:
    """weight's rows or columns, whichever are fewer, orthonormal times gain."""
    small = weight @ weight.T if weight.shape[0] <= weight.shape[1] else weight.T @ weight
    return torch.allclose(small, gain**2 * torch.eye(len(small)), atol=1e-5)


def test_the_suites_nets_and_optimisers_are_their_sources():
    run = LabRun(SUITES["pacgan"].config("pacgan4", "pacgan-grid", 0, 1))
    assert (run.D.layers[0].in_features, run.D.layers[0].out_features, len(run.D.layers)) == (8, 1000, 4)
    assert len(run.G.norms) == 4 and run.G.layers[1].bias is None and run.G.layers[1].out_features == 400
    assert run.G.layers[-1].bias is not None and run.G.norms[0].eps == 1e-4 and run.G.norms[0].momentum == 0.05
    assert run.opt_d.param_groups[0]["betas"][0] == 0.8 and run.config.batch == 100 and run.config.update == "joint"
    run.advance(1)  # a packed, BatchNorm-ed, maxout joint step runs
    assert run.step == run.d_updates == 1

    unrolled = LabRun(SUITES["unrolled"].config("unrolled", "unrolled-ring", 0, 1))
    c = unrolled.config
    assert (c.noise_dim, c.g_width, c.g_depth, c.d_width, c.d_depth, c.unroll, c.batch) == (256, 128, 2, 128, 1, 5, 512)
    assert (c.lr_g, c.lr_d, c.beta1, c.activation, c.update) == (1e-4, 1e-4, 0.5, "relu", "alternate")
    assert all(_orthogonal(layer.weight.detach(), 0.8) and not layer.bias.any()
               for net in (unrolled.G, unrolled.D) for layer in net.layers)
    points = torch.randn(5, 2)
    first, last = unrolled.D.layers
    assert torch.allclose(unrolled.D(points), last(torch.relu(first(points / 4))), atol=1e-6)  # D's input / 4
    assert SUITES["unrolled"].config("gan-minimax", "unrolled-ring", 0, 1).unroll == 0  # the paper's k = 0

    notebook = LabRun(SUITES["unrolled-notebook"].config("unrolled", "notebook-ring", 0, 1))
    c = notebook.config
    assert (c.activation, c.d_depth, c.lr_g, c.lr_d, c.update, c.unroll) == ("tanh", 2, 1e-3, 1e-4, "joint", 5)
    assert all(_orthogonal(layer.weight.detach(), 1.4) for net in (notebook.G, notebook.D) for layer in net.layers)

    toy = LabRun(SUITES["gan_toy"].config("wgan", "toy-swissroll", 0, 1))
    assert (toy.config.optimizer, toy.config.lr_d, toy.config.clip, toy.config.d_width) == ("rmsprop-tf1", 5e-5, 0.01,
                                                                                            512)
    assert isinstance(toy.opt_d, TF1RMSprop) and isinstance(toy.opt_g, TF1RMSprop)
    hidden, output = toy.D.layers[1].weight, toy.D.layers[-1].weight  # tflib's he, and Glorot at the output
    assert hidden.std().item() == pytest.approx(math.sqrt(2 / 512), rel=0.02)
    assert output.std().item() == pytest.approx(math.sqrt(2 / 513), rel=0.1)
    tutorial = SUITES["tutorial"].config("wgan-gp", "ring", 0, 1)
    assert (tutorial.lr_d, tutorial.beta1, tutorial.gp_lambda, tutorial.d_steps) == (1e-4, 0.0, 10.0, 5)


def test_a_joint_update_takes_both_gradients_at_the_same_nets():
    """ALI's algorithm: G's step is the one it would take against D before D's step on the same batch."""
    config = LabConfig.for_objective("gan", update="joint", steps=5, batch=16, g_width=8, d_width=8)
    joint, twin = LabRun(config), LabRun(config)
    joint.advance(1)
    real, fake = twin._real(), twin._fake()
    d_loss = losses.discriminator_loss("dcgan", twin.D(real), twin.D(fake.detach()))
    g_loss = losses.generator_loss("dcgan", twin.D(fake))
    g_grads = torch.autograd.grad(g_loss, twin.g_params)
    twin.opt_d.zero_grad()
    d_loss.backward(inputs=list(twin.D.parameters()))
    twin.opt_d.step()
    for p, grad in zip(twin.g_params, g_grads, strict=True):
        p.grad = grad
    twin.opt_g.step()
    for a, b in zip([*joint.G.parameters(), *joint.D.parameters()], [*twin.G.parameters(), *twin.D.parameters()],
                    strict=True):
        assert torch.allclose(a, b, atol=1e-7)
    with pytest.raises(lab.LabError, match="joint update"):
        LabConfig.for_objective("wgan-gp", update="joint").check()


def test_each_suite_s_settings_table_is_in_the_docs():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "lab.md").read_text()
    for suite in SUITES.values():
        assert suite.sources and settings_table(suite) in docs, suite.name


def test_quoted_rows_keep_the_papers_standard_errors_and_only_their_own_setting():
    quoted = {(q.objective, q.distribution): q for q in SUITES["pacgan"].quoted}
    assert (quoted["pacgan4", "pacgan-ring"].modes, quoted["pacgan4", "pacgan-ring"].modes_se) == (7.8, 0.1)
    assert all(None not in (q.modes_se, q.high_quality_se, q.reverse_kl_se) for q in quoted.values())
    assert not SUITES["unrolled"].quoted  # VEEGAN's rows are for VEEGAN's own ring and nets
    table = bench.table({"runs": {}, "quoted": [q.__dict__ for q in SUITES["pacgan"].quoted]})
    assert "| pacgan4 (quoted: PacGAN table 1 (10 trials, ± standard error)) | pacgan-ring | 7.8 ± 0.1 | " \
           "95.9 ± 1.4% | 0.07 ± 0.02 |" in table


def test_bench_prints_one_table_beside_the_papers_and_writes_json_and_figure(tmp_path, capsys):
    assert lab.cli(["bench", "--suite", "unrolled", "--trials", "2", "--steps", "3", "--objectives", "gan-minimax",
                    "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| gan-minimax | unrolled-ring |" in out and "(quoted" not in out
    result = json.loads((tmp_path / "bench-unrolled.json").read_text())
    runs_ = result["runs"]["gan-minimax · unrolled-ring"]
    assert [r["trial"] for r in runs_] == [0, 1] and runs_[0]["strip"] and not runs_[1]["strip"]
    assert runs_[0]["final"]["step"] == 3 and set(runs_[0]["final"]) >= {"modes", "high_quality", "reverse_kl", "w1"}
    assert (tmp_path / "bench-unrolled.png").stat().st_size > 10_000
    assert not (tmp_path / "bench-unrolled-runs").exists()  # each run saved as it went, gone once finished
    # Run again with more trials: the measured ones are kept, only the missing one runs.
    assert lab.cli(["bench", "--suite", "unrolled", "--trials", "3", "--steps", "3", "--objectives", "gan-minimax",
                    "--out", str(tmp_path)]) == 0
    again = json.loads((tmp_path / "bench-unrolled.json").read_text())["runs"]["gan-minimax · unrolled-ring"]
    assert again[:2] == runs_ and again[2]["trial"] == 2
    # A run measured under other settings than the suite's now is measured again, not kept.
    stale = json.loads((tmp_path / "bench-unrolled.json").read_text())
    stale["runs"]["gan-minimax · unrolled-ring"][0]["config"]["init_gain"] = 1.0
    (tmp_path / "bench-unrolled.json").write_text(json.dumps(stale))
    assert lab.cli(["bench", "--suite", "unrolled", "--trials", "3", "--steps", "3", "--objectives", "gan-minimax",
                    "--out", str(tmp_path)]) == 0
    rerun = json.loads((tmp_path / "bench-unrolled.json").read_text())["runs"]["gan-minimax · unrolled-ring"]
    assert [r["trial"] for r in rerun] == [0, 1, 2] and rerun[0]["config"]["init_gain"] == 0.8
    assert rerun[1:] == again[1:]


@pytest.mark.parametrize("argv, message", [
    (["--suite", "veegan"], "unknown suite 'veegan'"),
    (["--suite", "pacgan", "--trials", "0"], "--trials must be from 1"),
    (["--suite", "pacgan", "--steps", "400001"], "--steps must be from 1 to 400,000"),
    (["--suite", "pacgan", "--device", "abacus"], "--device abacus:"),
    (["--suite", "pacgan", "--workers", "0"], "--workers must be from 1 to 64"),
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


def _numbers(result: dict) -> str:
    """A suite's measured numbers without the seconds they took, as JSON (where NaN equals NaN)."""
    return json.dumps({key: [{**r, "final": {k: v for k, v in r["final"].items() if k != "seconds"}} for r in runs]
                       for key, runs in result["runs"].items()})


@pytest.mark.parametrize("suite, objective", [("unrolled", "unrolled"), ("tutorial", "gan")])
def test_the_device_path_gives_the_cpu_path_s_numbers(suite, objective):
    """bench --device D --workers N moves every run onto D and trains the trials side by side: in processes of
    their own (the unrolled suite), or in one step where BatchedRuns can (the tutorial's); on the CPU, 200 steps
    give the numbers one run after another gives."""
    serial = bench.run_suite(SUITES[suite], 2, 200, [objective], SUITES[suite].distributions[:1])
    device = bench.run_suite(SUITES[suite], 2, 200, [objective], SUITES[suite].distributions[:1], device="cpu",
                             workers=2)
    assert _numbers(device) == _numbers(serial) and len(next(iter(serial["runs"].values()))) == 2


def test_a_stopped_run_continues_where_it_was_saved(tmp_path, monkeypatch):
    """A run of a full schedule is saved at every measurement: stopped, it continues from there with the numbers
    it would have had."""
    args = (SUITES["pacgan"], "pacgan2", "pacgan-ring", 0, 20)
    whole, state = bench.one_run(*args), tmp_path / "run.safetensors"
    measure, calls = bench.measure, []

    def stopped_at_the_fourth(run, samples):
        calls.append(run.step)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return measure(run, samples)

    monkeypatch.setattr(bench, "measure", stopped_at_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        bench.one_run(*args, state=state)
    monkeypatch.undo()
    assert calls == [0, 2, 4, 6] and lab.saved.load_run(state).step == 4
    resumed = bench.one_run(*args, state=state)
    assert _numbers({"runs": {"x": [resumed]}}) == _numbers({"runs": {"x": [whole]}})


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("suite, objective", [("pacgan", "pacgan4"), ("unrolled", "unrolled"), ("gan_toy", "wgan")])
def test_the_suites_train_on_cuda_from_the_cpu_s_start(suite, objective):
    """On a GPU each run starts from the CPU's weights and draws the CPU's batches: the first measurement is the
    CPU's, and 50 steps later the numbers are of the same kind (the arithmetic differs in its last bits)."""
    distribution = SUITES[suite].distributions[:1]
    cpu = bench.run_suite(SUITES[suite], 2, 50, [objective], distribution)
    cuda = bench.run_suite(SUITES[suite], 2, 50, [objective], distribution, device="cuda", workers=2)
    for a, b in zip(*(next(iter(r["runs"].values())) for r in (cpu, cuda)), strict=True):
        assert a["curve"][0]["modes"] == b["curve"][0]["modes"] and b["final"]["step"] == 50
        assert b["final"]["high_quality"] == pytest.approx(a["final"]["high_quality"], abs=0.2)
