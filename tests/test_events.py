"""A run as TensorBoard and the Runs tab read it: its events, its metrics read incrementally, and the files a kill
leaves behind."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from facegan import train
from facegan.events import GRID_TAG, TAGS, RunEvents
from facegan.record import snapshots
from facegan.stats import MetricsLog, MetricsReader, read_metrics
from tests.conftest import TINY
from tests.test_training import ROOT, subprocess_env

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def events_of(folder) -> "event_accumulator.EventAccumulator":
    """TensorBoard's own reader over a run folder, keeping every event."""
    reader = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    reader.Reload()
    return reader


def steps(reader, tag: str) -> list[int]:
    return [event.step for event in reader.Scalars(tag)]


def train_tiny(tmp_path, data, *args, name="run"):
    return train.cli(["--data", str(data), "--out", str(tmp_path / name), "--export",
                      str(tmp_path / f"{name}.safetensors"), *TINY, *args])


def test_tensorboard_reads_every_curve_grid_and_the_recipe_of_a_run(tmp_path, image_folder):
    assert train_tiny(tmp_path, image_folder, "--steps", "200", "--log-every", "10", "--sample-every", "50") == 0
    out = tmp_path / "run"
    rows = read_metrics(out / "metrics.jsonl")
    reader = events_of(out)
    logged = {key for row in rows for key in row if key in TAGS}
    assert {"loss_d", "loss_g", "d_real", "d_fake", "wasserstein", "images_per_s"} <= logged
    assert set(reader.Tags()["scalars"]) == {TAGS[key] for key in logged}
    for key in logged:
        events = reader.Scalars(TAGS[key])
        assert [e.step for e in events] == [r["step"] for r in rows]
        assert [e.value for e in events] == pytest.approx([r[key] for r in rows], rel=1e-6)
    grids = reader.Images(GRID_TAG)
    assert [g.step for g in grids] == [step for _, step in snapshots(out)] == [50, 100, 150, 200]
    assert (grids[0].width, grids[0].height) == (8 * 34 + 2, 8 * 34 + 2)  # the PNGs' 8×8 grid of 32 px faces
    recipe = reader.Tensors("recipe/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "| mode | dcgan |" in recipe and "| model.image_size | 32 |" in recipe
    assert json.loads((out / "config.json").read_text())["steps"] == 200


def test_scores_go_to_their_own_section(tmp_path):
    events = RunEvents(tmp_path, {"mode": "wgan"}, 0, resumed=False)
    events.scalars({"step": 4, "images_seen": 32, "fid": 80.5, "kid": 0.07, "kid_std": 0.01, "precision": 0.5,
                    "recall": 0.25, "density": 0.4, "coverage": 0.3, "num": 50, "reference": "faces"})
    events.close()
    scalars = events_of(tmp_path).Tags()["scalars"]
    assert set(scalars) == {"progress/images_seen", *(f"scores/{k}" for k in
                                                      ("fid", "kid", "kid_std", "precision", "recall", "density",
                                                       "coverage"))}


def test_a_resumed_run_continues_the_stream_without_repeating_a_step(tmp_path, image_folder):
    assert train_tiny(tmp_path, image_folder, "--steps", "4", "--log-every", "1", "--sample-every", "2") == 0
    out = tmp_path / "run"
    # A kill after the state at step 4 was saved: events and rows of steps 5-6 that the resumed run will redo.
    stale = RunEvents(out, {}, 4, resumed=False)
    for step in (5, 6):
        stale.scalars({"step": step, "loss_d": 999.0})
        stale.grid(torch.zeros(3, 8, 8, dtype=torch.uint8), step)
    stale.close()
    log = MetricsLog(out / "metrics.jsonl", resume_step=10**9)
    log.append({"step": 5, "loss_d": 999.0})
    time.sleep(1.1)  # TensorBoard orders event files by name, which starts with the second they were opened in
    assert train.cli(["--resume", "--steps", "8", "--out", str(out), "--export", str(tmp_path / "run.safetensors"),
                      "--no-progress"]) == 0
    reader = events_of(out)
    assert steps(reader, "train/loss_d") == [1, 2, 3, 4, 5, 6, 7, 8]
    assert 999.0 not in [e.value for e in reader.Scalars("train/loss_d")]
    assert [g.step for g in reader.Images(GRID_TAG)] == [2, 4, 6, 8]
    assert [r["step"] for r in read_metrics(out / "metrics.jsonl")] == list(range(1, 9))


def test_no_events_writes_none(tmp_path, image_folder):
    assert train_tiny(tmp_path, image_folder, "--steps", "2", "--no-events") == 0
    assert not list((tmp_path / "run").glob("events.out.tfevents.*"))
    assert (tmp_path / "run" / "metrics.jsonl").exists()


def test_an_event_file_cut_mid_record_reads_to_its_last_whole_record(tmp_path):
    events = RunEvents(tmp_path, {}, 0, resumed=False)
    for step in range(1, 21):
        events.scalars({"step": step, "loss_d": float(step)})
    events.close()
    (path,) = tmp_path.glob("events.out.tfevents.*")
    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # the last scalar's record, cut short
    assert steps(events_of(tmp_path), "train/loss_d") == list(range(1, 20))


def rows_file(path, rows, tail: str = ""):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + tail)


