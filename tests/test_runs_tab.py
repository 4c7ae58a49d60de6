"""The Runs tab's handlers: a run read while it grows, and every state its files can be in said in words."""

import json
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from facegan.ui.gallery import Gallery
from facegan.ui.runs import REFRESH_S, Runs

ZH = SimpleNamespace(headers={"accept-language": "zh-CN,zh;q=0.9"})


def add_rows(run, steps, **extra):
    with open(run / "metrics.jsonl", "a") as f:
        for s in steps:
            f.write(json.dumps({"step": s, "images_seen": 8 * s, "loss_d": 1.0 / s, "loss_g": 2.0, "d_real": 0.7,
                                "d_fake": 0.3, "wasserstein": 0.4, "images_per_s": 50.0, "wall_time": s / 10,
                                **extra}) + "\n")


def add_grid(run, step):
    Image.new("RGB", (66, 66), (step % 256, 90, 140)).save(run / f"samples_{step:07d}.png")


def make_run(folder, name="live", steps=range(10, 301, 10), grids=(100, 200, 300), mode="dcgan"):
    run = folder / name
    run.mkdir(parents=True)
    add_rows(run, steps)
    for step in grids:
        add_grid(run, step)
    (run / "config.json").write_text(json.dumps({"mode": mode, "steps": 1000, "batch_size": 8, "data": "faces",
                                                 "optimizer": "adam", "lr_g": 2e-4, "model": {
                                                     "nz": 100, "ngf": 8, "ndf": 8, "image_size": 32,
                                                     "critic_norm": "batch"}}))
    return run


@pytest.fixture(scope="module")
def gallery(tiny_checkpoints):
    return Gallery([tiny_checkpoints])


@pytest.fixture
def runs(tmp_path, gallery):
    make_run(tmp_path / "runs")
    (tmp_path / "runs" / "notes").mkdir()  # a folder that is not a run
    return Runs(tmp_path / "runs", gallery)


def skipped(value) -> bool:
    return isinstance(value, dict) and value == {"__type__": "update"}


def test_the_runs_are_listed_and_the_page_opens_on_the_newest(runs):
    older = make_run(runs.root, "older", grids=())
    os.utime(older / "metrics.jsonl", (1, 1))
    os.utime(older / "config.json", (1, 1))
    assert runs.names() == ["live", "older"]
    dropdown, listed = runs.listing(None, None)
    assert dropdown.value == "live" and listed == ["live", "older"]
    assert all(skipped(v) for v in runs.listing("live", listed))  # nothing new: nothing sent


def test_a_training_run_shows_its_curves_grid_recipe_and_state(runs):
    status, curves, grid, timeline, note, scores, recipe, seen = runs.show("live", None, None)
    assert "🟢 training" in status and "step 300 of 1,000" in status and "2,400 real images" in status
    assert curves.width > 800 and grid.size == (66, 66) and grid.getpixel((0, 0)) == (300 % 256, 90, 140)
    assert timeline.maximum == 2 and timeline.value == 2 and note == "Step 300 · grid 3 of 3"
    assert "No scores measured yet" in scores
    assert "| mode | dcgan |" in recipe and "nz=100, ngf=8, ndf=8, 32×32" in recipe and "lr_g=0.0002" in recipe
    zh = runs.show("live", None, None, ZH)
    assert "训练中" in zh[0] and "第 300 / 1,000 步" in zh[0] and zh[4] == "第 300 步 · 第 3 个网格，共 3 个"


def test_the_page_follows_a_growing_run_and_sends_nothing_unchanged(runs):
    run = runs.root / "live"
    first = runs.show("live", None, None)
    again = runs.show("live", 2, first[-1])
    assert all(skipped(v) for v in again[1:7]) and "step 300" in again[0]  # the status line is always sent
    add_rows(run, [310, 320])
    add_grid(run, 320)
    grown = runs.show("live", 2, first[-1])
    assert "step 320" in grown[0] and grown[3].value == 3 and grown[4] == "Step 320 · grid 4 of 4"
    add_grid(run, 330)
    back = runs.show("live", 0, grown[-1])  # moved back along the timeline: it stays there
    assert back[3].value == 0 and back[4] == "Step 100 · grid 1 of 5"
    assert runs.moment("live", 1)[1] == "Step 200 · grid 2 of 5"


