"""Optimisers, their saved state, the device, and each face mode's recipe.

The face trainer and the Lab build their optimisers here, so the Lab depends on this and on the losses,
never on the face trainer.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

# Each face mode's recipe; every value can be overridden from the command line.
MODE_DEFAULTS = {
    "dcgan": dict(optimizer="adam", lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999, n_critic=1, critic_norm="batch"),
    "wgan": dict(optimizer="rmsprop", lr_g=5e-5, lr_d=5e-5, beta1=0.0, beta2=0.0, n_critic=5, critic_norm="batch"),
    "wgan-gp": dict(optimizer="adam", lr_g=1e-4, lr_d=1e-4, beta1=0.0, beta2=0.9, n_critic=5, critic_norm="layer"),
}
# By name, as the command lines and the Lab choose them; rmsprop-tf1 is TensorFlow 1's RMSProp (TF1RMSprop).
OPTIMIZERS = ("adam", "rmsprop", "sgd", "rmsprop-tf1")
# How an optimiser runs, not what it learnt: a saved state keeps the loading optimiser's own.
IMPLEMENTATION_FLAGS = ("foreach", "fused", "capturable", "differentiable")


def resolve_device(name: str) -> torch.device:
    """"auto" → CUDA where there is a GPU, else the CPU; "cuda" without one is an error, not a quiet CPU run."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda asked for, but PyTorch sees no CUDA GPU")
    return torch.device(name)


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float,
                   betas: tuple[float, float] = (0.9, 0.999), fused: bool = False) -> torch.optim.Optimizer:
    """Adam, RMSprop or SGD (the face trainer's and the Lab's) in its fastest form: fused kernels where asked
    (on CUDA, and for the Lab's tiny nets, where per-tensor launches dominate), multi-tensor (foreach) kernels
    otherwise; RMSprop has no fused form. Or TensorFlow 1's RMSProp (the Lab's, for gan_toy.py's WGAN).
    betas are Adam's only."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused, foreach=not fused)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=True)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, fused=fused, foreach=not fused)
    if name == "rmsprop-tf1":
        return TF1RMSprop(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")


def load_optimizer_state(optimizer: torch.optim.Optimizer, saved: dict) -> None:
    """optimizer.load_state_dict(saved), keeping optimizer's implementation flags and its moments' layout.

    PyTorch would take the saved flags (a CPU run's foreach into fused CUDA Adam, or capturable=False
    into a CUDA-graphed one) and the saved memory format, which a safetensors round trip loses.
    """
    groups = [{**saved_group, **{k: group[k] for k in IMPLEMENTATION_FLAGS if k in group}}
              for saved_group, group in zip(saved["param_groups"], optimizer.param_groups, strict=True)]
    optimizer.load_state_dict({**saved, "param_groups": groups})
    for p, state in optimizer.state.items():
        for key, value in state.items():
            if torch.is_tensor(value) and value.shape == p.shape:
                state[key] = torch.empty_like(p).copy_(value)


class TF1RMSprop(torch.optim.Optimizer):
    """TensorFlow 1's `tf.train.RMSPropOptimizer` at its defaults (no momentum), as WGAN-GP's gan_toy.py trains
    its clipped WGAN: ms ← ρ·ms + (1 − ρ)·g², θ ← θ − lr·g / √(ms + ε), with ρ = 0.9, ε = 1e-10 inside the root
    and ms starting at 1.

    Its own optimiser because torch's RMSprop is another one: its average starts at 0 (and ρ = 0.99, ε outside
    the root), so its first step is lr·g / (0.1·|g|) = 10·lr per weight whatever the gradient, where
    TensorFlow's first steps are about lr·g, a warm-up that lasts until 0.9^t has decayed."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, decay: float = 0.9,
                 eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, decay=decay, eps=eps))

    @torch.no_grad()
    def step(self, closure: None = None) -> None:
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            for p in params:
                if not self.state[p]:
                    self.state[p].update(step=torch.tensor(0.0), square_avg=torch.ones_like(p))
                self.state[p]["step"] += 1
            grads, squares = [p.grad for p in params], [self.state[p]["square_avg"] for p in params]
            torch._foreach_mul_(squares, group["decay"])
            torch._foreach_addcmul_(squares, grads, grads, value=1 - group["decay"])
            roots = torch._foreach_add(squares, group["eps"])
            torch._foreach_sqrt_(roots)
            torch._foreach_addcdiv_(params, grads, roots, value=-group["lr"])
