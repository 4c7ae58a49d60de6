"""GAN objectives on discriminator logits / critic scores.

Each returns a scalar to minimise. Scores are cast to fp32 first, so the losses
are exact under bf16 autocast.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MODES = ("dcgan", "wgan", "wgan-gp")


def discriminator_loss(mode: str, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """DCGAN: BCE-with-logits on real=1, fake=0. WGAN(-GP): E[D(fake)] - E[D(real)]."""
    real_scores, fake_scores = real_scores.float(), fake_scores.float()
    if mode == "dcgan":
        # softplus(-x) = -log(sigmoid(x)): BCE without a saturating sigmoid layer.
        return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()
    return fake_scores.mean() - real_scores.mean()


def generator_loss(mode: str, fake_scores: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """DCGAN: the non-saturating -log D(G(z)). WGAN(-GP): -E[D(G(z))].

    saturating (DCGAN only): the original minimax form, minimising log(1 - D(G(z))), whose
    gradient vanishes once D rejects the fakes confidently (shown in the Lab; never used for faces).
    """
    fake_scores = fake_scores.float()
    if mode == "dcgan":
        # log(1 - sigmoid(x)) = -softplus(x)
        return -F.softplus(fake_scores).mean() if saturating else F.softplus(-fake_scores).mean()
    return -fake_scores.mean()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     alpha: torch.Tensor | None = None, runs: bool = False) -> torch.Tensor:
    """Gulrajani et al.'s E[(‖∇D(x̂)‖₂ - 1)²] on random interpolates x̂, in fp32.

    Autocast is switched off: the penalty differentiates through a gradient, and
    bf16 rounding there makes the norm too noisy to hold it at 1. alpha (N×1×…×1,
    uniform) places x̂ between real and fake; drawn here when not given. Any rank:
    images (N×C×H×W) and the Lab's 2-D points (N×2) alike. runs: real and fake hold independent runs'
    batches (R×N×…, the critic scoring each run's own), and the penalty is one per run (R values).
    """
    lead = 2 if runs else 1  # the dimensions that index samples
    if alpha is None:
        alpha = torch.rand(*real.shape[:lead], *(1,) * (real.ndim - lead), device=real.device)
    interpolates = torch.lerp(real.float(), fake.float(), alpha).requires_grad_(True)
    with torch.autocast(real.device.type, enabled=False):
        scores = critic(interpolates)
        (grads,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    return (grads.flatten(lead).norm(2, dim=lead) - 1).square().mean(-1)


@torch.no_grad()
def clip_weights(critic: nn.Module, clip: float) -> None:
    """WGAN's Lipschitz constraint: every critic parameter into [-clip, clip], in two multi-tensor kernels."""
    params = list(critic.parameters())
    torch._foreach_clamp_min_(params, -clip)
    torch._foreach_clamp_max_(params, clip)
