"""The studio through its public API (gradio_client), as a visitor's browser would call it."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")
from gradio_client.exceptions import AppError  # noqa: E402

from facegan import hub  # noqa: E402
from facegan.export import export_generator  # noqa: E402
from facegan.gallery import Gallery  # noqa: E402
from facegan.models import Generator, ModelConfig  # noqa: E402


@pytest.fixture(scope="module")
def client(app_url):
    return gradio_client.Client(app_url, verbose=False)


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_samples_grid_size_and_determinism(client):
    first = client.predict("dcgan", 7, 4, 1.0, api_name="/samples")
    assert Image.open(first).size == (2 * 34 + 2, 2 * 34 + 2)  # 2×2 faces of 32 px
    assert np.array_equal(pixels(first), pixels(client.predict("dcgan", 7, 4, 1.0, api_name="/samples")))
    assert not np.array_equal(pixels(first), pixels(client.predict("dcgan", 8, 4, 1.0, api_name="/samples")))
    single = client.predict("dcgan", 7, 1, 1.0, api_name="/samples")
    assert np.array_equal(pixels(single), pixels(first)[2:34, 2:34])  # face 1 of seed 7 whatever the count


@pytest.mark.parametrize("bad, same_as", [
    ((-5, 4, 1.0), (0, 4, 1.0)),          # negative seed → 0
    ((3.6, 4, 1.0), (4, 4, 1.0)),         # fractional seed → rounded
    ((1e30, 4, 1.0), (2**32 - 1, 4, 1.0)),  # huge seed → the largest
])
def test_bad_numbers_are_clamped(client, bad, same_as):
    got = client.predict("dcgan", *bad, api_name="/samples")
    want = client.predict("dcgan", *same_as, api_name="/samples")
    assert np.array_equal(pixels(got), pixels(want))


@pytest.mark.parametrize("args, message", [
    (("dcgan", 1, 0, 1.0), "less than minimum value 1"),  # sliders: Gradio's own range check
    (("dcgan", 1, 1000, 1.0), "greater than maximum value 64"),
    (("dcgan", 1, 4, 5.0), "greater than maximum value 1"),
])
def test_out_of_range_sliders_are_visible_errors(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/samples")


def test_handlers_clamp_what_they_are_given(tiny_checkpoints):
    import gradio as gr

    from facegan.ui import Studio

    studio = Studio(Gallery([tiny_checkpoints]))
    with pytest.warns(UserWarning, match="number of faces 0 was changed to 1"):  # gr.Warning outside a request
        assert studio.samples("dcgan", 1, 0, 1.0).size == (32, 32)
    with pytest.warns(UserWarning, match="1000 was changed to 64"):
        assert studio.samples("dcgan", 1, 1000, 1.0).size == (8 * 34 + 2,) * 2
    with pytest.warns(UserWarning, match="t 7.5 was changed to 1.0"):
        assert studio.frame("dcgan", 1, 2, "slerp", 7.5, 1.0) == studio.frame("dcgan", 1, 2, "slerp", 1.0, 1.0)
    with pytest.raises(gr.Error, match="Unknown model"):
        studio.samples("nosuch", 1, 4, 1.0)
    with pytest.raises(gr.Error, match="must be a number"):
        studio.samples("dcgan", "seven", 4, 1.0)


@pytest.mark.parametrize("args, message", [
    (("dcgan", None, 4, 1.0), "empty"),
    (("nosuch", 1, 4, 1.0), "not in the list of choices"),
])
def test_unusable_input_is_a_visible_error(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/samples")


def test_interpolation_frame_hits_both_seeds_and_clamps_t(client):
    seed_a = client.predict("wgan", 5, 1, 1.0, api_name="/samples")
    seed_b = client.predict("wgan", 9, 1, 1.0, api_name="/samples")
    for t, want in [(0.0, seed_a), (1.0, seed_b)]:
        got = client.predict("wgan", 5, 9, "slerp", t, 1.0, api_name="/frame")
        assert np.array_equal(pixels(got), pixels(want)), t
    middle = client.predict("wgan", 5, 9, "lerp", 0.5, 1.0, api_name="/frame")
    assert not np.array_equal(pixels(middle), pixels(seed_a))
    with pytest.raises(AppError, match="greater than maximum value 1"):
        client.predict("wgan", 5, 9, "slerp", 7.5, 1.0, api_name="/frame")


def test_strip_and_gif(client):
    strip, gif = client.predict("dcgan", 1, 2, "slerp", 5, 1.0, api_name="/strip")
    assert Image.open(strip).size == (5 * 34 + 2, 34 + 2)
    with Image.open(gif) as animation:
        assert animation.format == "GIF" and animation.n_frames > 10


def test_compare_runs_every_model_on_the_same_latents(client):
    items = client.predict(4, 4, 1.0, api_name="/compare")
    captions = [item["caption"] for item in items]
    assert len(items) == 2 and captions[0].startswith("dcgan: DCGAN · 100 steps") and "FID 99.5" in captions[0]
    assert captions[1].startswith("wgan: WGAN")
    dcgan = client.predict("dcgan", 4, 4, 1.0, api_name="/samples")
    assert np.array_equal(pixels(items[0]["image"]), pixels(dcgan))


def test_sixteen_concurrent_clients(app_url):
    def visitor(i):
        c = gradio_client.Client(app_url, verbose=False)
        return [c.predict("dcgan", i * 10 + k, 4, 0.8, api_name="/samples") for k in range(10)]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(visitor, range(16)))
    assert sum(len(r) for r in results) == 160 and all(Path(p).exists() for r in results for p in r)


def test_bad_files_are_reported_and_the_rest_still_served(tiny_checkpoints):
    gallery = Gallery([tiny_checkpoints])
    assert gallery.names == ["dcgan", "wgan"]
    assert len(gallery.problems) == 1 and "broken.safetensors" in gallery.problems[0]
    entry = gallery.models["dcgan"]
    assert entry.curves and entry.curves.exists() and [c for _, c in entry.progress] == ["step 5"]
    assert "| generator steps | 100 |" in entry.describe()
    assert entry.label == "dcgan (DCGAN, 100 steps)"


def test_no_checkpoints_gives_a_message(tmp_path):
    from facegan.ui import create_app

    demo = create_app(tmp_path / "nowhere")
    text = " ".join(str(getattr(b, "value", "")) for b in demo.blocks.values())
    assert "No generator found" in text and "Checkpoint folder not found" in text


def lay_out_hub_cache(cache: Path, repo: str, files: dict[str, Path]) -> None:
    """The huggingface_hub cache layout: blobs, a snapshot per commit, refs/main → commit."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    root = cache / f"models--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(commit)
    for name, source in files.items():
        target = root / "snapshots" / commit / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())


