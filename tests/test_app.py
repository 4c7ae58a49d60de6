"""The studio through its public API (gradio_client), as a visitor's browser would call it."""

import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")
from gradio_client.exceptions import AppError  # noqa: E402

from facegan import hub  # noqa: E402
from facegan.export import export_generator  # noqa: E402
from facegan.models import Generator, ModelConfig  # noqa: E402
from facegan.sampling import display_grid  # noqa: E402
from facegan.ui.common import Downloads  # noqa: E402
from facegan.ui.gallery import Gallery  # noqa: E402
from facegan.ui.i18n import LAUNCH_I18N, STRINGS  # noqa: E402


@pytest.fixture(scope="module")
def client(app_url):
    return gradio_client.Client(app_url, verbose=False)


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def native(client, *args) -> np.ndarray:
    """/samples returns (display grid, native grid): the native grid's pixels."""
    return pixels(client.predict(*args, api_name="/samples")[1])


def faces_of(grid: np.ndarray, count: int, size: int) -> torch.Tensor:
    """The uint8 N×3×H×W faces of a native grid (2 px padding, near-square)."""
    columns = int(count ** 0.5 + 0.999)
    step = size + 2
    cells = [grid[2 + (i // columns) * step:, 2 + (i % columns) * step:][:size, :size] for i in range(count)]
    return torch.from_numpy(np.stack(cells)).permute(0, 3, 1, 2)


def test_samples_are_shown_large_and_downloadable_at_native_size(client):
    """What changed: /samples returns the display grid (faces upscaled) and the native grid, in that order."""
    shown, first = client.predict("dcgan", 7, 4, 1.0, api_name="/samples")
    assert Image.open(first).size == (2 * 34 + 2, 2 * 34 + 2)  # 2×2 faces of 32 px
    assert Image.open(shown).size == (2 * 386 + 2,) * 2  # 2×2 faces of 384 px
    assert np.array_equal(pixels(shown), np.asarray(display_grid(faces_of(pixels(first), 4, 32), 384)))
    assert Image.open(client.predict("dcgan", 7, 16, 1.0, api_name="/samples")[0]).size[0] >= 4 * 192
    assert np.array_equal(pixels(first), native(client, "dcgan", 7, 4, 1.0))
    assert not np.array_equal(pixels(first), native(client, "dcgan", 8, 4, 1.0))
    single = native(client, "dcgan", 7, 1, 1.0)
    assert np.array_equal(single, pixels(first)[2:34, 2:34])  # face 1 of seed 7 whatever the count


@pytest.mark.parametrize("bad, same_as", [
    ((-5, 4, 1.0), (0, 4, 1.0)),          # negative seed → 0
    ((3.6, 4, 1.0), (4, 4, 1.0)),         # fractional seed → rounded
    ((1e30, 4, 1.0), (2**32 - 1, 4, 1.0)),  # huge seed → the largest
])
def test_bad_numbers_are_clamped(client, bad, same_as):
    assert np.array_equal(native(client, "dcgan", *bad), native(client, "dcgan", *same_as))


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
        assert studio.samples("dcgan", 1, 0, 1.0)[1].size == (32, 32)
    with pytest.warns(UserWarning, match="1000 was changed to 64"):
        shown, grid = studio.samples("dcgan", 1, 1000, 1.0)
    assert grid.size == (8 * 34 + 2,) * 2 and shown.size == (8 * 97 + 2,) * 2  # 95 px faces
    with pytest.warns(UserWarning, match="t 7.5 was changed to 1.0"):
        assert studio.frame("dcgan", 1, 2, "slerp", 7.5, 1.0) == studio.frame("dcgan", 1, 2, "slerp", 1.0, 1.0)
    with pytest.raises(gr.Error, match="Unknown model"):
        studio.samples("nosuch", 1, 4, 1.0)
    with pytest.raises(gr.Error, match="must be a number"):
        studio.samples("dcgan", "seven", 4, 1.0)


@pytest.mark.parametrize("args, message", [
    (("dcgan", None, 4, 1.0), "empty"),
    (("dcgan", "seven", 4, 1.0), "The seed must be a number, not 'seven'"),
    (("nosuch", 1, 4, 1.0), "not in the list of choices"),
])
def test_unusable_input_is_a_visible_error(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/samples")


def test_interpolation_frame_hits_both_seeds_and_clamps_t(client):
    """/frame returns the face at t upscaled to 256 px."""
    for t, seed in [(0.0, 5), (1.0, 9)]:
        got = pixels(client.predict("wgan", 5, 9, "slerp", t, 1.0, api_name="/frame"))
        face = faces_of(np.pad(native(client, "wgan", seed, 1, 1.0), ((2, 0), (2, 0), (0, 0))), 1, 32)
        assert got.shape == (256, 256, 3) and np.array_equal(got, np.asarray(display_grid(face, 256, padding=0))), t
    middle = client.predict("wgan", 5, 9, "lerp", 0.5, 1.0, api_name="/frame")
    assert not np.array_equal(pixels(middle), got)
    with pytest.raises(AppError, match="greater than maximum value 1"):
        client.predict("wgan", 5, 9, "slerp", 7.5, 1.0, api_name="/frame")


def test_strip_and_gif(client):
    strip, gif = client.predict("dcgan", 1, 2, "slerp", 5, 1.0, api_name="/strip")
    assert Image.open(strip).size == (5 * 98 + 2, 98 + 2)  # frames of 96 px
    strip = client.predict("dcgan", 1, 2, "slerp", 16, 1.0, api_name="/strip")[0]
    assert Image.open(strip).size == (8 * 98 + 2, 2 * 98 + 2)
    with Image.open(gif) as animation:
        assert animation.format == "GIF" and animation.n_frames > 10


def test_compare_runs_every_model_on_the_same_latents(client):
    items = client.predict(4, 4, 1.0, api_name="/compare")
    captions = [item["caption"] for item in items]
    assert len(items) == 2 and captions[0].startswith("dcgan: DCGAN · 100 steps") and "FID 99.5" in captions[0]
    assert captions[1].startswith("wgan: WGAN")
    assert {Image.open(item["image"]).size for item in items} == {(2 * 130 + 2,) * 2}  # one face size, 128 px
    dcgan = faces_of(native(client, "dcgan", 4, 4, 1.0), 4, 32)
    assert np.array_equal(pixels(items[0]["image"]), np.asarray(display_grid(dcgan, 128)))


def test_edit_moves_one_attribute_and_says_what_the_fitted_models_read(client):
    """/edit(model, seed, age steps, gender steps, conditional): the seed's face (Samples' first), moved, at 320 px."""
    from facegan.sampling import seeded_noise

    face, caption = client.predict("dcgan", 3, 0, 0, True, api_name="/edit")
    seed_face = faces_of(np.pad(native(client, "dcgan", 3, 1, 1.0), ((2, 0), (2, 0), (0, 0))), 1, 32)
    assert np.array_equal(pixels(face), np.asarray(display_grid(seed_face, 320, padding=0)))
    z0 = seeded_noise(1, 100, 3)[0, 0].item()
    assert f"≈ {35 + 12 * z0:.0f} years" in caption and "6.4 years" in caption and "91.0%" in caption
    older, older_caption = client.predict("dcgan", 3, 2, 0, True, api_name="/edit")
    assert not np.array_equal(pixels(older), pixels(face))
    # conditional: along (0.8, -0.6), so the fitted age rises 2 × 12 × 0.8 years and P(female) stays put
    assert f"≈ {35 + 12 * (z0 + 1.6):.0f} years" in older_caption
    assert caption.split("P(female)")[1][:10] == older_caption.split("P(female)")[1][:10]
    _, plain_caption = client.predict("dcgan", 3, 2, 0, False, api_name="/edit")
    assert caption.split("P(female)")[1][:10] != plain_caption.split("P(female)")[1][:10]
    clamped, _ = client.predict("dcgan", 3, 9, 0, True, api_name="/edit")  # → 3 steps, with a warning
    assert np.array_equal(pixels(clamped), pixels(client.predict("dcgan", 3, 3, 0, True, api_name="/edit")[0]))
    with pytest.raises(AppError, match="wgan has no edit directions"):
        client.predict("wgan", 3, 1, 0, True, api_name="/edit")


def test_edit_walk_is_seven_steps_through_the_face(client):
    walk = client.predict("dcgan", 3, "gender", True, api_name="/edit_walk")
    assert Image.open(walk).size == (7 * 98 + 2, 98 + 2)
    seed_face = faces_of(np.pad(native(client, "dcgan", 3, 1, 1.0), ((2, 0), (2, 0), (0, 0))), 1, 32)
    middle = pixels(walk)[2:98, 2 + 3 * 98:2 + 3 * 98 + 96]  # step 0 is the face as generated
    assert np.array_equal(middle, np.asarray(display_grid(seed_face, 96, padding=0)))
    assert not np.array_equal(middle, pixels(walk)[2:98, 2:98])
    with pytest.raises(AppError, match="not in the list of choices"):  # Gradio's own check of the radio
        client.predict("dcgan", 3, "race", True, api_name="/edit_walk")


def test_edit_tab_sliders_speak_fitted_years(tiny_checkpoints):
    from facegan.sampling import seeded_noise
    from facegan.ui import Studio

    studio = Studio(Gallery([tiny_checkpoints]))
    age, gender, conditional, along, face, caption, walk = studio.edit_start("dcgan", 3, "age")
    base = round(35 + 12 * seeded_noise(1, 100, 3)[0, 0].item())
    assert age["value"] == base and gender["value"] == 0 and conditional["interactive"] and walk.size == (688, 100)
    # the range is what ±3 conditional steps (9.6 fitted years each) reach, rounded inwards, never below 0
    assert age["minimum"] == max(0, math.ceil(base - 28.8)) and age["maximum"] == math.floor(base + 28.8)
    assert np.array_equal(np.asarray(face), np.asarray(studio.edit("dcgan", 3, 0, 0)[0]))

    def close(a, b):  # steps from years go through a division: allow a rounding level
        return np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).max() <= 1

    assert close(studio.edit_years("dcgan", 3, base + 19, 0.5)[0], studio.edit("dcgan", 3, 19 / 9.6, 0.5)[0])
    assert close(studio.edit_years("dcgan", 3, base + 12, 0, False)[0], studio.edit("dcgan", 3, 1, 0, False)[0])
    with pytest.warns(UserWarning, match=f"The age {base + 90} was changed to {age['maximum']}"):
        studio.edit_years("dcgan", 3, base + 90, 0)
    age, gender, conditional, along, face, caption, walk = studio.edit_start("wgan", 3, "age")  # no directions
    assert not any(u["interactive"] for u in (age, gender, conditional, along)) and walk is None
    assert "python -m facegan.editing fit" in caption and face.size == (320, 320)


def test_edit_clamps_steps_and_shows_predictor_errors_only_when_known(tiny_checkpoints, tmp_path):
    from facegan.editing import Directions
    from facegan.export import update_metadata
    from facegan.ui import Studio

    with pytest.warns(UserWarning, match="The age steps 9 was changed to 3"):
        Studio(Gallery([tiny_checkpoints])).edit("dcgan", 3, 9, 0)
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)).eval(), tmp_path / "g.safetensors", {"mode": "dcgan"})
    axis = torch.eye(100)
    d = Directions(axis[0], axis[1], axis[0], axis[1], 30.0, 10.0, 0.0, 2.0)
    update_metadata(tmp_path / "g.safetensors", {"editing": {"directions": d.to_dict()}})  # no predictor record
    _, caption = Studio(Gallery([tmp_path])).edit("g", 3, 1, 0)
    assert "years" in caption and "held-out" not in caption


