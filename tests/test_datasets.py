"""Preparing the face data sets from archives shaped like the ones their owners publish."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facegan import datasets
from facegan.datasets import RECIPES, checksum, prepare
from tests.conftest import SHARED_DATA


def jpeg(seed: int, size: tuple[int, int]) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = np.kron(rng.integers(0, 256, (size[1] // 10, size[0] // 10, 3)), np.ones((10, 10, 1)))
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).resize(size).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


UTK_NAMES = ["25_0_1_20170116000000001.jpg.chip.jpg", "3_1_2_20170116000000002.jpg.chip.jpg",
             "55_0_0_20170116232725357jpg.chip.jpg", "70_1_3_20170116000000004.jpg.chip.jpg"]


@pytest.fixture(scope="module")
def utkface_archive(tmp_path_factory) -> Path:
    """Four faces, a byte-identical copy of the first under a later name, and a file that is no face."""
    path = tmp_path_factory.mktemp("archives") / "UTKFace.tar.gz"
    members = {name: jpeg(i, (200, 200)) for i, name in enumerate(UTK_NAMES)}
    members["99_0_0_20170116000000009.jpg.chip.jpg"] = members[UTK_NAMES[0]]
    members["README.txt"] = b"not a face"
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(f"UTKFace/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_utkface_faces_are_cropped_resized_deduplicated_and_keep_their_labels(utkface_archive, tmp_path):
    digest = prepare("utkface", utkface_archive, tmp_path / "utk", progress=False)
    names = sorted(p.name for p in (tmp_path / "utk").iterdir())
    assert names == ["25_0_1_20170116000000001.jpg", "3_1_2_20170116000000002.jpg",
                     "55_0_0_20170116232725357jpg.jpg", "70_1_3_20170116000000004.jpg"]
    with Image.open(tmp_path / "utk" / names[0]) as image:
        assert (image.size, image.mode, image.format) == ((64, 64), "RGB", "JPEG")
    assert digest == checksum(tmp_path / "utk") and digest.startswith("sha256:")


def test_preparing_resumes_and_keeps_what_is_there(utkface_archive, tmp_path):
    out = tmp_path / "utk"
    first = prepare("utkface", utkface_archive, out, progress=False)
    kept, lost = out / "3_1_2_20170116000000002.jpg", out / "70_1_3_20170116000000004.jpg"
    os.utime(kept, ns=(0, 0))
    lost.unlink()
    assert prepare("utkface", utkface_archive, out, progress=False) == first
    assert lost.exists() and kept.stat().st_mtime_ns == 0


def test_the_checksum_sees_pixels_and_names(utkface_archive, tmp_path):
    out = tmp_path / "utk"
    first = prepare("utkface", utkface_archive, out, progress=False)
    face = out / "3_1_2_20170116000000002.jpg"
    face.rename(out / "4_1_2_20170116000000002.jpg")
    renamed = checksum(out)
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out / "4_1_2_20170116000000002.jpg")
    assert len({first, renamed, checksum(out)}) == 3


def test_celeba_keeps_the_first_ten_thousand_at_half_size(tmp_path):
    archive = tmp_path / "img_align_celeba.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i, number in enumerate([1, 2, 10_000, 10_001]):
            zf.writestr(f"img_align_celeba/{number:06d}.jpg", jpeg(i, (178, 218)))
    prepare("celeba", archive, tmp_path / "celeba", progress=False)
    names = sorted(p.name for p in (tmp_path / "celeba").iterdir())
    assert names == ["000001.jpg", "000002.jpg", "010000.jpg"]
    with Image.open(tmp_path / "celeba" / "000001.jpg") as image:
        assert image.size == (89, 109)


@pytest.mark.parametrize("arguments, message", [
    (["prepare", "utkface", "missing.tar.gz", "out"], "archive not found: missing.tar.gz"),
    (["prepare", "utkface", "not-an-archive.tar.gz", "out"], "is not a whole .tar, .tar.gz or .zip archive"),
    (["prepare", "celeba", "UTKFace.tar.gz", "out"], "holds none of the faces expected in img_align_celeba.zip"),
    (["prepare", "ffhq", "UTKFace.tar.gz", "out"], "invalid choice: 'ffhq'"),
    (["checksum", "nowhere"], "folder not found: nowhere"),
])
def test_bad_input_is_one_line_and_exit_2(utkface_archive, tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-an-archive.tar.gz").write_bytes(b"\x1f\x8b broken")
    (tmp_path / "UTKFace.tar.gz").write_bytes(utkface_archive.read_bytes())
    assert datasets.cli(arguments) == 2
    err = capsys.readouterr().err
    assert err.startswith("facegan.datasets: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_python_m_facegan_datasets_prepares_and_says_the_checksum(utkface_archive, tmp_path):
    result = subprocess.run([sys.executable, "-m", "facegan.datasets", "prepare", "utkface", str(utkface_archive),
                             str(tmp_path / "utk"), "--no-progress"], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert f"4 faces, checksum {checksum(tmp_path / 'utk')}" in result.stdout
    assert "differs from the published" in result.stdout



@pytest.mark.parametrize("name", sorted(RECIPES))
def test_the_published_checksum_is_that_of_the_real_folder(name):
    folder = SHARED_DATA / RECIPES[name].folder
    if not folder.is_dir():
        pytest.skip(f"the real {RECIPES[name].folder} is not in this test environment ({folder})")
    assert checksum(folder) == RECIPES[name].checksum
