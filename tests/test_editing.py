"""Face editing: the linear fits recover known directions, conditional edits hold the other score,
directions travel inside the weights file, and the fit CLI refuses bad input with one line."""

import pytest
import torch

from facegan.attributes import AttributePredictor, PredictorConfig, save_predictor
from facegan.editing import Directions, cli, directions_of, fit_age, fit_gender, passes, without
from facegan.export import CheckpointError, export_generator, load_generator, read_metadata
from facegan.models import Generator, ModelConfig


def known_direction(nz=100, seed=0):
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(nz, generator=g)
    return u / u.norm(), torch.randn(5000, nz, generator=g), g


def test_least_squares_recovers_an_age_direction_and_slope():
    u, z, g = known_direction()
    age = 40 + 12 * (z @ u) + 3 * torch.randn(len(z), generator=g)
    w, c = fit_age(z, age)
    assert float(w @ u) / w.norm() > 0.99
    assert w.norm() == pytest.approx(12, rel=0.03) and c == pytest.approx(40, abs=0.3)


def test_logistic_regression_on_soft_labels_recovers_a_gender_direction():
    u, z, _ = known_direction(seed=1)
    female = torch.sigmoid(0.5 + 4 * (z @ u))
    w, c = fit_gender(z, female)
    assert float(w @ u) / w.norm() > 0.99
    assert w.norm() == pytest.approx(4, rel=0.1) and c == pytest.approx(0.5, abs=0.1)


def directions(cos=0.6):
    age = torch.zeros(100)
    age[0] = 1.0
    gender = torch.zeros(100)
    gender[0], gender[1] = cos, (1 - cos**2) ** 0.5
    return Directions(age, gender, without(age, gender), without(gender, age), 30.0, 10.0, 0.2, 3.0)


def test_conditional_edits_leave_the_other_linear_score_unchanged():
    d = directions()
    z = torch.randn(8, 100)
    older = d.edit(z, age=2.0, conditional=True)
    assert torch.allclose(older @ d.gender, z @ d.gender, atol=1e-5)  # gender score held
    assert torch.allclose(d.edit(z, gender=-1.5) @ d.age, z @ d.age, atol=1e-5)  # age score held
    assert not torch.allclose(d.edit(z, age=2.0, conditional=False) @ d.gender, z @ d.gender, atol=1e-3)
    # the conditional direction is slower in fitted years: only part of it lies along the age direction
    assert d.years_per_step(conditional=False) == pytest.approx(10.0)
    assert d.years_per_step(conditional=True) == pytest.approx(10.0 * 0.8, rel=1e-5)
    assert torch.allclose(d.years(older), d.years(z) + 2 * d.years_per_step(True), atol=1e-4)


def test_directions_round_trip_through_metadata_and_absence_is_none():
    d = directions()
    back = directions_of({"model": {"nz": 100}, "editing": {"directions": d.to_dict()}})
    assert torch.allclose(back.age_conditional, d.age_conditional) and back.age_slope == d.age_slope
    assert directions_of({"model": {"nz": 100}}) is None
    with pytest.raises(CheckpointError, match=r"g\.safetensors: .*age has shape \(100,\), z has 128 values"):
        directions_of({"model": {"nz": 128}, "editing": {"directions": d.to_dict()}}, "g.safetensors")


@pytest.mark.parametrize("editing", [
    {"directions": {"age": "x"}},
    {"directions": [1, 2]},
    {"directions": {**directions().to_dict(), "gender": [float("nan")] * 100}},
    {"directions": {k: v for k, v in directions().to_dict().items() if k != "age_slope"}},
    "not a record",
])
def test_malformed_directions_raise_naming_the_file(editing):
    with pytest.raises(CheckpointError, match=r"^g\.safetensors: its edit directions cannot be used \("):
        directions_of({"model": {"nz": 100}, "editing": editing}, "g.safetensors")


