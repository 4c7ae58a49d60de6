"""A photo → the 64×64 face crop the generators were trained on: read safely, find the face, align, crop.

The training crops are UTKFace's "aligned & cropped" faces, whole-image resized to 64×64:
eyes level, at fixed points near the top. The detector is OpenCV's Haar cascades (their
files ship inside the opencv-python-headless wheel, so nothing is downloaded): the
frontal-face cascade finds the face, the eye cascade its eyes inside it, and a similarity
transform (rotation, scale, shift) puts the eyes where the crops have theirs. Where the
eyes are not found, they are placed where the same face cascade's box has them on the crops.

The template below was measured by running these same cascades on 600 UTKFace crops
(upscaled to 256 px with a 128 px border): median eye centres and face box, in crop pixels.
Measuring with the detector that later reads the photos cancels its bias.
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .images import IMAGE_EXTENSIONS, centre_square, to_rgb

CROP = 64
LEFT_EYE, RIGHT_EYE = (18.1, 18.6), (43.5, 18.6)  # in the image's own left-to-right order
FACE_BOX = (-1.75, -7.0, 66.25)  # the face cascade's box on a crop: left, top, side (it overhangs the crop)
MAX_PIXELS = 50_000_000  # larger images are refused before decoding: 50 MP of RGBA is 200 MB
MAX_SIDE = 1024  # photos are shrunk to this before detection: a face of 64 px needs no more
MIN_SIDE = 16
DETECT_SIDE = 320  # small photos are enlarged to this for the cascades, whose smallest face is 24 px

REASONS = {  # English texts of FaceError; the studio has these keys in every language
    "not_image": "not an image file that can be read ({detail})",
    "corrupt": "the image file is corrupt or truncated ({detail})",
    "too_large": "the image is too large: {width}×{height} pixels, at most {limit} million",
    "bomb": "the image says it is far larger than {limit} million pixels: refused unread (a decompression bomb?)",
    "too_small": "the image is too small: {width}×{height} pixels, at least {minimum}×{minimum}",
    "no_face": "no face found in the photo: try a sharper, frontal, well-lit one, or crop the face by hand",
}


class FaceError(ValueError):
    """A photo that cannot be framed; `reason` (a REASONS key) and `values` let the studio say why in any language."""

    def __init__(self, reason: str, **values) -> None:
        self.reason, self.values = reason, values
        super().__init__(REASONS[reason].format(**values))


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x, y, width, height in photo pixels
    eyes: tuple[tuple[float, float], tuple[float, float]]  # left and right in image order
    eyes_found: bool  # False: placed from the box, as the crops have them


@dataclass(frozen=True)
class Framed:
    crop: Image.Image  # 64×64 RGB
    face: Face
    faces: int  # how many faces the detector found (the largest is framed)


def read_photo(source: str | Path | bytes | Image.Image, max_side: int = MAX_SIDE) -> Image.Image:
    """Any image → upright RGB (EXIF rotation applied), at most max_side pixels a side.

    The size is checked before decoding, and JPEGs are decoded at a reduced scale, so a
    huge photo or a decompression bomb never fills the memory.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = source if isinstance(source, Image.Image) else Image.open(
                io.BytesIO(source) if isinstance(source, bytes) else source)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise FaceError("too_large", width=width, height=height, limit=MAX_PIXELS // 1_000_000)
            if min(width, height) < MIN_SIDE:
                raise FaceError("too_small", width=width, height=height, minimum=MIN_SIDE)
            image.draft("RGB", (max_side, max_side))  # JPEG only: decode at 1/2, 1/4 or 1/8 scale
            image.load()
            image = ImageOps.exif_transpose(image)
            image = to_rgb(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise FaceError("bomb", limit=MAX_PIXELS // 1_000_000) from error
    except UnidentifiedImageError as error:
        raise FaceError("not_image", detail=type(error).__name__) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        if isinstance(error, FaceError):
            raise
        raise FaceError("corrupt", detail=str(error).splitlines()[0][:120] or type(error).__name__) from None
    image.thumbnail((max_side, max_side), Image.LANCZOS)
    return image


_cascades = threading.local()


def cascade(name: str):
    """One of OpenCV's bundled Haar cascades, loaded once per thread: detectMultiScale is not documented as
    re-entrant, so the studio's request threads never share one."""
    import cv2  # imported on first use: the studio starts without it

    loaded = _cascades.__dict__.setdefault("by_name", {})
    if name not in loaded:
        loaded[name] = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    return loaded[name]


def eyes_from_box(box: tuple[float, float, float, float]) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where the crops' eyes sit relative to the face cascade's box, placed in this box."""
    x, y, w, _ = box
    left, top, side = FACE_BOX
    return tuple((x + (ex - left) / side * w, y + (ey - top) / side * w) for ex, ey in (LEFT_EYE, RIGHT_EYE))


def find_eyes(gray: np.ndarray, box: tuple[int, int, int, int]) -> tuple[tuple[float, float], ...] | None:
    """The pair of eyes in the face box nearest to where the crops have them (one each side), or None."""
    x, y, w, h = box
    roi = gray[y:y + h * 5 // 8, x:x + w]
    found = cascade("haarcascade_eye.xml").detectMultiScale(roi, 1.1, 5, minSize=(max(w // 8, 5),) * 2)
    centres = [(x + ex + ew / 2, y + ey + eh / 2) for ex, ey, ew, eh in found]
    expected = eyes_from_box(box)
    pairs = [(left, right) for left in centres for right in centres if left[0] < x + w / 2 < right[0]]
    close = [pair for pair in pairs if max(map(math.dist, pair, expected)) < 0.15 * w]
    return min(close, key=lambda pair: sum(map(math.dist, pair, expected)), default=None)


def find_faces(image: Image.Image) -> list[Face]:
    """Every frontal face in the photo, largest first (the cascades see a grey copy, enlarged when small)."""
    import cv2

    scale = max(1.0, DETECT_SIDE / min(image.size))
    gray = np.asarray(image.convert("L"))
    if scale > 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    gray = cv2.equalizeHist(gray)
    boxes = cascade("haarcascade_frontalface_default.xml").detectMultiScale(gray, 1.1, 4, minSize=(24, 24))
    faces = []
    for box in sorted(boxes.tolist() if len(boxes) else [], key=lambda b: -b[2] * b[3]):
        eyes = find_eyes(gray, box)

        faces.append(Face(tuple(v / scale for v in box),
                          tuple((ex / scale, ey / scale) for ex, ey in eyes or eyes_from_box(box)), eyes is not None))
    return faces


def align(image: Image.Image, left_eye: tuple[float, float], right_eye: tuple[float, float],
          size: int = CROP) -> Image.Image:
    """The size×size crop that puts the photo's eyes where the training crops have theirs, eyes level.

    Rendered at 4× (bilinear) and then shrunk with Lanczos, so a large face is not aliased.
    """
    over = 4 * size / CROP
    (ax, ay), (bx, by) = LEFT_EYE, RIGHT_EYE
    target = complex(bx - ax, by - ay) * over  # eye to eye in the crop, at the 4× size
    source = complex(right_eye[0] - left_eye[0], right_eye[1] - left_eye[1])
    if abs(source) < 1e-6:
        raise FaceError("no_face")
    m = source / target  # crop → photo: rotation and scale as one complex number
    # photo = m · (crop − crop_eye) + photo_eye, written as PIL's inverse affine (a, b, c, d, e, f)
    ox, oy = ax * over, ay * over
    c = left_eye[0] - (m.real * ox - m.imag * oy)
    f = left_eye[1] - (m.imag * ox + m.real * oy)
    big = round(4 * size)
    crop = image.transform((big, big), Image.AFFINE, (m.real, -m.imag, c, m.imag, m.real, f),
                           resample=Image.BILINEAR, fillcolor=edge_colour(image))
    return crop.resize((size, size), Image.LANCZOS)


def edge_colour(image: Image.Image) -> tuple[int, int, int]:
    """The photo's mean border colour: what fills the crop where it reaches past the photo."""
    a = np.asarray(image)
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    return tuple(int(v) for v in border.mean(0))


def frame(source: str | Path | bytes | Image.Image) -> Framed:
    """The photo's largest face, aligned and cropped to 64×64 as the training crops are."""
    image = read_photo(source)
    faces = find_faces(image)
    if not faces:
        raise FaceError("no_face")
    face = faces[0]
    return Framed(align(image, *face.eyes), face, len(faces))


def from_crop(source: str | Path | bytes | Image.Image) -> Image.Image:
    """A face the visitor cropped by hand: centre square, 64×64, as the training data loader frames images."""
    return centre_square(read_photo(source)).resize((CROP, CROP), Image.LANCZOS)


def photo_files(path: Path) -> list[Path]:
    """The image files of a folder (not recursive, sorted), or the file itself."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    return [path]
