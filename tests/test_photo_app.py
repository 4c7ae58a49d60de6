"""The "Your photo" tab through its handlers and through the public API, on the tiny test generators."""

import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from facegan.attributes import DEFAULT_PATH as JUDGE
from facegan.faces import REASONS
from facegan.ui.gallery import Gallery
from facegan.ui.i18n import LAUNCH_I18N, text
from facegan.ui.photo import Photo
from tests.test_project import DCGAN, FACE_INDEX, FACE_SEED, ROOT, photo_of

gradio_client = pytest.importorskip("gradio_client")
from gradio_client.exceptions import AppError  # noqa: E402

STEPS = 3  # the tiny generators need few


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    """A generated face enlarged into a 640×480 photo, as a PNG file."""
    from facegan.export import load_generator
    from facegan.sampling import render, seeded_noise

    generator = load_generator(DCGAN)[0]
    face = render(generator, seeded_noise(FACE_INDEX + 1, 100, FACE_SEED), fast=False)[FACE_INDEX]
    path = tmp_path_factory.mktemp("photo") / "me.png"
    photo_of(face).save(path)
    return path


@pytest.fixture(scope="module")
def studio(tiny_checkpoints) -> Photo:
    return Photo(Gallery([tiny_checkpoints]))


@pytest.fixture(scope="module")
def projected(studio, photo):
    return studio.photo_project(str(photo), "detect", STEPS)


def test_a_photo_is_projected_into_every_model(studio, projected):
    crop, note, row, table, latents = projected
    assert crop.size == (320, 320)
    assert row.size == (3 * 194 + 2, 196)  # the crop and two projections side by side, 192 px each
    assert set(latents) == {"dcgan", "wgan"} and all(len(z) == 100 for z in latents.values())
    assert table.count("\n| dcgan |") == 1 and table.count("\n| wgan |") == 1
    assert note in (text("photo.eyes_found"), text("photo.eyes_placed"))


def test_the_projection_is_edited_along_the_models_directions(studio, projected):
    latents = projected[4]
    age, gender, face, caption, walk = studio.photo_edit_start("dcgan", latents)
    assert age["interactive"] and age["minimum"] <= age["value"] <= age["maximum"]
    assert walk.size[0] == 7 * walk.size[1] - 12  # seven faces of 96 px in a row, 2 px apart
    older, _ = studio.photo_edit("dcgan", latents, 2, 0)
    younger, _ = studio.photo_edit("dcgan", latents, -2, 0)
    assert not np.array_equal(np.asarray(older), np.asarray(younger))
    off, _, _, says, no_walk = studio.photo_edit_start("wgan", latents)  # the tiny wgan has no directions
    assert off["interactive"] is False and "no edit directions" in says and no_walk is None


def test_the_hand_crop_is_used_when_chosen(studio, photo, tmp_path):
    hand = tmp_path / "hand.png"
    Image.open(photo).crop((200, 100, 456, 356)).save(hand)
    crop, note, *_ = studio.photo_project(str(photo), "hand", 0, {"composite": str(hand)})
    assert note == text("photo.by_hand")
    assert crop.size == (320, 320)


