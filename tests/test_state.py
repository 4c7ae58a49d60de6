"""The resumable state in safetensors parts: bounded sizes, exact round trip, exact resume, clear errors."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from facegan import state as state_parts
from facegan import train
from facegan.data import ImageBank
from facegan.state import HEADER_ROOM, INDEX, PARTS_DIR, STATE_FILE, StateError, load_parts, save_parts
from facegan.training import TrainConfig, Trainer
from tests.conftest import TINY

ROOT = Path(__file__).resolve().parents[1]


def flat(tree, prefix=""):
    """Every leaf of a nested state dict under a path-like name."""
    if isinstance(tree, dict):
        return {k: v for key, value in tree.items() for k, v in flat(value, f"{prefix}/{key}").items()}
    if isinstance(tree, (list, tuple)):
        return {k: v for i, value in enumerate(tree) for k, v in flat(value, f"{prefix}/{i}").items()}
    return {prefix: tree}


def assert_same_state(a, b):
    a, b = flat(a), flat(b)
    assert a.keys() == b.keys()
    for name, x in a.items():
        if torch.is_tensor(x):
            assert x.dtype == b[name].dtype and torch.equal(x, b[name]), name
        elif name.endswith("/config"):
            assert TrainConfig.from_json(x) == TrainConfig.from_json(b[name])
        else:
            assert x == b[name], name


def test_a_full_size_state_splits_into_parts_that_fit_the_gpu_transfer(tmp_path):
    """Real model size (64 px, ngf=ndf=64, Adam): parts ≤ 15 MiB, so the index and any 4 parts fit one
    64 MiB transfer and the rest a second one; seven 8 MiB tensors (the 256↔512 convolutions, their EMA
    and Adam moments) make it 7 parts."""
    bank = ImageBank(torch.randint(0, 256, (16, 3, 64, 64), dtype=torch.uint8), 8, 0, torch.device("cpu"))
    trainer = Trainer(TrainConfig.for_mode("wgan-gp", batch_size=8, amp=False), bank, torch.device("cpu"))
    trainer.train_step()
    state = trainer.state_dict()
    files = save_parts(state, tmp_path / "parts")
    sizes = [f.stat().st_size for f in files]
    assert files[0].name == INDEX and sizes[0] < 100_000
    assert max(sizes[1:]) <= 15 << 20 and sum(sizes) > 80e6  # ~86 MiB: G, D, EMA and two Adam moments, fp32
    assert len(files) - 1 == 7
    assert_same_state(load_parts(tmp_path / "parts"), state)


def test_tensors_larger_than_a_part_are_chunked_and_rebuilt(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--steps", "2") == 0
    state = torch.load(tmp_path / "run" / STATE_FILE, weights_only=True)
    files = save_parts(state, tmp_path / "parts", max_bytes=HEADER_ROOM + 4096)
    assert all(f.stat().st_size <= HEADER_ROOM + 4096 for f in files[1:]) and len(files) > 10
    assert_same_state(load_parts(tmp_path / "parts"), state)
    # A second, coarser save into the same folder leaves no stale parts behind.
    assert len(save_parts(state, tmp_path / "parts")) == 2
    assert len(list((tmp_path / "parts").glob("part-*"))) == 1


def run(tmp_path, data, *args, name="run"):
    """A CPU run even on a GPU machine: these tests are about the file format, compared bit for bit."""
    return train.cli(["--data", str(data), "--out", str(tmp_path / name), "--device", "cpu",
                      "--export", str(tmp_path / f"{name}.safetensors"), *TINY, *args])


def test_resume_from_parts_equals_uninterrupted(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--mode", "wgan-gp", "--steps", "4", "--checkpoint-every", "100",
               name="whole") == 0
    assert run(tmp_path, image_folder, "--mode", "wgan-gp", "--steps", "2", name="split") == 0
    split = tmp_path / "split"
    state = torch.load(split / STATE_FILE, weights_only=True)
    save_parts(state, split / PARTS_DIR, max_bytes=HEADER_ROOM + 20_000)  # several parts, some tensors chunked
    (split / STATE_FILE).unlink()  # as on a fresh GPU machine that was sent only the parts
    assert train.cli(["--resume", "--steps", "4", "--out", str(split), "--device", "cpu", "--export",
                      str(tmp_path / "split.safetensors"), "--no-progress"]) == 0
    whole, resumed = (torch.load(p / STATE_FILE, weights_only=True) for p in (tmp_path / "whole", split))
    assert resumed["step"] == whole["step"] == 4
    for net in ("G", "D", "G_ema"):
        for name, tensor in whole[net].items():
            assert torch.equal(tensor, resumed[net][name]), f"{net}.{name} differs after resuming from parts"


def test_resume_takes_whichever_state_is_further_along(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--steps", "2") == 0
    out = tmp_path / "run"
    assert state_parts.main(["split", str(out)]) == 0
    assert run(tmp_path, image_folder, "--steps", "3", "--resume") == 0  # from state.pt (tie: 2 and 2)
    assert state_parts.load_run_state(out, torch.device("cpu"))["step"] == 3  # state.pt now ahead of the parts


def test_a_missing_or_damaged_part_is_one_line_and_exit_2(tmp_path, image_folder, capsys):
    assert run(tmp_path, image_folder, "--steps", "1") == 0
    out = tmp_path / "run"
    files = save_parts(torch.load(out / STATE_FILE, weights_only=True), out / PARTS_DIR, max_bytes=HEADER_ROOM + 20_000)
    (out / STATE_FILE).unlink()
    files[2].write_bytes(files[2].read_bytes()[:-1] + b"\x00")
    capsys.readouterr()
    assert run(tmp_path, image_folder, "--steps", "2", "--resume") == 2
    err = capsys.readouterr().err.strip()
    assert "damaged or from another save" in err and len(err.splitlines()) == 1
    files[2].unlink()
    assert run(tmp_path, image_folder, "--steps", "2", "--resume") == 2
    assert f"is missing: bring all {len(files) - 1} parts" in capsys.readouterr().err
    with pytest.raises(StateError, match="is missing"):
        load_parts(out / PARTS_DIR)


def test_split_command_line(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--steps", "1") == 0
    command = [sys.executable, "-m", "facegan.state", "split"]
    result = subprocess.run([*command, str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    parts = tmp_path / "run" / PARTS_DIR
    assert (parts / INDEX).is_file() and "part-1-of-1.safetensors" in result.stdout
    result = subprocess.run([*command, str(tmp_path / "nothing")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"python -m facegan.state: error: no {STATE_FILE} or {PARTS_DIR}/ in "
                                     f"{tmp_path / 'nothing'} to continue from")
    # Parts re-split to another size (larger ones, say, for an upload with no per-file cap) hold the same state.
    (tmp_path / "run" / STATE_FILE).unlink()
    assert state_parts.main(["split", str(tmp_path / "run"), "--to", str(tmp_path / "again"), "--max-mib", "2"]) == 0
    assert_same_state(load_parts(tmp_path / "again"), load_parts(parts))
