"""Critic value surfaces (Gulrajani et al. 2017, figure 1): a critic trained towards optimality on fixed real
points and fixed "generated" ones (the real points plus Gaussian noise), once under weight clipping and once
under the gradient penalty, and how simple each surface is.

How simple: the share of the surface's variance over the picture that a plane explains (R²). Under clipping the
critic can hardly be more than a tilted plane, whatever the data; under the penalty it follows the data.
"""

from __future__ import annotations

import numpy as np
import torch

from ..losses import clip_weights, discriminator_loss, gradient_penalty
from ..optim import make_optimizer
from .config import OBJECTIVES, LabConfig
from .nets import mlp, seeded_init
from .runs import EVAL_POINTS, HEAT, one_thread, view_cells
from .targets import target

CONSTRAINTS = ("wgan", "wgan-gp")  # clipping, penalty: each with its own recipe
NOISE = 0.25  # the fixed "generator": the real points moved by N(0, NOISE²)


def critic_surfaces(config: LabConfig, steps: int = 1000) -> dict:
    """For each of CONSTRAINTS, a critic of config's D size trained `steps` steps on fixed points: its value on a
    HEAT×HEAT grid over the view, the plane's R², and ‖∇ₓD‖ at the points. Also the points themselves."""
    gen = torch.Generator().manual_seed(config.seed)
    points = target(config.distribution, config.strokes)
    real = points.sample(EVAL_POINTS, gen)
    fake = real + NOISE * torch.randn(real.shape, generator=gen)
    grid = view_cells()
    out = {"real": real.numpy(), "fake": fake.numpy(), "steps": steps}
    with one_thread():
        for name in CONSTRAINTS:
            settings = LabConfig.for_objective(name, d_width=config.d_width, d_depth=config.d_depth)
            objective = OBJECTIVES[name]
            critic = seeded_init(mlp(2, 1, settings.d_width, settings.d_depth), torch.Generator().manual_seed(
                config.seed))
            opt = make_optimizer(settings.optimizer_d, critic.parameters(), settings.lr_d,
                                 (settings.beta1_d, settings.beta2_d), fused=True)
            for _ in range(steps):
                pick = torch.randint(len(real), (config.batch,), generator=gen)
                loss = discriminator_loss("wgan", critic(real[pick]), critic(fake[pick]))
                if objective.penalty:
                    alpha = torch.rand(config.batch, 1, generator=gen)
                    loss = loss + settings.gp_lambda * gradient_penalty(critic, real[pick], fake[pick], alpha)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if objective.clip:
                    clip_weights(critic, settings.clip)
            with torch.no_grad():
                surface = critic(grid).view(HEAT, HEAT).numpy()
            both = torch.cat([real, fake]).requires_grad_(True)
            (slopes,) = torch.autograd.grad(critic(both).sum(), both)
            out[name] = {"surface": surface, "plane_r2": plane_r2(surface),
                         "grad_norm": float(slopes.norm(dim=1).mean())}
    return out


def plane_r2(surface: np.ndarray) -> float:
    """The share of surface's variance that the best plane a·x + b·y + c explains (1 for a plane)."""
    h, w = surface.shape
    ys, xs = np.mgrid[:h, :w]
    design = np.stack([xs.ravel(), ys.ravel(), np.ones(h * w)], 1)
    values = surface.ravel().astype(float)
    residual = values - design @ np.linalg.lstsq(design, values, rcond=None)[0]
    spread = float(((values - values.mean()) ** 2).sum())
    return 1.0 if spread == 0 else 1 - float((residual ** 2).sum()) / spread
