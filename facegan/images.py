"""One image file → RGB pixels framed as every face here is framed: decoding, colour and the centre square.

The training loader, the data-set preparation, the age/gender judge and a visitor's photo all read images
through these, so a face is cropped and converted the same way wherever it comes from.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode → 8-bit RGB; transparency is composited onto white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Deep greyscale: PIL's convert("L") clips instead of scaling.
        array = np.asarray(image, dtype=np.float64)
        if image.mode == "F":  # float images: stretch to their own range
            array = array - array.min()
            top = max(float(array.max()), 1e-12)
        else:
            top = 65535.0 if array.max() > 255 else 255.0
        image = Image.fromarray(np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "P" or image.mode == "LA" or (image.mode == "L" and "transparency" in image.info):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "RGBa"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return image.convert("RGB")


def centre_square(image: Image.Image) -> Image.Image:
    """The largest square at the image's centre: how every face here is framed before it is resized."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def load_image(path: Path, size: int) -> np.ndarray:
    """Decode, convert to RGB, centre-crop to a square and resize: size×size×3 uint8."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            image.load()
            image = to_rgb(image)
    image = centre_square(image)
    if image.width != size:
        image = image.resize((size, size), Image.LANCZOS)
    return np.asarray(image, dtype=np.uint8)
