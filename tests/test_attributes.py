"""The age/gender predictor: UTKFace labels, the fixed held-out split, training, safetensors round trip, CLI errors."""

import numpy as np
import pytest
import torch
from PIL import Image

from facegan.attributes import (
    PredictorConfig,
    cli,
    is_held_out,
    load_labelled,
    load_predictor,
    parse_label,
    predict,
    save_predictor,
    scores,
    train_predictor,
)
from facegan.export import CheckpointError


def test_labels_come_from_utkface_file_names():
    assert parse_label("26_1_2_20170116174525125.jpg") == (26, 1)
    assert parse_label("100_0_0_20170112213500903.jpg") == (100, 0)
    assert parse_label("39_1_20170116174525125.jpg") is None  # a field missing: skipped, not guessed
    assert parse_label("26_3_2_20170116174525125.jpg") is None  # gender is 0 or 1
    assert parse_label("face.jpg") is None


def test_held_out_split_is_fixed_by_name_and_about_15_percent():
    names = [f"{20 + i % 50}_{i % 2}_0_2017{i:013d}.jpg" for i in range(4000)]
    held = [is_held_out(n) for n in names]
    assert held == [is_held_out(n) for n in reversed(names)][::-1]  # order-independent
    assert 0.13 < sum(held) / len(held) < 0.17


def write_utkface(folder, count):
    """Bright faces are 'female', dark ones 'male'; the age is the size of a square."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    for i in range(count):
        age, female = 10 + (i * 7) % 70, i % 2
        pixels = rng.integers(0, 40, (64, 64, 3)) + (150 if female else 40)
        side = 8 + age // 3
        pixels[:side, :side] = 255
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(folder / f"{age}_{female}_0_2017{i:013d}.jpg")
    Image.new("RGB", (64, 64)).save(folder / "61_1_20170109142408075.jpg")  # no race field
    return folder


def test_train_save_load_predict(tmp_path):
    faces, skipped = load_labelled(write_utkface(tmp_path / "utk", 120))
    assert skipped == 1 and len(faces.age) == 120
    assert 0 < faces.held_out.sum() < 120
    model = train_predictor(faces, epochs=3, batch_size=16, lr=3e-3,
                            config=PredictorConfig(widths=(8, 16), convs=(1, 1)), log=lambda _: None)
    held = scores(model, faces.split(held_out=True))
    assert held["gender_accuracy"] > 0.8  # brightness separates the toy genders
    path = tmp_path / "p.safetensors"
    save_predictor(model, path, {"held_out": held})
    loaded, meta = load_predictor(path)
    assert meta["held_out"] == held and tuple(meta["config"]["widths"]) == (8, 16)
    a, b = predict(model, faces.images[:5]), predict(loaded, faces.images[:5])
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_a_generator_file_is_not_a_predictor(tmp_path):
    from facegan.export import export_generator
    from facegan.models import Generator, ModelConfig

    export_generator(Generator(ModelConfig(ngf=8, image_size=32)), tmp_path / "g.safetensors", {})
    with pytest.raises(CheckpointError, match="not a FaceGAN attribute predictor"):
        load_predictor(tmp_path / "g.safetensors")


@pytest.mark.parametrize("args, message", [
    (["train", "--data", "MISSING"], "data folder not found"),
    (["train", "--data", "DATA", "--out", "p.pt"], "must end in .safetensors"),
    (["train", "--data", "DATA", "--epochs", "0"], "at least 1"),
    (["evaluate", "--data", "DATA", "--predictor", "none.safetensors"], "predictor not found"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    data = write_utkface(tmp_path / "utk", 4)
    args = [str(data) if a == "DATA" else str(tmp_path / a) if a in ("MISSING", "p.pt", "none.safetensors") else a
            for a in args]
    assert cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