def test_a_metrics_line_cut_mid_write_is_left_out_and_resume_drops_it(tmp_path):
    path = tmp_path / "metrics.jsonl"
    rows = [{"step": s, "loss_d": 1.0 / s} for s in (1, 2, 3)]
    rows_file(path, rows, tail='{"step": 4, "loss')
    reader = MetricsReader(path)
    assert reader.read() == rows and reader.partial
    assert read_metrics(path) == rows
    log = MetricsLog(path, resume_step=2)  # resuming from the state at step 2
    log.append({"step": 3, "loss_d": 0.5})
    assert read_metrics(path) == [*rows[:2], {"step": 3, "loss_d": 0.5}]
    assert path.read_text().endswith("}\n")


def test_a_second_read_parses_only_the_appended_bytes(tmp_path):
    path = tmp_path / "metrics.jsonl"
    rows = [{"step": s, "loss_d": float(s)} for s in range(1, 1001)]
    rows_file(path, rows, tail='{"step": 1001, "lo')
    reader = MetricsReader(path)
    assert len(reader.read()) == 1000
    # Overwrite the rows already read with garbage of the same length, in place: a reader that went back to the
    # start would choke on it.
    with open(path, "r+b") as f:
        f.write(b"x" * reader.offset)
        f.seek(0, os.SEEK_END)
        f.write(b'ss_d": 1001.0}\n{"step": 1002, "loss_d": 1002.0}\n')
    again = reader.read()
    assert [r["step"] for r in again[-3:]] == [1000, 1001, 1002] and not reader.partial


def test_a_replaced_or_shortened_file_is_read_again_from_its_start(tmp_path):
    path = tmp_path / "metrics.jsonl"
    rows_file(path, [{"step": s} for s in (1, 2, 3)])
    reader = MetricsReader(path)
    assert len(reader.read()) == 3
    MetricsLog(path, resume_step=1).append({"step": 2, "loss_d": 7.0})  # a resume replaces the file
    assert reader.read() == [{"step": 1}, {"step": 2, "loss_d": 7.0}]
    path.write_text('{"step": 9}\n')  # rewritten in place, shorter
    assert reader.read() == [{"step": 9}]


@pytest.mark.parametrize("line", ["not json", "[1, 2]", '{"loss_d": 0.5}', '{"step": 2, "loss_d": "high"}'])
def test_a_damaged_line_is_named_and_the_rows_before_it_stay(tmp_path, line):
    path = tmp_path / "metrics.jsonl"
    rows_file(path, [{"step": 1}], tail=f'\n{line}\n{{"step": 3}}\n')
    reader = MetricsReader(path)
    with pytest.raises(ValueError, match=r"metrics.jsonl, line 3: not a metrics record"):
        reader.read()
    assert reader.rows == [{"step": 1}]


def test_resuming_over_a_damaged_metrics_line_is_an_error_line_and_exit_2(tmp_path, image_folder, capsys):
    assert train_tiny(tmp_path, image_folder, "--steps", "2", "--log-every", "1") == 0
    with open(tmp_path / "run" / "metrics.jsonl", "a") as f:
        f.write("garbage\n")
    capsys.readouterr()
    code = train.cli(["--resume", "--steps", "4", "--out", str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "Traceback" not in err
    assert err.splitlines()[-1].endswith("metrics.jsonl, line 3: not a metrics record")


def test_a_run_killed_mid_write_resumes_and_still_reads(tmp_path, image_folder):
    """SIGKILL, no chance to clean up: the metrics and events read up to their last whole records, and --resume
    goes on from the saved state without a repeated step."""
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "train.py", "--data", str(image_folder), "--out", str(out), "--export",
         str(tmp_path / "g.safetensors"), *TINY, "--steps", "100000", "--log-every", "1", "--checkpoint-every", "5"],
        cwd=ROOT, env=subprocess_env(tmp_path), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / "state.pt").exists() or len(read_metrics(out / "metrics.jsonl")) < 8:
        assert time.time() < deadline and proc.poll() is None, "training never got going"
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    killed_at = read_metrics(out / "metrics.jsonl")[-1]["step"]
    events_of(out)  # whatever the kill left, TensorBoard's reader takes it
    saved = torch.load(out / "state.pt", weights_only=True)["step"]
    time.sleep(1.1)  # as a new process would: TensorBoard orders event files by the second they were opened in
    assert train.cli(["--resume", "--steps", str(killed_at + 2), "--out", str(out), "--export",
                      str(tmp_path / "g.safetensors"), "--no-progress"]) == 0
    logged = [r["step"] for r in read_metrics(out / "metrics.jsonl")]
    assert logged == list(range(1, killed_at + 3)) and saved <= killed_at
    streamed = steps(events_of(out), "train/loss_d")
    assert streamed == sorted(set(streamed)) and streamed[-(killed_at + 2 - saved):] == list(range(saved + 1,
                                                                                                   killed_at + 3))
