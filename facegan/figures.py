"""Matplotlib figures of their own, drawn by Agg: every plot here is made this way.

pyplot keeps global figures, so two handlers drawing at once would draw on each other's; a Figure with
its own canvas has no shared state, and importing matplotlib only here keeps it off start-up paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(width: float = 9, height: float = 3.6) -> Figure:
    """An empty figure with a canvas of its own."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: Path | None) -> Image.Image:
    """The figure laid out and drawn as a picture, also written to path when one is given."""
    fig.tight_layout()
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    if path is not None:
        image.save(path)
    return image
