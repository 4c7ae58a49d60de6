import numpy as np
import pytest
import torch
from PIL import Image

from facegan import data
from facegan.data import DataError, ImageBank, find_images, load_folder
from facegan.images import load_image


def save(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def test_finds_images_recursively_and_ignores_other_files(image_folder):
    (image_folder / "notes.txt").write_text("not an image")
    files = find_images(image_folder)
    assert len(files) == 40
    assert {f.suffix for f in files} == {".png", ".jpg", ".webp", ".bmp"}


def test_centre_crop_and_resize(tmp_path):
    # 30×10: red 10×10 on each side, green in the middle; the square crop is all green.
    pixels = np.zeros((10, 30, 3), np.uint8)
    pixels[:, :10] = pixels[:, 20:] = (255, 0, 0)
    pixels[:, 10:20] = (0, 255, 0)
    out = load_image(save(tmp_path / "wide.png", Image.fromarray(pixels)), 32)
    assert out.shape == (32, 32, 3)
    assert (out[..., 1] > 250).all() and (out[..., 0] < 5).all()


def palette_image(colour):
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, *colour] + [0] * 762)
    return image


@pytest.mark.parametrize("make, expected", [
    (lambda: Image.new("L", (8, 8), 200), (200, 200, 200)),
    (lambda: palette_image((10, 20, 30)), (10, 20, 30)),
    (lambda: Image.new("RGBA", (8, 8), (255, 0, 0, 0)), (255, 255, 255)),  # transparent → white
    (lambda: Image.new("LA", (8, 8), (0, 255)), (0, 0, 0)),
    (lambda: Image.new("CMYK", (8, 8), (0, 0, 0, 0)), (255, 255, 255)),
    (lambda: Image.fromarray(np.full((8, 8), 65535, np.uint16)), (255, 255, 255)),  # 16-bit: scaled, not clipped
    (lambda: Image.fromarray(np.full((8, 8), 32768, np.uint16)), (128, 128, 128)),
])
def test_modes_become_rgb(tmp_path, make, expected):
    ext = "tiff" if make().mode == "CMYK" else "png"
    out = load_image(save(tmp_path / f"x.{ext}", make()), 8)
    assert out.shape == (8, 8, 3)
    assert np.abs(out.astype(int) - expected).max() <= 1


def test_unreadable_files_are_skipped_with_one_warning(image_folder):
    (image_folder / "broken.jpg").write_bytes(b"not a jpeg at all")
    good = next(image_folder.rglob("*.png")).read_bytes()
    (image_folder / "truncated.png").write_bytes(good[: len(good) // 2])
    with pytest.warns(UserWarning, match=r"skipped 2 unreadable image\(s\):.*broken\.jpg") as record:
        images = load_folder(image_folder, 32)
    assert len(record) == 1
    assert images.shape == (40, 3, 32, 32) and images.dtype == torch.uint8


def test_decompression_bombs_are_refused(tmp_path, monkeypatch):
    save(tmp_path / "faces" / "ok.png", Image.new("RGB", (16, 16)))
    save(tmp_path / "faces" / "huge.png", Image.new("RGB", (200, 200)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)
    with pytest.warns(UserWarning, match="skipped 1 .*huge.png"):
        assert len(load_folder(tmp_path / "faces", 16)) == 1


def test_empty_and_missing_folders_are_clear_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no images in"):
        load_folder(tmp_path / "empty", 32)
    with pytest.raises(DataError, match="not found"):
        load_folder(tmp_path / "nowhere", 32)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.png").write_bytes(b"garbage")
    with pytest.raises(DataError, match="could be read: a.png"):
        load_folder(tmp_path / "junk", 32)


def test_second_load_comes_from_the_cache(image_folder, monkeypatch):
    first = load_folder(image_folder, 32)
    monkeypatch.setattr(data, "load_image", lambda *a: pytest.fail("decoded again despite the cache"))
    assert torch.equal(load_folder(image_folder, 32), first)


def test_cache_notices_changed_files(image_folder):
    load_folder(image_folder, 32)
    save(image_folder / "new.png", Image.new("RGB", (32, 32), (255, 255, 255)))
    assert len(load_folder(image_folder, 32)) == 41


def test_bank_batches_are_scaled_flipped_and_reproducible():
    images = torch.zeros(10, 3, 4, 4, dtype=torch.uint8)
    images[:, :, :, :2] = 255  # white left half, black right half
    bank = ImageBank(images, batch_size=4, seed=0, device=torch.device("cpu"))
    torch.manual_seed(0)
    batch = bank.batch(0)
    assert batch.shape == (4, 3, 4, 4) and batch.dtype == torch.float32
    assert set(batch.unique().tolist()) == {-1.0, 1.0}  # [-1, 1], not ImageNet mean/std
    torch.manual_seed(0)
    assert torch.equal(bank.batch(0), batch)
    flipped = torch.cat([bank.batch(k)[:, 0, 0, 0] == -1 for k in range(20)])  # left column black
    assert 0.3 < flipped.float().mean() < 0.7


def test_bank_epochs_cover_every_image_once():
    images = torch.arange(12, dtype=torch.uint8).view(12, 1, 1, 1).expand(12, 3, 2, 2).contiguous()
    bank = ImageBank(images, batch_size=4, seed=3, device=torch.device("cpu"))
    seen = torch.cat([bank.batch(k)[:, 0, 0, 0] for k in range(3)])
    assert sorted(((seen + 1) * 127.5).round().int().tolist()) == list(range(12))


def test_batch_larger_than_data_is_an_error():
    with pytest.raises(DataError, match="larger than the data set"):
        ImageBank(torch.zeros(3, 3, 4, 4, dtype=torch.uint8), 8, 0, torch.device("cpu"))


def test_ranks_draw_disjoint_shares_of_the_global_batch():
    from facegan.distributed import World

    images = torch.arange(24, dtype=torch.uint8).view(24, 1, 1, 1).expand(24, 3, 2, 2).contiguous()
    cpu = torch.device("cpu")
    one = ImageBank(images, 8, seed=5, device=cpu)
    ranks = [ImageBank(images, 4, seed=5, device=cpu, world=World(r, 2)) for r in range(2)]
    assert ranks[0].per_epoch == one.per_epoch == 3
    for k in range(3):
        torch.manual_seed(k)
        whole = one.batch(k)
        shares = []
        for bank in ranks:
            torch.manual_seed(k)  # every rank's RNG is in the same state
            shares.append(bank.batch(k))
        assert torch.equal(torch.cat(shares), whole)  # same images and flips as one process of batch 2B
