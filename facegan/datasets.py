"""The face folders the shipped models were trained and measured on, made from the archives their owners publish.

    python -m facegan.datasets prepare utkface UTKFace.tar.gz data/utkface64
    python -m facegan.datasets prepare celeba img_align_celeba.zip data/celeba10k
    python -m facegan.datasets checksum data/utkface64

Preparing is resumable: each face is written under a temporary name and renamed when whole, and faces already
in OUT are kept. The checksum covers the sorted file names and the decoded pixels, not the JPEG bytes, so a
user can compare their folder with the one behind the README's numbers (docs/data.md publishes it).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import sys
import tarfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from .cli import Parser
from .cli import run as run_cli
from .files import atomic_write
from .images import centre_square


class PrepareError(ValueError):
    """An archive or output folder that a data set cannot be prepared from or into; the message says why."""


@dataclass(frozen=True)
class Recipe:
    """How one data set's folder is made from its published archive."""

    archive: str  # the file name its owners publish
    folder: str  # the folder name the project's docs use
    output_name: Callable[[str], str | None]  # archive member's base name -> face file name, None to leave out
    size: Callable[[Image.Image], tuple[int, int]]  # the output width and height for an input face
    square: bool  # centre-crop to a square before resizing
    quality: int  # JPEG quality of the written faces
    dedupe: bool  # leave out byte-identical members, keeping the first name in sorted order
    checksum: str  # of the folder behind the README's numbers


def _utkface_name(name: str) -> str | None:
    """`{age}_{gender}_{race}_{datetime}.jpg.chip.jpg` -> `….jpg`: the labels stay in the name."""
    if not name.endswith(".chip.jpg"):
        return None
    stem = name.removesuffix(".chip.jpg")
    return stem if stem.endswith(".jpg") else stem + ".jpg"


def _celeba_name(name: str) -> str | None:
    """CelebA's first 10,000 aligned faces, 000001.jpg to 010000.jpg."""
    match = re.fullmatch(r"(\d{6})\.jpg", name)
    return name if match and 1 <= int(match[1]) <= 10_000 else None


RECIPES = {
    "utkface": Recipe("UTKFace.tar.gz", "utkface64", _utkface_name, lambda image: (64, 64), square=True,
                      quality=95, dedupe=True,
                      checksum="sha256:4ee30600684c8b92ca421148e2eda96186c653c87deec2b5141d8b5a03c7b3d2"),
    "celeba": Recipe("img_align_celeba.zip", "celeba10k", _celeba_name,
                     lambda image: (image.width // 2, image.height // 2), square=False, quality=75, dedupe=False,
                     checksum="sha256:5d47d3ef393b4329c36f85818449d7ce0886af70adcd154f8157ce89f19db8a8"),
}


def _read_members(archive: Path, wanted: Callable[[str], str | None]) -> dict[str, bytes]:
    """Output name -> bytes of the archive member it is made from, for each wanted member of a .tar(.gz) or .zip."""
    chosen: dict[str, bytes] = {}

    def keep(member: str, read: Callable[[], bytes]) -> None:
        out = wanted(member.rsplit("/", 1)[-1])
        if out is not None and out not in chosen:
            chosen[out] = read()

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if not info.is_dir():
                        keep(info.filename, lambda info=info: zf.read(info))
            return chosen
        with tarfile.open(archive) as tf:
            for info in tf:
                if info.isfile():
                    keep(info.name, lambda info=info: tf.extractfile(info).read())
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        raise PrepareError(f"{archive} is not a whole .tar, .tar.gz or .zip archive ({error})") from error
    return chosen


def _select(recipe: Recipe, archive: Path) -> dict[str, bytes]:
    """Output name -> bytes of the archive member it is made from, duplicates left out."""
    chosen = _read_members(archive, recipe.output_name)
    if not chosen:
        raise PrepareError(f"{archive} holds none of the faces expected in {recipe.archive}")
    if recipe.dedupe:
        seen: set[bytes] = set()
        for out in sorted(chosen):
            digest = hashlib.sha256(chosen[out]).digest()
            if digest in seen:
                del chosen[out]
            seen.add(digest)
    return chosen


def convert(recipe: Recipe, data: bytes) -> Image.Image:
    """One archive face -> the face as the folder holds it (before JPEG encoding)."""
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
    if recipe.square:
        image = centre_square(image)
    size = recipe.size(image)
    return image if image.size == size else image.resize(size, Image.LANCZOS)


def _write(recipe: Recipe, data: bytes, path: Path) -> None:
    try:
        image = convert(recipe, data)
    except (OSError, ValueError, SyntaxError) as error:
        raise PrepareError(f"cannot read {path.name} from the archive ({error})") from error
    with atomic_write(path) as tmp:
        image.save(tmp, "JPEG", quality=recipe.quality)


def checksum(folder: str | Path, progress: bool = False) -> str:
    """sha256 over the sorted .jpg names and their decoded RGB pixels."""
    files = sorted(Path(folder).glob("*.jpg"))
    digest = hashlib.sha256()
    for path in tqdm(files, unit="face", desc="checksum", disable=not progress):
        with Image.open(path) as image:
            pixels = image.convert("RGB")
        digest.update(f"{path.name}\0{pixels.width}x{pixels.height}\0".encode())
        digest.update(pixels.tobytes())
    return f"sha256:{digest.hexdigest()}"


def prepare(name: str, archive: str | Path, out: str | Path, progress: bool = True) -> str:
    """Make data set `name`'s folder in out from its archive; faces already there are kept. Returns the checksum."""
    recipe, archive, out = RECIPES[name], Path(archive), Path(out)
    if not archive.is_file():
        raise PrepareError(f"archive not found: {archive} (download {recipe.archive}, see docs/data.md)")
    if out.exists() and not out.is_dir():
        raise PrepareError(f"{out} exists and is not a folder")
    chosen = _select(recipe, archive)
    out.mkdir(parents=True, exist_ok=True)
    todo = [(data, out / n) for n, data in sorted(chosen.items()) if not (out / n).exists()]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool, \
            tqdm(total=len(chosen), initial=len(chosen) - len(todo), unit="face", desc=recipe.folder,
                 disable=not progress) as bar:
        for _ in pool.map(lambda job: _write(recipe, *job), todo):
            bar.update()
    return checksum(out, progress)


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m facegan.datasets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("prepare", help="make a data set's folder from its published archive")
    make.add_argument("dataset", choices=sorted(RECIPES))
    make.add_argument("archive", type=Path, help="UTKFace.tar.gz or img_align_celeba.zip, as downloaded")
    make.add_argument("out", type=Path, help="the folder to write, e.g. data/utkface64")
    make.add_argument("--no-progress", action="store_true")
    check = commands.add_parser("checksum", help="the checksum of a prepared folder")
    check.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "checksum":
        if not args.folder.is_dir():
            raise PrepareError(f"folder not found: {args.folder}")
        print(checksum(args.folder))
        return 0
    digest = prepare(args.dataset, args.archive, args.out, progress=not args.no_progress)
    published = RECIPES[args.dataset].checksum
    verdict = "matches the published folder" if digest == published else f"differs from the published {published}"
    print(f"{args.out}: {len(list(args.out.glob('*.jpg'))):,} faces, checksum {digest} ({verdict})")
    return 0


def cli(argv: list[str] | None = None) -> int:
    return run_cli(main, argv, "facegan.datasets", expected=(PrepareError,))


if __name__ == "__main__":
    sys.exit(cli())