@pytest.mark.parametrize("content, reason", [(b"not an image", "not_image"), ("half", "corrupt")])
def test_bad_photos_are_messages_in_the_visitors_language(studio, photo, tmp_path, content, reason):
    path = tmp_path / "bad.png"
    path.write_bytes(photo.read_bytes()[:photo.stat().st_size // 2] if content == "half" else content)
    with pytest.raises(gr.Error) as caught:
        studio.photo_project(str(path), "detect", STEPS)
    assert str(caught.value.message).startswith(REASONS[reason].split(" (")[0].capitalize())
    with pytest.raises(gr.Error, match="请"):
        studio.photo_project(None, "detect", STEPS, request=type("R", (), {"headers": {"accept-language": "zh"}})())


@pytest.mark.parametrize("latents", [{}, {"dcgan": [0.0] * 7}, {"dcgan": ["x"] * 100}, "not json", None])
def test_edits_of_a_missing_or_broken_projection_say_so(studio, latents):
    with pytest.raises(gr.Error, match="Project a photo first"):
        studio.photo_edit("dcgan", latents, 1, 0)


def test_the_api_projects_and_edits(app_url, photo, tmp_path):
    client = gradio_client.Client(app_url, verbose=False)
    crop, note, row, table, latents = client.predict(gradio_client.handle_file(str(photo)), "detect", STEPS, None,
                                                     None, api_name="/photo_project")
    assert Image.open(crop).size == (320, 320) and set(latents) == {"dcgan", "wgan"}
    face, caption = client.predict("dcgan", latents, 1.5, -1, True, api_name="/photo_edit")
    assert Image.open(face).size == (320, 320) and "years" in caption
    walk = client.predict("dcgan", latents, "gender", True, api_name="/photo_walk")
    assert Image.open(walk).size[0] > 6 * Image.open(walk).size[1]
    fake = tmp_path / "fake.png"
    fake.write_text("a text file named like a photo")
    with pytest.raises(AppError, match="Not an image file"):
        client.predict(gradio_client.handle_file(str(fake)), "detect", STEPS, None, None, api_name="/photo_project")
    with pytest.raises(AppError, match="Invalid file type"):  # Gradio's own check of the extension
        client.predict(gradio_client.handle_file(__file__), "detect", STEPS, None, None, api_name="/photo_project")


def shipped_copy(folder: Path, names=("dcgan",)) -> Path:
    """The shipped generators named, with their encoders, and the age/gender judge, copied into a folder."""
    for name in names:
        for part in (f"{name}.safetensors", f"encoders/{name}.safetensors"):
            (folder / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / "checkpoints" / part, folder / part)
    (folder / "attributes").mkdir()
    shutil.copyfile(ROOT / JUDGE, folder / "attributes" / "age-gender.safetensors")
    return folder


def test_the_judge_and_the_encoders_are_found_in_the_checkpoints_folder_given(tmp_path, monkeypatch, photo):
    folder = shipped_copy(tmp_path / "elsewhere")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")  # no checkpoints/ here
    gallery = Gallery([folder])
    assert gallery.problems == [] and gallery.judge_path() == folder / "attributes" / "age-gender.safetensors"
    studio = Photo(gallery)
    latents = studio.photo_project(str(photo), "detect", STEPS)[4]
    assert set(latents) == {"dcgan"} and studio._projectors["dcgan"].encoder is not None
    (folder / "attributes" / "age-gender.safetensors").unlink()
    monkeypatch.chdir(ROOT)  # whose checkpoints/attributes/ has a judge, which the studio must not take
    with pytest.raises(gr.Error, match=re.escape(str(folder / "attributes" / "age-gender.safetensors"))):
        Photo(Gallery([folder])).photo_project(str(photo), "detect", STEPS)


def test_an_unusable_encoder_is_a_notice_and_its_model_is_projected_from_the_ordinary_start(tmp_path, photo):
    folder = shipped_copy(tmp_path / "checkpoints", ("dcgan", "wgan", "wgan-gp"))
    encoders = folder / "encoders"
    shutil.copyfile(encoders / "dcgan.safetensors", encoders / "wgan.safetensors")  # trained on another generator
    whole = (encoders / "wgan-gp.safetensors").read_bytes()
    (encoders / "wgan-gp.safetensors").write_bytes(whole[:len(whole) // 2])
    gallery = Gallery([folder])
    assert gallery.names == ["dcgan", "wgan", "wgan-gp"]  # every model still served
    assert len(gallery.problems) == 2
    assert str(encoders / "wgan.safetensors") in gallery.problems[0] and "other weights" in gallery.problems[0]
    assert str(encoders / "wgan-gp.safetensors") in gallery.problems[1]
    assert all("Your photo tab projects into wgan" in p for p in gallery.problems)
    zh = [LAUNCH_I18N.translations["zh"][notice.key] for notice in gallery.notices()]
    assert len(zh) == 2 and all(line.startswith("⚠️") and "你的照片" in line for line in zh)
    assert str(encoders / "wgan.safetensors") in zh[0]
    studio = Photo(gallery)
    latents = studio.photo_project(str(photo), "detect", STEPS)[4]
    assert set(latents) == {"dcgan", "wgan", "wgan-gp"}
    encoders_used = {name: projector.encoder is not None for name, projector in studio._projectors.items()}
    assert encoders_used == {"dcgan": True, "wgan": False, "wgan-gp": False}


def test_an_encoder_that_fails_to_load_after_the_gallery_looked_is_an_error(tmp_path, photo):
    from safetensors.torch import load_file

    from facegan.encoder import METADATA_KEY, encoder_metadata
    from facegan.export import save_safetensors

    folder = shipped_copy(tmp_path / "checkpoints")
    path = folder / "encoders" / "dcgan.safetensors"
    meta = encoder_metadata(folder / "dcgan.safetensors")
    gallery = Gallery([folder])
    assert gallery.problems == []
    save_safetensors(load_file(path), {METADATA_KEY: json.dumps({**meta, "generator_sha256": "0" * 64})}, path)
    with pytest.raises(gr.Error, match="Cannot project into dcgan: encoder .*other weights"):
        Photo(gallery).photo_project(str(photo), "detect", STEPS)


def test_malformed_edit_directions_are_a_notice_and_the_model_is_served_without_them(tiny_checkpoints, tmp_path):
    from facegan.export import update_metadata

    weights = tmp_path / "dcgan.safetensors"
    shutil.copyfile(tiny_checkpoints / "dcgan.safetensors", weights)
    update_metadata(weights, {"editing": {"directions": {"age": [0.5] * 7}}})
    gallery = Gallery([tmp_path])
    assert gallery.names == ["dcgan"] and gallery.models["dcgan"].directions is None
    assert len(gallery.problems) == 1 and gallery.problems[0].startswith(f"{weights}: its edit directions cannot")
    assert "dcgan cannot be edited" in gallery.problems[0]
    zh = LAUNCH_I18N.translations["zh"][gallery.notices()[0].key]
    assert str(weights) in zh and "无法编辑" in zh
    off, *_, says, _ = Photo(gallery).photo_edit_start("dcgan", {"dcgan": [0.0] * 100})
    assert off["interactive"] is False and "no edit directions" in says


def test_four_visitors_projecting_at_once_get_what_each_gets_alone(tiny_checkpoints, photo):
    """Their crops are projected together (one batch per model), and each gets what projecting alone gives: the
    same crop and note, the same numbers, and latents and pictures equal but for float rounding (a batch of crops
    runs other kernels than one crop, which moves the last bits, and the Adam steps carry them to ~1e-4)."""
    studio = Photo(Gallery([tiny_checkpoints]))
    batches = []
    project_together = studio._projections.run
    studio._projections.run = lambda jobs: batches.append(len(jobs)) or project_together(jobs)

    def project(_) -> tuple:
        crop, note, row, table, latents = studio.photo_project(str(photo), "detect", STEPS)
        numbers = [line.rsplit("|", 2)[0] for line in table.splitlines()]  # the last column is the batch's seconds
        return np.asarray(crop), note, np.asarray(row, dtype=int), numbers, latents

    alone = project(0)
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(project, range(4)))
    for crop, note, row, numbers, latents in together:
        assert np.array_equal(crop, alone[0]) and note == alone[1] and numbers == alone[3]
        assert np.abs(row - alone[2]).max() <= 1
        for name, z in latents.items():
            assert np.abs(np.subtract(z, alone[4][name])).max() <= 1e-3
    assert max(batches) > 1  # visitors did share a projection