def test_measure_reports_what_the_walks_do(monkeypatch):
    """A stand-in judge that reads age from z0 and gender from z1 (no generator, no CNN): every number is known."""
    from facegan import editing
    from facegan.sampling import seeded_noise

    monkeypatch.setattr(editing, "score",
                        lambda generator, predictor, z: (30 + 10 * z[:, 0], torch.sigmoid(4 * z[:, 1])))
    age, gender = torch.zeros(100), torch.zeros(100)
    age[0], gender[1] = 1.0, 1.0
    d = Directions(age, gender, age, gender, 30.0, 10.0, 0.0, 4.0)
    generator = Generator(ModelConfig())
    effect = editing.measure(generator, None, d, samples=500)
    z = seeded_noise(500, 100, editing.EVAL_SEED)
    assert effect["age"]["mean_age"] == [round(30 + 10 * (z[:, 0].mean().item() + s), 1) for s in editing.STEPS]
    assert effect["age"]["age_change"] == pytest.approx(60, abs=0.1) and effect["age"]["monotonic"]
    assert effect["age"]["female_drift"] == 0 and effect["gender"]["age_drift"] == 0
    flipped = ((z[:, 1] - 3 > 0) != (z[:, 1] + 3 > 0)).float().mean().item()
    assert effect["gender"]["flipped"] == round(flipped, 3) and 0.95 < flipped < 1
    assert effect["gender"]["mean_female"][0] < 0.1 < 0.9 < effect["gender"]["mean_female"][-1]


def test_passes_needs_every_bar():
    effect = {"age": {"age_change": 31, "monotonic": True, "female_drift": 0.05},
              "gender": {"flipped": 0.85, "age_drift": 4.0}}
    assert passes(effect)
    for part, key, bad in [("age", "age_change", 29), ("age", "monotonic", False), ("age", "female_drift", 0.11),
                           ("gender", "flipped", 0.79), ("gender", "age_drift", 5.5)]:
        worse = {k: dict(v) for k, v in effect.items()}
        worse[part][key] = bad
        assert not passes(worse), key


@pytest.fixture
def tiny_files(tmp_path):
    torch.manual_seed(0)
    weights = tmp_path / "g.safetensors"
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)).eval(), weights, {"mode": "dcgan", "steps": 7})
    predictor = tmp_path / "p.safetensors"
    save_predictor(AttributePredictor(PredictorConfig(widths=(8, 16), convs=(1, 1))).eval(), predictor,
                   {"dataset": "toy", "held_out": {"age_mae": 9.9, "gender_accuracy": 0.5, "age_mae_by_band": {}}})
    return weights, predictor


def test_fit_cli_stores_directions_in_the_weights_and_keeps_the_weights(tiny_files, tmp_path, capsys):
    weights, predictor = tiny_files
    before, _ = load_generator(weights)
    grid = tmp_path / "grid.png"
    assert cli(["fit", str(weights), "--predictor", str(predictor), "--samples", "300", "--eval-samples", "20",
                "--grid", str(grid)]) == 0
    assert "bars" in capsys.readouterr().out
    after, meta = load_generator(weights)
    pairs = zip(before.state_dict().values(), after.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    assert meta["steps"] == 7  # the rest of the metadata kept
    editing = meta["editing"]
    assert editing["predictor"]["age_mae"] == 9.9 and "race" in editing["labels"]
    assert len(editing["effect"]["age"]["mean_age"]) == 7 and editing["fit"]["samples"] == 300
    d = directions_of(meta)
    assert d.age.norm() == pytest.approx(1, abs=1e-5) and abs(float(d.age_conditional @ d.gender)) < 1e-5
    assert grid.is_file()


@pytest.mark.parametrize("args, message", [
    (["fit", "MISSING.safetensors"], "weights file not found"),
    (["fit", "G", "--predictor", "none.safetensors"], "predictor not found"),
    (["fit", "G", "--samples", "10"], "at least 200"),
    (["fit", "G", "--grid", "grid.jpg"], "must end in .png"),
    (["fit", "P"], "no FaceGAN metadata"),
])
def test_fit_cli_bad_input_is_one_line_exit_2_and_leaves_the_file(tiny_files, tmp_path, capsys, args, message):
    weights, predictor = tiny_files
    before = weights.read_bytes()
    names = {"G": str(weights), "P": str(predictor)}
    args = [names.get(a, str(tmp_path / a) if a.endswith((".safetensors", ".jpg")) else a) for a in args]
    if "--predictor" not in args:
        args += ["--predictor", str(predictor)]
    assert cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert weights.read_bytes() == before
    assert "editing" not in read_metadata(weights)
