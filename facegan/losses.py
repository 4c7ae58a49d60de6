"""GAN objectives on discriminator logits / critic scores.

Each returns a scalar to minimise. Scores are cast to fp32 first, so the losses
are exact under bf16 autocast.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

MODES = ("dcgan", "wgan", "wgan-gp")  # the face trainer's objectives
LOSSES = ("dcgan", "wgan", "wgan-gp", "lsgan", "hinge")  # every form the two losses below take


def _check(mode: str) -> None:
    if mode not in LOSSES:
        raise ValueError(f"unknown loss mode {mode!r}: choose one of {', '.join(LOSSES)}")


def discriminator_loss(mode: str, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """DCGAN: BCE-with-logits on real=1, fake=0. WGAN(-GP): E[D(fake)] - E[D(real)].
    LSGAN (Mao et al. 2017, a=0, b=c=1): ½E[(D(real) - 1)²] + ½E[D(fake)²].
    Hinge (Lim & Ye 2017; Miyato et al. 2018): E[max(0, 1 - D(real))] + E[max(0, 1 + D(fake))]."""
    _check(mode)
    real_scores, fake_scores = real_scores.float(), fake_scores.float()
    if mode == "dcgan":
        # softplus(-x) = -log(sigmoid(x)): BCE without a saturating sigmoid layer.
        return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()
    if mode == "lsgan":
        return 0.5 * (real_scores - 1).square().mean() + 0.5 * fake_scores.square().mean()
    if mode == "hinge":
        return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()
    return fake_scores.mean() - real_scores.mean()


def generator_loss(mode: str, fake_scores: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """DCGAN: the non-saturating -log D(G(z)). WGAN(-GP) and hinge: -E[D(G(z))]. LSGAN: ½E[(D(G(z)) - 1)²].

    saturating (DCGAN only): the original minimax form, minimising log(1 - D(G(z))), whose
    gradient vanishes once D rejects the fakes confidently (shown in the Lab; never used for faces).
    """
    _check(mode)
    fake_scores = fake_scores.float()
    if mode == "dcgan":
        # log(1 - sigmoid(x)) = -softplus(x)
        return -F.softplus(fake_scores).mean() if saturating else F.softplus(-fake_scores).mean()
    if mode == "lsgan":
        return 0.5 * (fake_scores - 1).square().mean()
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
    grads = _input_gradients(critic, torch.lerp(real.float(), fake.float(), alpha))
    return (grads.flatten(lead).norm(2, dim=lead) - 1).square().mean(-1)


def r1_penalty(critic: nn.Module, real: torch.Tensor) -> torch.Tensor:
    """Mescheder et al.'s (2018) R1: E[‖∇D(x)‖₂²] on real data only, in fp32; the caller weighs it by γ/2.

    It pushes D's gradient towards zero where the data is, so that D stops pushing the generator
    once it matches the data: locally convergent where the unregularised GAN can oscillate."""
    return _input_gradients(critic, real.float()).flatten(1).square().sum(1).mean()


def _input_gradients(critic: nn.Module, points: torch.Tensor) -> torch.Tensor:
    """∇ₓ D(x) at each point, kept in the graph so that a penalty on it trains D; autocast off (see above)."""
    points = points.detach().requires_grad_(True)
    with torch.autocast(points.device.type, enabled=False):
        (grads,) = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    return grads


@torch.no_grad()
def clip_weights(critic: nn.Module, clip: float) -> None:
    """WGAN's Lipschitz constraint: every critic parameter into [-clip, clip], in two multi-tensor kernels."""
    params = list(critic.parameters())
    torch._foreach_clamp_min_(params, -clip)
    torch._foreach_clamp_max_(params, clip)


