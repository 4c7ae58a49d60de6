"""The model graph (GAN Lab's overview): z → G → G(z) → D ← x, the two losses and the two updates, drawn as
SVG from a run's settings, with one round's sub-step (SUBSTEPS) highlighted. Symbols only: the studio adds the
sentence that explains the sub-step in the page's language."""

from __future__ import annotations

from html import escape

from .config import OBJECTIVES, LabConfig

WIDTH, HEIGHT = 560, 250
ON, OFF = "#e8590c", "#868e96"  # the highlighted sub-step's colour, everything else's
# Which boxes and arrows each of config.SUBSTEPS lights up.
LIT = {
    "d_real": {"x", "x-d", "D"},
    "d_fake": {"z", "z-g", "G", "g-gz", "gz", "gz-d", "D"},
    "d_update": {"D", "loss_d", "update_d"},
    "g_forward": {"z", "z-g", "G", "g-gz", "gz", "gz-d", "D", "loss_g"},
    "g_update": {"G", "loss_g", "update_g"},
}


def terms(config: LabConfig) -> tuple[str, str, str]:
    """The objective written out: D's loss, G's loss, and the Lipschitz constraint (or "")."""
    o = OBJECTIVES[config.objective]
    if o.loss == "dcgan":
        loss_d = "L_D = −log D(x) − log(1 − D(G(z)))"
        loss_g = "L_G = log(1 − D(G(z)))" if o.saturating else "L_G = −log D(G(z))"
    elif o.loss == "wgan":
        loss_d, loss_g = "L_D = D(G(z)) − D(x)", "L_G = −D(G(z))"
    else:
        loss_d, loss_g = f"L_D: {o.loss}", f"L_G: {o.loss}"
    if o.penalty:
        loss_d += f" + λ(‖∇D(x̂)‖ − 1)², λ = {config.gp_lambda:g}"
    constraint = f"after each D update: w ← clip(w, −c, c), c = {config.clip:g}" if o.clip else ""
    return loss_d, loss_g, constraint


def _box(key: str, lit: set, x: int, y: int, w: int, h: int, title: str, detail: str = "") -> str:
    color = ON if key in lit else OFF
    body = (f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="white" stroke="{color}" '
            f'stroke-width="{3 if key in lit else 1.5}"/>'
            f'<text x="{x + w / 2}" y="{y + (h / 2 if not detail else h / 2 - 4)}" text-anchor="middle" '
            f'font-size="14" font-weight="bold" fill="{color}">{escape(title)}</text>')
    if detail:
        body += (f'<text x="{x + w / 2}" y="{y + h / 2 + 12}" text-anchor="middle" font-size="10" '
                 f'fill="#495057">{escape(detail)}</text>')
    return f'<g data-part="{key}">{body}</g>'


def _arrow(key: str, lit: set, x0: float, y0: float, x1: float, y1: float, dashed: bool = False) -> str:
    color = ON if key in lit else OFF
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    return (f'<line data-part="{key}" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="{color}" '
            f'stroke-width="{3 if key in lit else 1.5}" marker-end="url(#head-{"on" if key in lit else "off"})"'
            f'{dash}/>')


def svg(config: LabConfig, substep: str | None = None) -> str:
    """The graph for config's run, with substep (one of SUBSTEPS, or None) highlighted."""
    lit = LIT.get(substep, set())
    o = OBJECTIVES[config.objective]
    loss_d, loss_g, constraint = terms(config)
    noise = f"{config.noise} {config.noise_dim}-D"
    g_net = f"{config.noise_dim}→{config.g_width}×{config.g_depth}→2"
    d_net = f"2→{config.d_width}×{config.d_depth}→1" + (" (critic)" if o.loss == "wgan" else "")
    g_opt = f"{config.optimizer} lr {config.lr_g:g}, {config.g_steps}/round"
    d_opt = f"{config.optimizer_d} lr {config.lr_d:g}, {config.d_steps}/round"
    parts = [
        _box("z", lit, 10, 30, 70, 44, "z", noise),
        _box("G", lit, 120, 24, 130, 56, "G", g_net),
        _box("gz", lit, 290, 30, 70, 44, "G(z)"),
        _box("x", lit, 290, 150, 70, 44, "x", config.distribution),
        _box("D", lit, 400, 86, 140, 56, "D", d_net),
        _arrow("z-g", lit, 80, 52, 118, 52), _arrow("g-gz", lit, 250, 52, 288, 52),
        _arrow("gz-d", lit, 360, 60, 398, 100), _arrow("x-d", lit, 360, 164, 398, 130),
        _box("loss_d", lit, 400, 190, 140, 30, "L_D", d_opt),
        _box("loss_g", lit, 120, 110, 130, 30, "L_G", g_opt),
        _arrow("update_d", lit, 470, 188, 470, 144, dashed=True),
        _arrow("update_g", lit, 185, 108, 185, 82, dashed=True),
        f'<text x="10" y="{HEIGHT - 30}" font-size="11" fill="#212529">{escape(loss_d)}</text>',
        f'<text x="10" y="{HEIGHT - 16}" font-size="11" fill="#212529">{escape(loss_g)}</text>',
        f'<text x="10" y="{HEIGHT - 2}" font-size="11" fill="#212529">{escape(constraint)}</text>',
    ]
    heads = "".join(f'<marker id="head-{name}" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
                    f'<path d="M0,0 L8,4 L0,8 z" fill="{color}"/></marker>'
                    for name, color in (("on", ON), ("off", OFF)))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
            f'style="max-width: {WIDTH + 80}px" data-substep="{substep or ""}" role="img">'
            f'<defs>{heads}</defs>{"".join(parts)}</svg>')
