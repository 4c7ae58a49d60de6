"""What only a GPU can show: bf16 on CUDA, the opt-in CUDA-graph step (--cuda-graph, experimental until
these tests pass on a GPU), the --compile refusal, GPU-resident data."""

import json

import pytest
import torch

from facegan import train, training
from facegan.data import ImageBank
from facegan.export import load_generator
from facegan.state import STATE_FILE
from tests.conftest import TINY

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.mark.parametrize("mode", ["dcgan", "wgan", "wgan-gp"])
def test_modes_train_on_cuda(tmp_path, image_folder, mode):
    out, export = tmp_path / "run", tmp_path / "g.safetensors"
    assert train.cli(["--mode", mode, "--data", str(image_folder), "--device", "cuda", "--steps", "3",
                      "--out", str(out), "--export", str(export), "--eval-every", "0", *TINY]) == 0
    generator, meta = load_generator(export)
    assert "cpu" not in meta["device"] and torch.isfinite(generator(torch.randn(2, 100))).all()


def test_compile_is_refused_on_cuda(tmp_path, image_folder, capsys):
    assert train.cli(["--data", str(image_folder), "--device", "cuda", "--steps", "3", "--compile",
                      "--out", str(tmp_path / "run"), "--export", str(tmp_path / "g.safetensors"),
                      "--eval-every", "0", *TINY]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"train.py: error: {train.COMPILE_ON_CUDA}"
    assert not (tmp_path / "run").exists()


def test_image_bank_lives_on_the_gpu():
    bank = ImageBank(torch.randint(0, 256, (20, 3, 8, 8), dtype=torch.uint8), 4, 0, torch.device("cuda"))
    batch = bank.batch(7)
    assert batch.is_cuda and batch.shape == (4, 3, 8, 8) and batch.abs().max() <= 1


def test_resume_on_cuda(tmp_path, image_folder):
    # torch.load(map_location="cuda") moves the saved CPU RNG state to the GPU; resume must cope.
    args = ["--data", str(image_folder), "--device", "cuda", "--out", str(tmp_path / "run"),
            "--export", str(tmp_path / "g.safetensors"), "--eval-every", "0", *TINY]
    assert train.cli([*args, "--steps", "2"]) == 0
    assert train.cli([*args, "--steps", "4", "--resume"]) == 0
    assert load_generator(tmp_path / "g.safetensors")[1]["steps"] == 4


def cuda_run(tmp_path, data, name, *args):
    return train.cli(["--data", str(data), "--device", "cuda", "--out", str(tmp_path / name),
                      "--export", str(tmp_path / f"{name}.safetensors"), "--eval-every", "0", *TINY, *args])


def assert_close_weights(path_a, path_b):
    """G, D and the EMA agree within bf16 rounding (cuDNN may pick other kernels in another run)."""
    a, b = (torch.load(p / STATE_FILE, weights_only=True) for p in (path_a, path_b))
    assert a["step"] == b["step"] and a["batches"] == b["batches"]
    for net in ("G", "D", "G_ema"):
        for name, x in a[net].items():
            y = b[net][name]
            if x.is_floating_point():
                assert (x - y).abs().max() <= 2e-2 * x.abs().max() + 1e-6, f"{net}.{name}"
            else:
                assert torch.equal(x, y), f"{net}.{name}"


@pytest.mark.parametrize("mode, extra", [("dcgan", []), ("wgan", []), ("wgan-gp", []),
                                         ("wgan", ["--critic-warmup"])])  # its 100-critic steps run eagerly
def test_graphed_steps_match_eager_steps(tmp_path, image_folder, capsys, mode, extra):
    steps = ["--steps", "30" if extra else "8"]  # 3 eager warm-up steps, a capture, then replays
    assert cuda_run(tmp_path, image_folder, "eager", "--mode", mode, *steps, *extra) == 0
    assert "CUDA-graph step" not in capsys.readouterr().err  # the default: the eager step
    assert cuda_run(tmp_path, image_folder, "graphed", "--mode", mode, *steps, *extra, "--cuda-graph") == 0
    err = capsys.readouterr().err
    assert "CUDA-graph step (experimental)" in err and "capture failed" not in err, err
    assert json.loads(torch.load(tmp_path / "graphed" / STATE_FILE, weights_only=True)["config"])["cuda_graph"]
    assert_close_weights(tmp_path / "eager", tmp_path / "graphed")


def test_resume_of_a_graphed_run(tmp_path, image_folder, capsys):
    assert cuda_run(tmp_path, image_folder, "whole", "--mode", "wgan-gp", "--steps", "10", "--cuda-graph") == 0
    assert cuda_run(tmp_path, image_folder, "split", "--mode", "wgan-gp", "--steps", "5", "--cuda-graph") == 0
    capsys.readouterr()
    assert cuda_run(tmp_path, image_folder, "split", "--steps", "10", "--resume") == 0  # keeps its --cuda-graph
    err = capsys.readouterr().err
    assert "CUDA-graph step (experimental)" in err and "capture failed" not in err, err
    assert_close_weights(tmp_path / "whole", tmp_path / "split")


def test_a_failed_capture_falls_back_to_the_eager_step(tmp_path, image_folder, capsys, monkeypatch):
    real_loss = training.discriminator_loss

    def syncing_loss(*args):  # a host sync, which no CUDA graph can hold
        loss = real_loss(*args)
        if torch.cuda.is_current_stream_capturing():
            loss.item()
        return loss

    monkeypatch.setattr(training, "discriminator_loss", syncing_loss)
    assert cuda_run(tmp_path, image_folder, "run", "--steps", "6", "--cuda-graph") == 0
    fallbacks = [line for line in capsys.readouterr().err.splitlines() if "CUDA graph capture failed" in line]
    assert len(fallbacks) == 1 and "eager step" in fallbacks[0]
    assert load_generator(tmp_path / "run.safetensors")[1]["steps"] == 6
