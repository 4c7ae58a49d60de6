"""A photo → the training crops' framing → each generator's z: bad input, alignment, projection, command line.

The faces here are the shipped DCGAN's own samples (they may be committed and shown), enlarged
into a bigger photo, so the test knows exactly which 64×64 crop the framing should give back.
"""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from facegan.encoder import psnr_of
from facegan.faces import LEFT_EYE, MAX_SIDE, RIGHT_EYE, FaceError, align, frame, from_crop, read_photo

ROOT = Path(__file__).resolve().parents[1]
DCGAN = ROOT / "checkpoints" / "dcgan.safetensors"
FACE_SEED, FACE_INDEX = 0, 9  # a sample whose eyes the eye cascade finds once it is enlarged
BACKGROUND = (90, 120, 150)


@pytest.fixture(scope="module")
def dcgan():
    from facegan.export import load_generator

    return load_generator(DCGAN)[0].requires_grad_(False)


@pytest.fixture(scope="module")
def face(dcgan) -> torch.Tensor:
    """uint8 3×64×64: a generated face, framed as the training crops are."""
    from facegan.sampling import render, seeded_noise

    return render(dcgan, seeded_noise(FACE_INDEX + 1, 100, FACE_SEED), fast=False)[FACE_INDEX]


def photo_of(face: torch.Tensor, side: int = 256, size=(640, 480), at=(200, 100), angle: float = 0.0) -> Image.Image:
    """The face enlarged to side px on a plain background, turned by angle degrees about its centre."""
    picture = Image.fromarray(face.permute(1, 2, 0).numpy()).resize((side, side), Image.LANCZOS)
    canvas = Image.new("RGB", size, BACKGROUND)
    canvas.paste(picture, at)
    centre = (at[0] + side / 2, at[1] + side / 2)
    return canvas.rotate(angle, resample=Image.BICUBIC, center=centre, fillcolor=BACKGROUND) if angle else canvas


def psnr(crop: Image.Image, face: torch.Tensor) -> float:
    ours = torch.from_numpy(np.array(crop)).permute(2, 0, 1).float() / 127.5 - 1
    return float(psnr_of(ours.unsqueeze(0), face.unsqueeze(0).float() / 127.5 - 1)[0])


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A 1×1 PNG whose header claims width×height: a decompression bomb's shape, without its memory."""
    data = bytearray(encoded(Image.new("L", (1, 1)), "PNG"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(data[ihdr - 4:ihdr + 13])))
    return bytes(data)


def test_a_turned_face_in_a_bigger_photo_is_framed_as_the_training_crops_are(face):
    framed = frame(photo_of(face, angle=8))
    assert framed.faces == 1 and framed.face.eyes_found
    assert framed.crop.size == (64, 64)
    assert psnr(framed.crop, face) > 20  # eyes level again, same scale and place: nearly the original crop
    assert psnr(framed.crop, face.flip(2)) < psnr(framed.crop, face) - 3  # not merely any face-like picture


def test_alignment_puts_given_eyes_where_the_crops_have_them():
    """Two marks drawn where eyes would be in a turned, enlarged face land on the crops' eye points."""
    left, right = (300, 260), (420, 230)  # 124 px apart, turned by 14°
    canvas = np.full((600, 700, 3), 200, np.uint8)
    for (x, y), colour in ((left, (255, 0, 0)), (right, (0, 0, 255))):
        canvas[y - 6:y + 7, x - 6:x + 7] = colour  # a 13 px square whose centre is at (x + 0.5, y + 0.5)
    crop = np.asarray(align(Image.fromarray(canvas), (300.5, 260.5), (420.5, 230.5))).astype(float)
    for (x, y), channel in ((LEFT_EYE, 0), (RIGHT_EYE, 2)):
        other = 2 - channel
        weight = np.clip(crop[..., channel] - crop[..., other] - 40, 0, None)  # 40: above the other mark's ringing
        ys, xs = np.mgrid[:64, :64]
        centre = (weight * xs).sum() / weight.sum(), (weight * ys).sum() / weight.sum()
        assert abs(centre[0] + 0.5 - x) < 0.2 and abs(centre[1] + 0.5 - y) < 0.2, (centre, (x, y))


def test_the_largest_of_several_faces_is_framed_and_counted(face):
    canvas = photo_of(face, side=300, size=(900, 500), at=(500, 100))
    canvas.paste(Image.fromarray(face.permute(1, 2, 0).numpy()).resize((180, 180), Image.LANCZOS), (80, 160))
    framed = frame(canvas)
    assert framed.faces == 2
    assert framed.face.box[0] > 450  # the 300 px face on the right


