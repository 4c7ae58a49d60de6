"""The Lab's pictures: the live field, curves and animation drawn with numpy and PIL (fast enough for several
pictures a second, which matplotlib is not), and the claims' figures drawn with matplotlib (once per experiment).

The field is GAN Lab's layered view (Kahng et al. 2018): the discriminator's output as a heat map
(green where it says "real", purple where it says "generated"), the generator's noise grid mapped
through G as a warped mesh (a curve for 1-D noise), real points (green), generated points (purple), and at the generated
points arrows along −∇ₓ of the generator's loss: where each point is being pushed. Text in the
pictures is symbols and objective names only; the studio says the rest in the page's language. Each layer can
be left out (LAYERS).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..figures import new_figure, save_figure
from .runs import Snapshot
from .targets import VIEW

FIELD_PX = 400
REAL, FAKE, ARROW, MESH_RGB = (22, 128, 60), (124, 58, 170), (20, 20, 20), (150, 150, 150)
# Heat-map colours: purple (says generated) → white (undecided) → green (says real).
_LOW, _MID, _HIGH = np.array([150, 110, 200.0]), np.array([250, 250, 250.0]), np.array([120, 200, 140.0])
LAYERS = ("real", "fake", "heat", "arrows", "manifold")  # GAN Lab's layer toggles
GIF_FRAMES, GIF_SECONDS, GIF_PX = 60, 5.0, 240  # an animation: at most this many frames, this long, this size
CURVE_COLORS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14)]


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _to_px(points: np.ndarray, size: int) -> np.ndarray:
    """Data coordinates in [-VIEW, VIEW]² → pixel coordinates, y up."""
    px = (points + VIEW) / (2 * VIEW) * (size - 1)
    return np.stack([px[..., 0], size - 1 - px[..., 1]], -1)


def heat_colors(heat: np.ndarray, probability: bool) -> np.ndarray:
    """H×W values → H×W×3 uint8. A probability maps 0…1 onto the colours directly; a critic's
    scores are centred on their median and scaled by their largest deviation (their scale is arbitrary)."""
    if probability:
        t = heat * 2 - 1
    else:
        centred = heat - np.median(heat)
        t = centred / max(float(np.abs(centred).max()), 1e-12)
    t = np.clip(np.nan_to_num(t), -1, 1)[..., None]  # a diverged D's NaN shows as undecided
    rgb = np.where(t < 0, _MID + (_LOW - _MID) * -t, _MID + (_HIGH - _MID) * t)
    return rgb.astype(np.uint8)


def field(snapshot: Snapshot, size: int = FIELD_PX, title: str = "", layers: Sequence[str] = LAYERS) -> Image.Image:
    """One frame of a run: heat map, mesh (or curve), real and generated points, and the generator's gradient,
    each drawn if it is among layers."""
    if "heat" in layers:
        heat = Image.fromarray(heat_colors(snapshot.heat, snapshot.probability))
        image = heat.resize((size, size), Image.BILINEAR)
    else:
        image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    if "manifold" in layers:
        mesh = _to_px(snapshot.mesh, size)
        lines = [*mesh, *mesh.transpose(1, 0, 2)] if len(mesh) > 1 else list(mesh)  # 1-D noise: one curve
        for line in lines:
            line = line[np.isfinite(line).all(1)]
            if len(line) > 1:
                draw.line([tuple(p) for p in line], fill=MESH_RGB, width=2 if len(mesh) == 1 else 1)
    for name, points, color in (("real", snapshot.real, REAL), ("fake", snapshot.fake, FAKE)):
        if name in layers:
            for x, y in _to_px(points[np.isfinite(points).all(1)], size):
                draw.ellipse((x - 1.6, y - 1.6, x + 1.6, y + 1.6), fill=color)
    push = snapshot.push[::4] if "arrows" in layers else snapshot.push[:0]
    longest = float(np.nan_to_num(np.linalg.norm(push, axis=1)).max()) if len(push) else 0.0
    if longest > 0:  # scaled per frame so that the longest arrow is 8% of the picture
        starts = snapshot.fake[::4]
        ends = starts + push / longest * (0.16 * VIEW)
        for (x0, y0), (x1, y1) in zip(_to_px(starts, size), _to_px(ends, size), strict=True):
            draw.line((x0, y0, x1, y1), fill=ARROW, width=1)
    if title:
        draw.text((8, 6), title, fill=(0, 0, 0), font=_font(16))
    return image


def _series_panel(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], series: Sequence[tuple[str, list]],
                  log: bool = False) -> None:
    """Lines in box, each scaled to the box's common range, with their names and last values."""
    x0, y0, x1, y1 = box
    draw.rectangle(box, outline=(200, 200, 200))
    values = [np.asarray([np.nan if v is None else v for v in vs], float) for _, vs in series]
    if log:
        values = [np.log10(np.maximum(v, 1e-12)) for v in values]
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.empty(0)
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    legend_x = x0 + 6
    for (name, raw), v, color in zip(series, values, CURVE_COLORS, strict=False):
        if len(v) > 1:
            xs = x0 + 4 + np.arange(len(v)) / (len(v) - 1) * (x1 - x0 - 8)
            ys = y1 - 4 - (v - low) / (high - low) * (y1 - y0 - 24)
            points = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
            if len(points) > 1:
                draw.line(points, fill=color, width=2)
        last = next((r for r in reversed(raw) if r is not None), None)
        label = f"{name} {last:.3g}" if isinstance(last, (int, float)) else name
        draw.text((legend_x, y0 + 3), label, fill=color, font=_font(13))
        legend_x += draw.textlength(label, font=_font(13)) + 12