def test_each_tick_reads_only_what_was_appended(runs):
    run = runs.root / "live"
    runs.show("live", None, None)
    reader = runs._folder("live").metrics
    with open(run / "metrics.jsonl", "r+b") as f:  # garbage over what was read: read again, it would be an error
        f.write(b"x" * reader.offset)
    add_rows(run, [310])
    status = runs.show("live", None, None)[0]
    assert "step 310" in status and "⚠️" not in status


def test_the_shipped_generators_are_references_scores_for_all_losses_for_the_same_mode(runs):
    references = runs.references("dcgan")
    assert references["dcgan"]["loss_d"] == pytest.approx(0.2) and references["dcgan"]["fid"] == 99.5
    assert references["wgan"] == {"fid": 99.5, "kid": 0.1}


def test_scores_show_when_measured(runs):
    with open(runs.root / "live" / "metrics.jsonl", "a") as f:  # as the trainer logs a measurement
        f.write(json.dumps({"step": 400, "images_seen": 3200, "fid": 81.25, "kid": 0.0625, "kid_std": 0.01,
                            "precision": 0.5, "recall": 0.25, "density": 0.75, "coverage": 0.5, "num": 50,
                            "reference": "faces", "reference_size": 40}) + "\n")
    scores = runs.show("live", None, None)[5]
    assert "step 400" in scores and "81.25 / 0.0625" in scores and "0.500 / 0.250 / 0.750 / 0.500" in scores


def test_a_line_cut_off_by_a_kill_is_said_and_the_whole_records_shown(runs):
    path = runs.root / "live" / "metrics.jsonl"
    with open(path, "a") as f:
        f.write('{"step": 310, "images_se')
    status = runs.show("live", None, None)[0]
    assert "🟢 training" in status and "cut off" not in status  # just written: a line being written
    os.utime(path, (time.time() - 2 * REFRESH_S,) * 2)
    status = runs.show("live", None, None)[0]
    assert "cut off mid-write" in status and "its 30 whole records" in status and "step 300" in status


def test_damaged_files_are_said_and_what_can_be_read_is_shown(runs):
    run = runs.root / "live"
    with open(run / "metrics.jsonl", "a") as f:
        f.write("garbage\n")
    add_rows(run, [310])
    (run / "samples_0000400.png").write_bytes((run / "samples_0000300.png").read_bytes()[:40])  # half a PNG
    (run / "config.json").write_text("{")
    status, curves, grid, timeline, note, scores, recipe, seen = runs.show("live", None, None)
    assert "line 31: not a metrics record: showing the 30 records before it" in status and "step 300" in status
    assert curves is not None and grid is None and "samples_0000400.png cannot be read" in note
    assert "config.json cannot be read" in status and "No config.json" in recipe
    assert runs.moment("live", 2)[0] is not None  # the whole grids before it still show


@pytest.mark.parametrize("name", ["notes", "gone", "../live", None])
def test_what_is_not_a_run_is_said(runs, name):
    status, curves, grid, *_ = runs.show(name, None, None)
    assert curves is None and grid is None
    assert ("is not a run" in status) if name else ("No run in" in status)
    assert "不是" in runs.show(name, None, None, ZH)[0] or not name


def test_a_missing_runs_folder_is_said(tmp_path, gallery):
    runs = Runs(tmp_path / "nowhere", gallery)
    assert runs.names() == [] and "There is no runs folder at" in runs.show(None, None, None)[0]


def test_a_run_with_grids_only(runs):
    run = runs.root / "grids-only"
    run.mkdir()
    add_grid(run, 500)
    status, curves, grid, *_ = runs.show("grids-only", None, None)
    assert "no metrics record yet" in status and curves is None and grid is not None


def test_the_studio_command_line_takes_the_runs_folder(monkeypatch, tmp_path):
    from facegan import studio

    shown = []
    monkeypatch.setattr(studio, "create_app", lambda checkpoints, hub_repo, runs_folder: shown.append(runs_folder))
    monkeypatch.setattr(studio, "launch", lambda demo: None)
    assert studio.main(["--runs", str(tmp_path)]) == 0 and studio.main([]) == 0
    assert shown == [tmp_path, Path("runs")]


def test_odd_but_whole_records_are_drawn_without_a_traceback(runs):
    with open(runs.root / "live" / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"step": 310, "loss_d": float("nan"), "note": "restarted"}) + "\n")
        f.write(json.dumps({"step": 320, "loss_d": 0.5, "loss_g": float("inf"), "fid": 70.0}) + "\n")
    status, curves, *_ = runs.show("live", None, None)
    assert "step 320" in status and curves is not None