@pytest.mark.parametrize("data, reason", [
    (b"GIF89a but not really an image", "not_image"),
    (b"", "not_image"),
    ("truncated", "corrupt"),
    (png_claiming(30_000, 30_000), "bomb"),  # past Pillow's own limit: refused before reading
    (png_claiming(8_000, 8_000), "too_large"),  # past ours: refused before decoding
    (encoded(Image.new("RGB", (1, 1)), "PNG"), "too_small"),
    (encoded(Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300, 3), np.uint8)), "PNG"), "no_face"),
    (encoded(Image.new("RGB", (400, 300), BACKGROUND), "JPEG"), "no_face"),
])
def test_bad_photos_raise_a_face_error_with_its_reason(face, data, reason):
    if data == "truncated":
        whole = encoded(photo_of(face), "JPEG", quality=90)
        data = whole[:len(whole) // 2]
    with pytest.raises(FaceError) as caught:
        frame(data)
    assert caught.value.reason == reason
    assert str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("mode, format", [
    ("CMYK", "JPEG"), ("I;16", "PNG"), ("P", "PNG"), ("RGBA", "PNG"), ("L", "PNG"), ("LA", "PNG"), ("RGB", "WEBP"),
])
def test_every_image_mode_is_framed(face, mode, format):
    photo = photo_of(face)
    if mode == "I;16":  # 16-bit grey: Pillow cannot convert to it, so build it from the 8-bit values
        converted = Image.fromarray(np.asarray(photo.convert("L")).astype(np.uint16) * 257)
    else:
        converted = photo.convert(mode)
    framed = frame(encoded(converted, format))
    assert framed.crop.mode == "RGB" and framed.crop.size == (64, 64)
    if mode in ("CMYK", "P", "RGBA", "RGB"):  # the colour ones keep their colours
        assert psnr(framed.crop, face) > 18


def test_exif_rotation_is_applied_before_looking_for_a_face(face):
    upright = photo_of(face)
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # stored turned; EXIF 6 says turn it back
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encoded(sideways, "JPEG", quality=95, exif=exif)
    assert read_photo(data).size == upright.size
    assert psnr(frame(data).crop, face) > 18


def test_a_huge_photo_is_read_small(face, tmp_path):
    path = tmp_path / "huge.jpg"
    photo_of(face, side=2400, size=(6000, 4000), at=(1800, 800)).save(path, quality=80)
    image = read_photo(path)
    assert max(image.size) <= MAX_SIDE and image.size[0] / image.size[1] == pytest.approx(1.5, abs=0.01)
    assert frame(path).faces == 1


def test_a_hand_cropped_face_is_centre_cropped_and_resized(face):
    hand = photo_of(face, side=200, size=(260, 200), at=(30, 0))
    assert psnr(from_crop(encoded(hand, "PNG")), face) > 25


@pytest.fixture(scope="module")
def judge():
    from facegan.attributes import load_predictor

    return load_predictor(ROOT / "checkpoints" / "attributes" / "age-gender.safetensors")[0]


@pytest.fixture(scope="module")
def projected(dcgan, judge):
    """Three DCGAN faces and six WGAN faces (which DCGAN never drew) projected into DCGAN, 10 steps."""
    from facegan.export import load_generator
    from facegan.project import Settings, projector_for
    from facegan.sampling import render, seeded_noise

    own = render(dcgan, seeded_noise(3, 100, 7), fast=False)
    other = render(load_generator(ROOT / "checkpoints" / "wgan.safetensors")[0], seeded_noise(6, 100, 3), fast=False)
    projector = projector_for(DCGAN, judge, Settings(steps=10))
    assert projector.encoder is not None  # the shipped encoder matches the shipped weights
    return own, other, projector(torch.cat([own, other]))


def test_projecting_a_generated_face_recovers_it(dcgan, projected):
    from facegan.sampling import render, seeded_noise

    own, _, projection = projected
    targets = own.float() / 127.5 - 1
    chance = psnr_of(render(dcgan, seeded_noise(3, 100, 8), fast=False).float() / 127.5 - 1, targets)
    recovered = projection.psnr[:3]
    assert recovered.mean() > 23 and (recovered > chance + 8).all()
    assert (recovered >= projection.start_psnr[:3]).all()  # the steps improve on the encoder's guess


def test_the_judge_reads_a_projection_as_it_reads_the_face(judge, projected):
    from facegan.attributes import predict

    _, other, projection = projected
    (age, female), (projected_age, projected_female) = predict(judge, other), predict(judge, projection.images[3:])
    assert (projected_age - age).abs().mean() < 10
    assert ((projected_female > 0.5) == (female > 0.5)).sum() >= 5
    assert (projection.z[3:].norm(dim=1) / 10).sub(1).abs().max() < 0.25  # the prior keeps ‖z‖ ≈ √nz


def test_an_encoder_is_used_only_with_the_generator_it_was_trained_on(tmp_path):
    from facegan.encoder import encoder_metadata, encoder_path, load_encoder, save_encoder, train_encoder
    from facegan.export import CheckpointError, export_generator, load_generator
    from facegan.models import Generator, ModelConfig

    weights = tmp_path / "tiny.safetensors"
    torch.manual_seed(0)
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)).eval(), weights, {"mode": "dcgan"})
    assert load_encoder(weights) is None and encoder_metadata(weights) is None  # no encoder file: none
    generator = load_generator(weights)[0].requires_grad_(False)
    encoder, info = train_encoder(generator, samples=256, epochs=1, batch_size=64, log=lambda _: None)
    save_encoder(encoder, weights, info)
    assert encoder_path(weights) == tmp_path / "encoders" / "tiny.safetensors"  # beside the generator
    loaded, meta = load_encoder(weights)
    assert meta["generator"] == "tiny.safetensors" and meta["held_out_psnr"] == info["held_out_psnr"]
    assert encoder_metadata(weights) == meta
    x = torch.zeros(1, 3, 32, 32)
    assert torch.equal(loaded(x), encoder(x))
    torch.manual_seed(1)
    export_generator(Generator(ModelConfig(ngf=8, image_size=32)).eval(), weights, {"mode": "dcgan"})
    for check in (load_encoder, encoder_metadata):  # retrained weights: the old encoder is an error, not a None
        with pytest.raises(CheckpointError, match="trained on other weights than tiny.safetensors") as caught:
            check(weights)
        assert str(encoder_path(weights)) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "no metadata", "config not its weights"])