def spectral_normalize(net: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    """Miyato et al.'s (2018) spectral normalisation on every linear and convolutional layer of net: each
    weight divided by its largest singular value (one power iteration per forward in training), so that
    every layer, and with 1-Lipschitz activations the whole net, is at most 1-Lipschitz.

    With a generator, each layer's starting singular vectors are drawn from it, in PyTorch's order, and refined
    as PyTorch refines them (15 power iterations, and one more as registering the parametrisation runs it):
    PyTorch draws them from the process-wide stream, which a studio's concurrent runs share, so a run would
    not be determined by its own seed."""
    for layer in list(net.modules()):
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.utils.parametrizations.spectral_norm(layer)
            if generator is not None:
                norm, weight = layer.parametrizations.weight[0], layer.parametrizations.weight.original
                matrix = norm._reshape_weight_to_matrix(weight)
                with torch.no_grad():
                    for vector in (norm._u, norm._v):
                        vector.copy_(F.normalize(torch.randn(len(vector), generator=generator), dim=0, eps=norm.eps))
                    norm._power_method(matrix, 16)
    return net


def pack(samples: torch.Tensor, m: int) -> torch.Tensor:
    """PacGAN's packing (Lin et al. 2018): m consecutive samples concatenated into one, N×… → N/m × m·…,
    so that D judges m samples at once and a generator that repeats itself is easy to tell apart."""
    if m == 1:
        return samples
    if len(samples) % m:
        raise ValueError(f"packing {m} samples at a time needs a multiple of {m}, not {len(samples)}")
    return samples.reshape(len(samples) // m, -1)


def unrolled_generator_loss(critic: nn.Module, mode: str, real: torch.Tensor, fake: torch.Tensor, steps: int,
                            optimizer: torch.optim.Adam) -> torch.Tensor:
    """The Unrolled GAN's generator objective (Metz et al. 2017), f(θ_G, θ_D^K(θ_G, θ_D)): the GAN's value, minus
    D's loss with its real-data term, on (real, fake) at D's parameters after `steps` more updates on this batch.

    The generator minimises it. θ_D^K depends on the fakes, so G's gradient flows through all K updates and
    through both terms: the real term says how D's answer to G's move changes its verdict on the data. (The
    authors' notebook minimises minus the unrolled D loss, the same thing.) With steps = 0 it is the minimax
    GAN's generator loss plus a term that does not depend on G."""
    params = unrolled_parameters(critic, mode, real, fake, steps, optimizer)
    scores = functional_call(critic, params, (torch.cat([real, fake]),))
    return -discriminator_loss(mode, scores[:len(real)], scores[len(real):])


def unrolled_parameters(critic: nn.Module, mode: str, real: torch.Tensor, fake: torch.Tensor, steps: int,
                        optimizer: torch.optim.Adam) -> dict[str, torch.Tensor]:
    """The critic's parameters after `steps` more Adam updates of its loss on (real, fake), as functions of
    fake: `unrolled_generator_loss` differentiates through them. The updates continue the optimizer's own state
    (moments and step count) from step to step, as the authors' notebook carries Keras's Adam state through
    the unrolled graph; D itself is not changed."""
    group = optimizer.param_groups[0]
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    params = dict(critic.named_parameters())
    moments = []
    for p in params.values():
        state = optimizer.state.get(p, {})
        moments.append((state.get("exp_avg", torch.zeros_like(p)), state.get("exp_avg_sq", torch.zeros_like(p)),
                        float(state.get("step", 0))))
    n = len(real)
    for _ in range(steps):
        scores = functional_call(critic, params, (torch.cat([real, fake]),))
        loss = discriminator_loss(mode, scores[:n], scores[n:])
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        updated, moved = {}, []
        for (name, p), g, (m, v, t) in zip(params.items(), grads, moments, strict=True):
            m, v, t = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g, t + 1
            # torch's step, m̂ / (√v̂ + ε); √ of at least the smallest normal number, so that where a gradient
            # is exactly 0 (v̂ = 0) the derivative is 0, not ∞ · 0
            v_hat = v / (1 - beta2**t)
            updated[name] = p - lr * (m / (1 - beta1**t)) / (v_hat.clamp_min(torch.finfo(v.dtype).tiny).sqrt() + eps)
            moved.append((m, v, t))
        params, moments = updated, moved
    return params