def test_sixteen_concurrent_clients(app_url):
    def visitor(i):
        c = gradio_client.Client(app_url, verbose=False)
        return [c.predict("dcgan", i * 10 + k, 4, 0.8, api_name="/samples") for k in range(10)]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(visitor, range(16)))
    assert sum(len(r) for r in results) == 160 and all(Path(p).exists() for r in results for pair in r for p in pair)


def test_bad_files_are_reported_and_the_rest_still_served(tiny_checkpoints):
    gallery = Gallery([tiny_checkpoints])
    assert gallery.names == ["dcgan", "wgan"]
    assert len(gallery.problems) == 1 and "broken.safetensors" in gallery.problems[0]
    entry = gallery.models["dcgan"]
    assert not entry.curves_file.exists()  # drawn when a page first asks for it, not while the studio starts
    assert entry.curves and entry.curves.exists() and [step for _, step in entry.progress] == [5]
    assert "| generator steps | 100 |" in entry.describe() and "| 生成器步数 | 100 |" in entry.describe("zh")
    assert entry.label() == "dcgan (DCGAN, 100 steps)" and entry.label("zh") == "dcgan (DCGAN, 100 步)"
    assert "| editing | on 1,000 unseen faces, age walk −3→+3: +41.5 years" in entry.describe()
    assert entry.directions is not None and gallery.models["wgan"].directions is None


