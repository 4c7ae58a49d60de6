import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from facegan import train
from facegan.export import load_generator
from facegan.metrics import inception_available
from facegan.state import STATE_FILE
from tests.conftest import TINY

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path, data, *args, name="run"):
    return train.cli(["--data", str(data), "--out", str(tmp_path / name),
                      "--export", str(tmp_path / f"{name}.safetensors"), *TINY, *args])


def load_state(path):
    return torch.load(path, weights_only=True)


@pytest.mark.parametrize("fast, flags, amp", [(False, [], False), (True, [], True), (True, ["--no-amp"], False)])
def test_bf16_autocast_only_where_it_is_fast(tmp_path, image_folder, monkeypatch, capsys, fast, flags, amp):
    """On a CPU without bf16 units, bf16 autocast ran ~10× slower than fp32: such CPUs train in fp32 unless told."""
    monkeypatch.setattr(train, "bf16_is_fast", lambda device: fast)
    assert run(tmp_path, image_folder, "--steps", "1", *flags) == 0
    _, meta = load_generator(tmp_path / "run.safetensors")
    assert meta["train_config"]["amp"] is amp
    assert ("no bf16 units" in capsys.readouterr().err) is (not fast and not flags)


@pytest.mark.parametrize("mode", ["dcgan", "wgan", "wgan-gp"])
def test_each_mode_trains_and_exports(tmp_path, image_folder, mode):
    assert run(tmp_path, image_folder, "--mode", mode, "--steps", "3", "--log-every", "1") == 0
    out = tmp_path / "run"
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    per_step = 1 if mode == "dcgan" else 5
    assert rows[-1]["images_seen"] == 3 * per_step * 8
    assert all(torch.isfinite(torch.tensor([r["loss_d"], r["loss_g"], r["wasserstein"]])).all() for r in rows)
    assert {"samples_final.png", "curves.png", STATE_FILE} <= {p.name for p in out.iterdir()}
    generator, meta = load_generator(tmp_path / "run.safetensors")
    assert meta["mode"] == mode and meta["steps"] == 3 and meta["dataset_size"] == 40
    assert meta["model"]["image_size"] == 32
    assert meta["model"]["critic_norm"] == ("layer" if mode == "wgan-gp" else "batch")
    assert generator(torch.randn(2, 100)).shape == (2, 3, 32, 32)


