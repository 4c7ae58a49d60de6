"""What only a GPU can show: bf16 autocast on CUDA, torch.compile, the GPU-resident data path."""

import pytest
import torch

import train
from facegan.data import ImageBank
from facegan.export import load_generator
from tests.conftest import TINY

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.mark.parametrize("mode", ["dcgan", "wgan", "wgan-gp"])
def test_modes_train_on_cuda(tmp_path, image_folder, mode):
    out, export = tmp_path / "run", tmp_path / "g.safetensors"
    assert train.cli(["--mode", mode, "--data", str(image_folder), "--device", "cuda", "--steps", "3",
                      "--out", str(out), "--export", str(export), "--eval-every", "0", *TINY]) == 0
    generator, meta = load_generator(export)
    assert "cpu" not in meta["device"] and torch.isfinite(generator(torch.randn(2, 100))).all()


def test_compile_on_cuda(tmp_path, image_folder):
    assert train.cli(["--data", str(image_folder), "--device", "cuda", "--steps", "3", "--compile",
                      "--out", str(tmp_path / "run"), "--export", str(tmp_path / "g.safetensors"),
                      "--eval-every", "0", *TINY]) == 0


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