def page_text(demo, lang: str = "en") -> str:
    """Every Markdown value on the page as the browser would show it in lang."""
    import json

    values = [str(getattr(b, "value", "")) for b in demo.blocks.values()]
    return " ".join(LAUNCH_I18N.translations[lang][json.loads(v.removeprefix("__i18n__"))["key"]]
                    if v.startswith("__i18n__") else v for v in values)


def test_no_checkpoints_gives_a_message(tmp_path):
    from facegan.ui import create_app

    demo = create_app(tmp_path / "nowhere")
    assert "No generator found" in page_text(demo) and "Checkpoint folder not found" in page_text(demo)
    assert "未找到生成器" in page_text(demo, "zh") and "未找到检查点文件夹" in page_text(demo, "zh")


def test_the_face_tabs_sliders_and_endpoints_share_one_range_table(tiny_checkpoints):
    import gradio as gr

    from facegan.ui import Checks, create_app
    from facegan.ui.common import RANGES

    sliders = {"faces": "faces", "truncation": "truncation", "t": "t", "frames": "frames",
               "faces_per_model": "faces_per_model", "gender": "edit_steps"}  # label key → range
    seen = set()
    for block in create_app(tiny_checkpoints).blocks.values():
        if isinstance(block, gr.Slider) and getattr(block.label, "key", None) in sliders:
            r = RANGES[sliders[block.label.key]]
            assert (block.minimum, block.maximum, block.step) == (r.low, r.high, r.step), block.label.key
            seen.add(block.label.key)
    assert seen == sliders.keys()
    with pytest.warns(UserWarning, match=r"truncation 7 was changed to 1\.0"):  # the endpoint clamps to the same
        assert Checks().within(7, "truncation", "field.truncation") == RANGES["truncation"].high