def test_hub_weights_offline_from_the_cache(tmp_path, monkeypatch, tiny_checkpoints):
    lay_out_hub_cache(tmp_path / "hub", "someone/faces", {"hubgan.safetensors": tiny_checkpoints / "wgan.safetensors"})
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    folder = hub.fetch_weights("someone/faces")
    assert (folder / "hubgan.safetensors").exists()
    with pytest.raises(hub.HubError, match="not reachable and not in the local cache"):
        hub.fetch_weights("someone/elsewhere")


def test_app_with_unreachable_hub_repo_serves_local_models(tmp_path, monkeypatch, tiny_checkpoints):
    from facegan.ui import create_app

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    demo = create_app(tiny_checkpoints, hub_repo="someone/missing")
    text = " ".join(str(getattr(b, "value", "")) for b in demo.blocks.values())
    assert "serving the local checkpoints only" in text and "dcgan" in text


def test_upload_dry_run_lists_files_offline(tmp_path, capsys):
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)), tmp_path / "g.safetensors", {"mode": "dcgan"})
    (tmp_path / "notes.txt").write_text("not uploaded")
    assert hub.cli(["upload", "--weights-repo", "me/faces", "--checkpoints", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would upload 1 files to model repo me/faces" in out and "g.safetensors" in out and "notes" not in out
    assert hub.cli(["upload", "--space", "me/studio", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "app.py" in out and "facegan/ui.py" in out and "checkpoints/dcgan.safetensors" in out
    assert hub.cli(["upload", "--dry-run"]) == 2


def test_app_reads_server_settings_from_the_environment(tiny_checkpoints):
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.conftest import free_port

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "FACEGAN_CHECKPOINTS": str(tiny_checkpoints)}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=Path(__file__).resolve().parents[1], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                assert b"FaceGAN studio" in urllib.request.urlopen(f"http://127.0.0.1:{port}/config").read()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.time() < deadline, "app not up within 60 s"
                time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_readme_has_a_valid_spaces_header():
    import yaml

    root = Path(__file__).resolve().parents[1]
    text = (root / "README.md").read_text()
    assert text.startswith("---\n")
    header = yaml.safe_load(text.split("---\n")[1])
    pinned = [line.split("==")[1] for line in (root / "requirements.txt").read_text().splitlines()
              if line.startswith("gradio==")]
    assert header["sdk"] == "gradio" and [header["sdk_version"]] == pinned
    assert header["app_file"] == "app.py" and (root / header["app_file"]).exists()
    assert {"title", "emoji", "license", "short_description"} <= set(header)
    assert len(header["short_description"]) <= 60
    for weights in (root / "checkpoints").glob("*.safetensors"):
        assert weights.stat().st_size < 10 * 2**20, f"{weights.name} needs LFS on a Space"
