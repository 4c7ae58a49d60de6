"""torchrun with 2 CPU processes (gloo): the same train.py, data-parallel."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from facegan import train
from facegan.export import load_generator
from facegan.state import STATE_FILE
from tests.conftest import TINY, free_port

ROOT = Path(__file__).resolve().parents[1]


def torchrun(tmp_path, *args, name="two", wait=True):
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={free_port()}",
               "train.py", "--out", str(tmp_path / name), "--export", str(tmp_path / f"{name}.safetensors"),
               "--eval-every", "0", *TINY, *args]
    env = {**os.environ, "FACEGAN_CACHE": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    if not wait:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def state(tmp_path, name):
    return torch.load(tmp_path / name / STATE_FILE, weights_only=True)


@pytest.mark.parametrize("mode", ["dcgan", "wgan", "wgan-gp"])
def test_two_ranks_train_each_mode_and_stay_identical(tmp_path, image_folder, mode):
    result = torchrun(tmp_path, "--data", str(image_folder), "--mode", mode, "--steps", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "global batch 16 = 8 per rank × 2 ranks" in result.stderr
    assert "weights identical on all 2 ranks" in result.stderr  # checked by a collective on every tensor
    _, meta = load_generator(tmp_path / "two.safetensors")
    assert meta["ranks"] == 2 and meta["batch_size"] == 16 and meta["steps"] == 3
    per_step = 1 if mode == "dcgan" else 5
    assert meta["images_seen"] == 3 * per_step * 16


@pytest.mark.parametrize("mode", ["dcgan", "wgan-gp"])  # wgan-gp: the penalty's double backward under DDP
def test_two_ranks_of_batch_b_match_one_process_of_batch_2b(tmp_path, image_folder, mode):
    common = ["--data", str(image_folder), "--mode", mode, "--steps", "3", "--no-amp",
              "--generator-norm", "none", "--critic-norm", "layer"]  # BatchNorm-free: exact equivalence
    single = [*common, "--out", str(tmp_path / "one"), "--export", str(tmp_path / "one.safetensors"),
              "--eval-every", "0", *TINY, "--batch-size", "16"]
    assert train.cli(single) == 0
    result = torchrun(tmp_path, *common)
    assert result.returncode == 0, result.stderr[-3000:]
    one, two = state(tmp_path, "one"), state(tmp_path, "two")
    for net in ("G", "D"):
        for key, a in one[net].items():
            b = two[net][key]
            assert (a - b).abs().max() <= 1e-4 * a.abs().max() + 1e-7, f"{net}.{key}"


def test_distributed_resume(tmp_path, image_folder):
    assert torchrun(tmp_path, "--data", str(image_folder), "--steps", "2").returncode == 0
    result = torchrun(tmp_path, "--resume", "--steps", "4")
    assert result.returncode == 0, result.stderr[-3000:]
    assert state(tmp_path, "two")["step"] == 4


def test_sigterm_to_one_rank_stops_both_with_a_consistent_state(tmp_path, image_folder):
    proc = torchrun(tmp_path, "--data", str(image_folder), "--steps", "100000", "--log-every", "1", wait=False)
    metrics = tmp_path / "two" / "metrics.jsonl"
    deadline = time.time() + 120
    while not (metrics.exists() and metrics.read_text()):
        assert time.time() < deadline and proc.poll() is None, "training never started"
        time.sleep(0.2)
    rank1 = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _is_rank(p, proc.pid, "1")]
    assert len(rank1) == 1
    os.kill(int(rank1[0].name), signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert "continue with --resume" in err, err[-3000:]
    saved = state(tmp_path, "two")
    assert 0 < saved["step"] < 100000 and saved["step"] % 10 == 0  # all ranks stopped at the same check
    assert load_generator(tmp_path / "two.safetensors")[1]["steps"] == saved["step"]


def _is_rank(proc_dir: Path, agent_pid: int, rank: str) -> bool:
    try:
        stat = (proc_dir / "stat").read_text()
        environ = (proc_dir / "environ").read_bytes().split(b"\0")
    except OSError:
        return False
    parent = int(stat.rsplit(")", 1)[1].split()[1])
    return parent == agent_pid and f"RANK={rank}".encode() in environ


def test_sync_bn_on_cpu_is_a_clear_error(tmp_path, image_folder):
    result = torchrun(tmp_path, "--data", str(image_folder), "--steps", "2", "--sync-bn")
    assert result.returncode != 0 and "--sync-bn needs torchrun on CUDA" in result.stderr