def test_both_languages_have_the_same_strings_and_placeholders():
    import string

    def fields(s: str) -> set:
        return {name for _, name, _, _ in string.Formatter().parse(s) if name is not None}

    assert STRINGS["en"].keys() == STRINGS["zh"].keys()
    for key, english in STRINGS["en"].items():
        assert fields(english) == fields(STRINGS["zh"][key]), key


def test_messages_speak_the_request_language(tiny_checkpoints):
    from types import SimpleNamespace

    import gradio as gr

    from facegan.ui import Studio

    studio = Studio(Gallery([tiny_checkpoints]))
    chinese = SimpleNamespace(headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})
    with pytest.warns(UserWarning, match="人脸数量 0 已改为 1"):
        studio.samples("dcgan", 1, 0, 1.0, chinese)
    with pytest.raises(gr.Error, match="随机种子为空"):
        studio.samples("dcgan", " ", 4, 1.0, chinese)
    assert studio.compare(1, 1, 1.0, chinese)[0][1].startswith("dcgan：DCGAN · 100 步")
    with pytest.raises(gr.Error, match="The seed is empty"):
        studio.samples("dcgan", " ", 4, 1.0, SimpleNamespace(headers={"accept-language": "fr-FR,fr"}))


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
    assert "serving the local checkpoints only" in page_text(demo) and "dcgan" in page_text(demo)


def test_upload_dry_run_lists_files_offline(tmp_path, capsys):
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)), tmp_path / "g.safetensors", {"mode": "dcgan"})
    (tmp_path / "notes.txt").write_text("not uploaded")
    assert hub.cli(["upload", "--weights-repo", "me/faces", "--checkpoints", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would upload 2 files to model repo me/faces" in out and "g.safetensors" in out and "notes" not in out
    assert "README.md (model card):" in out and 'load_generator(hf_hub_download("me/faces", "g.safetensors"))' in out
    assert hub.cli(["upload", "--space", "me/studio", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "app.py" in out and "facegan/ui/samples.py" in out and "checkpoints/dcgan.safetensors" in out
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


def test_downloads_keep_two_files_of_one_name_apart_and_delete_old_ones():
    downloads = Downloads("facegan-test-")
    first, second = downloads.path("walk.gif"), downloads.path("walk.gif")
    assert first != second and first.name == second.name == "walk.gif"
    first.write_bytes(b"old")
    os.utime(first.parent, (0, 0))  # made long ago
    downloads.path("next.gif")
    assert not first.parent.exists() and second.parent.exists()


def test_a_training_record_that_cannot_be_read_is_a_notice_not_a_missing_plot(tmp_path):
    torch.manual_seed(0)
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)).eval(), tmp_path / "g.safetensors", {"mode": "dcgan"})
    (tmp_path / "g.metrics.jsonl").write_text('{"step": 1, "images_seen": 8}\nnot json at all\n{"step": 2}\n')
    gallery = Gallery([tmp_path])
    assert gallery.models["g"].curves is None
    assert len(gallery.problems) == 1 and "g.metrics.jsonl cannot be read" in gallery.problems[0]
    assert "training curves for g" in gallery.problems[0]