def test_an_unusable_encoder_file_raises_naming_it(tmp_path, damage):
    import json
    import shutil

    from safetensors.torch import load_file

    from facegan.encoder import METADATA_KEY, encoder_path, load_encoder
    from facegan.export import CheckpointError, save_safetensors

    weights = tmp_path / "dcgan.safetensors"
    shutil.copyfile(DCGAN, weights)
    path = encoder_path(weights)
    path.parent.mkdir()
    shipped = (ROOT / "checkpoints" / "encoders" / "dcgan.safetensors").read_bytes()
    path.write_bytes(shipped)
    meta = load_encoder(weights)[1]  # whole, it loads: only the damage makes it unusable
    if damage == "truncated":
        path.write_bytes(shipped[:-100])
    elif damage == "garbage":
        path.write_bytes(b"garbage")
    elif damage == "no metadata":
        save_safetensors(load_file(path), {}, path)
    else:
        save_safetensors(load_file(path), {METADATA_KEY: json.dumps({**meta, "config": {**meta["config"],
                                                                                       "widths": [16, 32]}})}, path)
    with pytest.raises(CheckpointError) as caught:
        load_encoder(weights)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message


def test_the_command_line_projects_a_photo_or_a_folder(face, tmp_path, capsys):
    from facegan.project import cli

    photos = tmp_path / "photos"
    photos.mkdir()
    photo_of(face).save(photos / "me.png")
    (photos / "notes.jpg").write_text("not a photo")
    out = tmp_path / "out"
    common = ["--model", "wgan", "--steps", "1", "--out", str(out), "--checkpoints", str(ROOT / "checkpoints")]
    assert cli([str(photos / "me.png"), *common]) == 0
    assert Image.open(out / "me.crop.png").size == (64, 64) and Image.open(out / "me.wgan.png").size == (64, 64)
    assert "me.png: 1 face" in capsys.readouterr().out
    assert cli([str(photos), *common]) == 0  # a folder: the bad file is skipped, with a line saying why
    assert "notes.jpg: skipped: not an image" in capsys.readouterr().err
    for bad in ([str(photos / "notes.jpg"), *common], [str(tmp_path / "missing.jpg"), *common],
                [str(photos), "--model", "nope", "--checkpoints", str(ROOT / "checkpoints")], []):
        assert cli(bad) == 2
        err = capsys.readouterr().err
        assert err.startswith("project: error: ") and err.count("\n") == 1


def test_the_command_line_names_an_unusable_encoder_or_directions(face, tmp_path, capsys):
    import shutil

    from facegan.export import update_metadata
    from facegan.project import cli

    folder = tmp_path / "checkpoints"
    (folder / "encoders").mkdir(parents=True)
    shutil.copyfile(DCGAN, folder / "dcgan.safetensors")
    encoder = (ROOT / "checkpoints" / "encoders" / "dcgan.safetensors").read_bytes()
    (folder / "encoders" / "dcgan.safetensors").write_bytes(encoder[:len(encoder) // 2])
    photo_of(face).save(tmp_path / "me.png")
    common = ["--checkpoints", str(folder), "--steps", "1", "--out", str(tmp_path / "out"),
              "--predictor", str(ROOT / "checkpoints" / "attributes" / "age-gender.safetensors")]
    assert cli([str(tmp_path / "me.png"), *common]) == 2
    err = capsys.readouterr().err
    assert err.startswith("project: error: encoder ") and err.count("\n") == 1
    assert str(folder / "encoders" / "dcgan.safetensors") in err
    (folder / "encoders" / "dcgan.safetensors").unlink()  # no encoder at all: projected from the random start
    assert cli([str(tmp_path / "me.png"), *common]) == 0
    assert "dcgan PSNR" in capsys.readouterr().out
    update_metadata(folder / "dcgan.safetensors", {"editing": {"directions": {"age": [0.0] * 7}}})
    assert cli(["--grid", str(tmp_path / "grid.png"), *common]) == 2
    err = capsys.readouterr().err
    assert f"{folder / 'dcgan.safetensors'}: its edit directions cannot be used" in err and err.count("\n") == 1
    assert not (tmp_path / "grid.png").exists()
