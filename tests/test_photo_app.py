"""The "Your photo" tab through its handlers and through the public API, on the tiny test generators."""

import re
import shutil
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from facegan.attributes import DEFAULT_PATH as JUDGE
from facegan.faces import REASONS
from facegan.ui.gallery import Gallery
from facegan.ui.i18n import text
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