def test_wgan_critic_weights_stay_clipped(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--mode", "wgan", "--steps", "2", "--clip", "0.02") == 0
    critic = load_state(tmp_path / "run" / STATE_FILE)["D"]
    weights = [t for name, t in critic.items() if t.is_floating_point() and "running" not in name]
    assert max(t.abs().max().item() for t in weights) <= 0.02
    assert max(t.abs().max().item() for t in weights) > 0.019  # the clip is actually reached


def test_critic_warmup_uses_100_critic_steps(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--mode", "wgan", "--steps", "1", "--critic-warmup") == 0
    assert load_state(tmp_path / "run" / STATE_FILE)["batches"] == 100


def test_resume_equals_uninterrupted(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--steps", "6", "--checkpoint-every", "100", name="whole") == 0
    assert run(tmp_path, image_folder, "--steps", "3", name="split") == 0
    assert train.cli(["--resume", "--steps", "6", "--out", str(tmp_path / "split"),
                      "--export", str(tmp_path / "split.safetensors"), "--no-progress"]) == 0
    whole, split = load_state(tmp_path / "whole" / STATE_FILE), load_state(tmp_path / "split" / STATE_FILE)
    assert split["step"] == whole["step"] == 6
    for net in ("G", "D", "G_ema"):
        for name, tensor in whole[net].items():
            assert torch.equal(tensor, split[net][name]), f"{net}.{name} differs after resume"
    steps = [json.loads(line)["step"] for line in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps))


def test_export_round_trip_is_exact_in_fp32(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--steps", "2") == 0
    state = load_state(tmp_path / "run" / STATE_FILE)
    generator, _ = load_generator(tmp_path / "run.safetensors")
    for name, tensor in generator.state_dict().items():
        assert torch.equal(tensor, state["G_ema"][name]), name
    with safe_open(tmp_path / "run.safetensors", "pt") as f:
        assert f.get_tensor("main.0.weight").dtype == torch.float32


def test_fp16_export_is_half_size_and_close(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--steps", "2", "--export-dtype", "fp16") == 0
    g16, meta = load_generator(tmp_path / "run.safetensors")
    assert meta["dtype"] == "fp16"
    with safe_open(tmp_path / "run.safetensors", "pt") as f:
        assert f.get_tensor("main.0.weight").dtype == torch.float16
    g32 = load_state(tmp_path / "run" / STATE_FILE)["G_ema"]
    assert all((g16.state_dict()[k].float() - v.float()).abs().max() < 1e-3 for k, v in g32.items())


def test_epochs_sets_the_length(tmp_path, image_folder):
    # 40 images, batch 8 → 5 batches an epoch; wgan uses 5 per generator step → 2 epochs = 2 steps.
    assert run(tmp_path, image_folder, "--mode", "wgan", "--epochs", "2") == 0
    assert load_state(tmp_path / "run" / STATE_FILE)["step"] == 2


def test_existing_run_is_not_overwritten(tmp_path, image_folder, capsys):
    assert run(tmp_path, image_folder, "--steps", "1") == 0
    before = (tmp_path / "run" / STATE_FILE).read_bytes()
    assert run(tmp_path, image_folder, "--steps", "1") == 2
    assert "already holds a run" in capsys.readouterr().err
    assert (tmp_path / "run" / STATE_FILE).read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (["--data", "{tmp}/nowhere"], "data folder not found"),
    (["--data", "{tmp}/empty"], "no images in"),
    (["--steps", "-3"], "must be a positive number"),
    (["--steps", "2", "--epochs", "1"], "not allowed with argument"),
    (["--mode", "gan"], "invalid choice"),
    (["--image-size", "48"], "invalid choice"),
    (["--export", "{tmp}/g.pt"], "must end in .safetensors"),
    (["--batch-size", "64"], "larger than the data set"),
    (["--resume", "--out", "{tmp}/none"], "no state.pt"),
    (["--lr", "nan"], "must be a positive number"),
    (["--eval-every", "5", "--eval-num", "3"], "--eval-num must be at least 6"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, image_folder, capsys, args, message):
    (tmp_path / "empty").mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code = train.cli(["--data", str(image_folder), "--out", str(tmp_path / "r"), *TINY, *args])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err and len(err.splitlines()) == 1, err


def test_no_data_argument_says_how_to_point_at_faces(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert train.cli(["--mode", "wgan"]) == 2
    assert "pass --data DIR" in capsys.readouterr().err


def subprocess_env(tmp_path):
    return {**os.environ, "FACEGAN_CACHE": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}


def test_command_line_exit_code(tmp_path):
    result = subprocess.run([sys.executable, "train.py", "--data", str(tmp_path / "nowhere")],
                            cwd=ROOT, capture_output=True, text=True, env=subprocess_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"train.py: error: data folder not found: {tmp_path / 'nowhere'}"


def test_sigterm_saves_a_resumable_state(tmp_path, image_folder):
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "train.py", "--data", str(image_folder), "--out", str(out), "--export",
         str(tmp_path / "g.safetensors"), *TINY, "--steps", "100000", "--log-every", "1"],
        cwd=ROOT, env=subprocess_env(tmp_path), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / "metrics.jsonl").exists() or not (out / "metrics.jsonl").read_text():
        assert time.time() < deadline and proc.poll() is None, "training never started"
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err
    state = load_state(out / STATE_FILE)
    assert 0 < state["step"] < 100000
    assert load_generator(tmp_path / "g.safetensors")[1]["steps"] == state["step"]


@pytest.mark.skipif(not inception_available(), reason="Inception weights not installed")
def test_eval_every_logs_fid_and_keeps_the_best_generator(tmp_path, image_folder):
    assert run(tmp_path, image_folder, "--steps", "4", "--eval-every", "2", "--eval-num", "12") == 0
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    fids = [r for r in rows if "fid" in r]
    assert [r["step"] for r in fids] == [2, 4]
    best = load_generator(tmp_path / "run" / "best.safetensors")[1]
    assert best["metrics"]["fid"] == min(r["fid"] for r in fids) and best["metrics"]["num"] == 12
    assert all(0 <= r[key] <= 1 for r in fids for key in ("precision", "recall", "coverage"))  # rows carry all six
    best_row = min(fids, key=lambda r: r["fid"])
    assert best["prdc"]["precision"] == best_row["precision"] and best["prdc"]["num"] == 12


def test_export_writes_a_training_record_for_the_app(tmp_path, image_folder):
    from PIL import Image
    assert run(tmp_path, image_folder, "--steps", "8", "--sample-every", "1", "--log-every", "1") == 0
    rows = [json.loads(line) for line in (tmp_path / "run.metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, 9))
    grids = sorted((tmp_path / "run.progress").glob("step_*.png"))
    assert len(grids) == 6 and grids[-1].name == "step_0000008.png"
    assert Image.open(grids[0]).size == (4 * 34 + 2, 4 * 34 + 2)  # 4×4 faces of 32 px, 2 px padding


def test_training_record_of_a_dotted_export_name_is_found_by_the_app(tmp_path, image_folder):
    from facegan.ui.gallery import Gallery
    assert train.cli(["--data", str(image_folder), "--out", str(tmp_path / "run"), "--export",
                      str(tmp_path / "faces.v2.safetensors"), *TINY, "--steps", "2", "--sample-every", "1"]) == 0
    assert (tmp_path / "faces.v2.metrics.jsonl").exists()
    entry = Gallery([tmp_path]).models["faces.v2"]
    assert entry.curves is not None and len(entry.progress) == 2


def test_downsample_keeps_evaluations_and_averages_the_rest():
    from facegan.stats import downsample
    rows = [{"step": s, "images_seen": s * 8, "loss_d": float(s), "loss_g": 0.0} for s in range(1, 1001)]
    rows.insert(500, {"step": 500, "images_seen": 4000, "fid": 42.0})
    out = downsample(rows, max_rows=100)
    assert len([r for r in out if "loss_d" in r]) == 100 and [r["fid"] for r in out if "fid" in r] == [42.0]
    assert out[0]["loss_d"] == sum(range(1, 11)) / 10 and out[-1]["step"] == 1000