def curves(history: Sequence[dict], width: int = FIELD_PX, height: int = FIELD_PX) -> Image.Image:
    """The live curves: D and G loss; the critic's estimate beside the exact W1; KL and JS by grid; modes covered;
    ‖∇θG‖ (log)."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    column = {k: [h[k] for h in history] for k in history[0]} if history else {}
    panels = [([("L_D", column.get("loss_d", [])), ("L_G", column.get("loss_g", []))], False),
               ([("W1", column.get("w1", [])), ("E[D(x)]-E[D(G(z))]", column.get("estimate", []))], False),
               ([("KL(real|fake) bits", column.get("kl", [])), ("JS bits", column.get("js", []))], False),
               ([("|grad G| (log)", column.get("grad_g", []))], True)]
    if history and history[0]["modes"] is not None:
        total = history[0]["modes_total"]  # both as shares, on one scale: modes covered of K, samples within 3σ
        panels.insert(3, ([(f"modes/{total}", [m / total for m in column["modes"]]),
                           ("in 3 sigma", column["high_quality"])], False))
    rows = len(panels)
    for i, (series, log) in enumerate(panels):
        top = 4 + i * (height - 4) // rows
        _series_panel(draw, (4, top, width - 5, top + (height - 4) // rows - 6), series, log)
    return image


def side_by_side(frames: Sequence[Image.Image]) -> Image.Image:
    """Fields next to each other, 8 px apart."""
    width = sum(f.width for f in frames) + 8 * (len(frames) - 1)
    out = Image.new("RGB", (width, max(f.height for f in frames)), "white")
    x = 0
    for f in frames:
        out.paste(f, (x, 0))
        x += f.width + 8
    return out


def animation(frames: Sequence[Snapshot], title: str = "", layers: Sequence[str] = LAYERS) -> bytes:
    """An animated GIF of a run so far: at most GIF_FRAMES moments spread evenly over frames, each the field
    beside the curves up to that moment, GIF_SECONDS long in all."""
    picks = np.unique(np.linspace(0, len(frames) - 1, min(len(frames), GIF_FRAMES)).round().astype(int))
    history = [s.metrics for s in frames]
    pictures = [side_by_side([field(frames[i], GIF_PX, title, layers), curves(history[:i + 1], GIF_PX, GIF_PX)])
                for i in picks]
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], loop=0, optimize=True,
                     duration=round(1000 * GIF_SECONDS / len(pictures)))
    return out.getvalue()


def surfaces(result: dict, size: int = 360) -> Image.Image:
    """Critic value surfaces side by side (clipping, penalty), with the real and the fixed generated points."""
    frames = []
    for name, title in (("wgan", "WGAN: clip"), ("wgan-gp", "WGAN-GP: penalty")):
        moment = Snapshot({}, result["real"], result["fake"], np.zeros_like(result["fake"]), result[name]["surface"],
                          np.zeros((0, 0, 2)), probability=False)
        frames.append(field(moment, size, title, layers=("heat", "real", "fake")))
    return side_by_side(frames)


# --- the claims' figures (matplotlib) -------------------------------------------------------------
def vanishing_figure(a: dict, path: Path | None = None) -> Image.Image:
    fig = new_figure()
    ax = fig.add_subplot(1, 1, 1)
    for key, label, color in (("saturating", "GAN minimax: log(1 − D(G(z)))", "tab:red"),
                              ("non_saturating", "GAN non-saturating: −log D(G(z))", "tab:blue"),
                              ("wasserstein", "WGAN-GP critic: −D(G(z))", "tab:green")):
        ax.semilogy(a["d_steps"], np.maximum(a[key], 1e-12), label=label, color=color)
    ax.set_xlabel("D steps (G fixed)")
    ax.set_ylabel("‖∇θ G‖")
    twin = ax.twinx()
    twin.plot(a["d_steps"], a["accuracy"], color="gray", linestyle="--", label="D accuracy")
    twin.set_ylabel("D accuracy")
    twin.set_ylim(0.4, 1.02)
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(lines, [h.get_label() for h in lines], fontsize=8, loc="lower left")
    return save_figure(fig, path)


def progress_figure(b: dict, path: Path | None = None) -> Image.Image:
    fig = new_figure(width=3 * len(b), height=3.2)
    for i, (objective, result) in enumerate(b.items()):
        ax = fig.add_subplot(1, len(b), i + 1)
        c = result["curves"]
        ax.plot(c["step"], c["w1"], color="black", label="exact W1")
        ax.set_xlabel("G steps")
        twin = ax.twinx()
        twin.plot(c["step"], c["loss_d"], color="tab:red", label="D loss")
        twin.plot(c["step"], c["estimate"], color="tab:green", label="estimate", alpha=0.8)
        ax.set_title(f"{objective}\nr(loss,W1) {result['r_loss']:+.2f}  r(est,W1) {result['r_estimate']:+.2f}",
                     fontsize=9)
        if i == 0:
            lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
            ax.legend(lines, [h.get_label() for h in lines], fontsize=7)
    return save_figure(fig, path)


def collapse_figure(c: dict, path: Path | None = None) -> Image.Image:
    fig = new_figure(width=8, height=3.2)
    names = list(c)
    for k, (key, label, top) in enumerate((("modes", "modes covered", None), ("high_quality", "within 3σ", 1.0))):
        ax = fig.add_subplot(1, 2, k + 1)
        values = [c[n][key] for n in names]
        ax.bar(range(len(names)), [np.mean(v) for v in values], color="lightsteelblue")
        for i, v in enumerate(values):
            ax.scatter([i] * len(v), v, color="navy", s=12, zorder=3)
        ax.set_xticks(range(len(names)), names, fontsize=8)
        ax.set_ylabel(label)
        ax.set_ylim(0, top or c[names[0]]["modes_total"] + 0.5)
    return save_figure(fig, path)


def claim_figures(a: dict, b: dict, c: dict, folder: Path) -> list[Path]:
    """The three claims' figures as PNGs in folder."""
    paths = [folder / "claim-a-vanishing-gradient.png", folder / "claim-b-loss-vs-progress.png",
             folder / "claim-c-mode-collapse.png"]
    vanishing_figure(a, paths[0])
    progress_figure(b, paths[1])
    collapse_figure(c, paths[2])
    return paths
