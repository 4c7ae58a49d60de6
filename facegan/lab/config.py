"""A Lab run's settings: the objectives with their recipes, every knob and its range."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..optim import OPTIMIZERS
from .nets import ACTIVATIONS, INITS
from .targets import BENCH_DISTRIBUTIONS, DISTRIBUTIONS, LabError, target

NOISES = ("gaussian", "uniform")
# How a round updates the nets: alternate (D's steps, then G's, each on fresh batches: most papers, GAN Lab) or joint
# (one D and one G update from one batch, both gradients at the same parameters: ALI's algorithm, which PacGAN's
# code trains with, and the Unrolled GAN notebook's simultaneous ops).
UPDATES = ("alternate", "joint")
SUBSTEPS = ("d_real", "d_fake", "d_update", "g_forward", "g_update")  # one round, as the model graph shows it
MAX_STEPS = 20_000  # a run's rounds in the tab
SCHEDULE_STEPS = 400_000  # a run's rounds in the engine: the longest published schedule, PacGAN's 400 epochs
# Every numeric setting's range (whole numbers where the ends are ints): the engine's check, the tab's fields and
# messages, and the command line all read it. The caps on the tab's own settings keep one round on a laptop's
# single core short enough for a live picture; widths, noise and the literature's settings reach as far as the
# published benchmark suites need; a run's steps reach the longest published schedule, where the tab's stay within
# MAX_STEPS (TAB_LIMITS).
LIMITS = {"g_width": (1, 512), "g_depth": (1, 6), "d_width": (1, 512), "d_depth": (1, 6), "d_steps": (0, 10),
          "batch": (2, 2048), "steps": (1, SCHEDULE_STEPS), "seed": (0, 2**32 - 1), "lr_g": (1e-6, 10.0),
          "lr_d": (1e-6, 10.0), "beta1": (0.0, 0.999), "beta2": (0.0, 0.9999), "clip": (1e-4, 10.0),
          "gp_lambda": (0.0, 1000.0), "g_steps": (0, 10), "beta1_d": (0.0, 0.999), "beta2_d": (0.0, 0.9999),
          "noise_dim": (1, 256),
          # the literature's nets and fixes
          "d_maxout": (1, 8), "pack": (1, 8), "unroll": (0, 10), "r1_gamma": (0.0, 1000.0), "d_scale": (0.01, 100.0),
          "init_gain": (0.01, 10.0)}
TAB_LIMITS = {**LIMITS, "steps": (1, MAX_STEPS)}  # the studio's fields and messages
# D's optimiser settings, which follow G's unless set apart (GAN Lab sets each net's).
PER_NET = {"optimizer_d": "optimizer", "beta1_d": "beta1", "beta2_d": "beta2"}


@dataclass(frozen=True)
class Objective:
    """What an objective is: its losses (a `facegan.losses` mode), its Lipschitz constraint, its recipe."""

    loss: str  # a form facegan.losses knows: "dcgan" (sigmoid + BCE), "wgan" (critic scores), "lsgan", "hinge"
    saturating: bool = False  # the generator minimises log(1 − D(G(z))), the original minimax game
    clip: bool = False
    penalty: bool = False
    recipe: dict = field(default_factory=dict)
    # the field's fixes (each a `facegan.losses` function); packing and unrolling are settings the recipe fills
    r1: bool = False  # R1 penalty on real data, weight r1_gamma / 2
    spectral: bool = False  # spectral normalisation of every D layer


# Each objective's optimiser and critic steps as in the face recipes (facegan.optim.MODE_DEFAULTS), with
# learning rates of 1e-3 (RMSprop: 5e-4), with which 2-D points train in seconds; WGAN-GP's Adam betas are
# Gulrajani et al.'s for their 2-D experiments. Everything that is no part of an objective (data, nets, noise,
# batch, steps, seed) is the same for all.
OBJECTIVES = {
    "gan-minimax": Objective("dcgan", saturating=True,
                             recipe=dict(optimizer="adam", lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999, d_steps=1)),
    "gan": Objective("dcgan", recipe=dict(optimizer="adam", lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999, d_steps=1)),
    "wgan": Objective("wgan", clip=True,
                      recipe=dict(optimizer="rmsprop", lr_g=5e-4, lr_d=5e-4, beta1=0.0, beta2=0.0, d_steps=5)),
    "wgan-gp": Objective("wgan", penalty=True,
                         recipe=dict(optimizer="adam", lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.9, d_steps=5)),
}
# The field's fixes, each on the GAN's recipe: other losses (LSGAN, hinge), a penalty (R1), a constraint
# (spectral normalisation), a discriminator that sees m samples at once (PacGAN), a generator that looks
# ahead k discriminator steps (Unrolled GAN).
_GAN_RECIPE = OBJECTIVES["gan"].recipe
OBJECTIVES |= {
    "lsgan": Objective("lsgan", recipe=_GAN_RECIPE),
    "hinge": Objective("hinge", recipe=_GAN_RECIPE),
    "gan-r1": Objective("dcgan", r1=True, recipe=_GAN_RECIPE),
    "gan-sn": Objective("dcgan", spectral=True, recipe=_GAN_RECIPE),
    "pacgan2": Objective("dcgan", recipe={**_GAN_RECIPE, "pack": 2}),
    "pacgan4": Objective("dcgan", recipe={**_GAN_RECIPE, "pack": 4}),
    "unrolled": Objective("dcgan", recipe={**_GAN_RECIPE, "unroll": 5}),
}


@dataclass(frozen=True)
class LabConfig:
    distribution: str = "ring"
    objective: str = "gan"
    noise: str = "gaussian"
    g_width: int = 64
    g_depth: int = 3  # hidden layers
    d_width: int = 64
    d_depth: int = 3
    optimizer: str = "adam"  # G's optimiser (D's: optimizer_d)
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    beta1: float = 0.5  # G's Adam betas; unused by RMSprop and SGD
    beta2: float = 0.999
    d_steps: int = 1  # discriminator/critic steps per round (0 freezes D)
    clip: float = 0.01  # wgan: critic weights in [-clip, clip]
    gp_lambda: float = 0.1  # wgan-gp: penalty weight (Gulrajani et al.'s 2-D experiments; 10 for images)
    batch: int = 256
    steps: int = 2000  # rounds (with one G step per round, generator steps)
    seed: int = 0
    strokes: tuple = ()  # the drawn distribution: polylines of (x, y) in [-VIEW, VIEW]
    # GAN Lab's per-net settings and noise: D's own optimiser, G steps per round (0 freezes G), noise of 1-256 dims
    optimizer_d: str = "adam"
    beta1_d: float = 0.5
    beta2_d: float = 0.999
    g_steps: int = 1
    noise_dim: int = 2

    # The literature's nets and fixes (the benchmark suites set them; the defaults are the tab's nets)
    g_batchnorm: bool = False  # BatchNorm before each of G's ReLUs
    d_maxout: int = 1  # maxout pieces per D unit (1: ReLU)
    init: str = "uniform"  # weights: see nets.seeded_init
    pack: int = 1  # PacGAN: D sees this many samples concatenated (batch: packed samples)
    unroll: int = 0  # Unrolled GAN: G's loss through D after this many more Adam steps of D
    r1_gamma: float = 1.0  # the R1 objective's penalty weight γ (the loss adds γ/2 · R1)
    activation: str = "relu"  # both nets' (maxout units aside)
    d_scale: float = 1.0  # D divides its input by this (the Unrolled GAN paper's 4)
    init_gain: float = 1.0  # the orthogonal initialisation's gain
    update: str = "alternate"  # see UPDATES

    def __post_init__(self) -> None:
        """Strokes as tuples, however they came (JSON gives lists), so that equal settings compare equal;
        malformed ones are left for check() to name."""
        sequence = (list, tuple)
        strokes = self.strokes if isinstance(self.strokes, sequence) else [None]
        if all(isinstance(stroke, sequence) and all(isinstance(p, sequence) for p in stroke) for stroke in strokes):
            object.__setattr__(self, "strokes", tuple(tuple(tuple(p) for p in stroke) for stroke in self.strokes))

    @classmethod
    def for_objective(cls, objective: str = "gan", **overrides) -> LabConfig:
        """The objective's recipe, with any non-None override on top; an optimiser or betas given for G alone
        are D's too."""
        if objective not in OBJECTIVES:
            raise LabError(f"unknown objective {objective!r}: choose one of {', '.join(OBJECTIVES)}")
        values = {**OBJECTIVES[objective].recipe, **{k: v for k, v in overrides.items() if v is not None}}
        for d, shared in PER_NET.items():  # D's optimiser settings follow G's unless given
            if shared in values:
                values.setdefault(d, values[shared])
        return cls(objective=objective, **values)

    def check(self) -> LabConfig:
        """Every setting in range, or one LabError naming it."""
        for name, choices in (("distribution", DISTRIBUTIONS + BENCH_DISTRIBUTIONS), ("objective", tuple(OBJECTIVES)),
                              ("noise", NOISES), ("optimizer", OPTIMIZERS), ("optimizer_d", OPTIMIZERS),
                              ("init", INITS), ("g_batchnorm", (False, True)), ("activation", tuple(ACTIVATIONS)),
                              ("update", UPDATES)):
            if getattr(self, name) not in choices:
                raise LabError(f"unknown {name} {getattr(self, name)!r}: choose one of {', '.join(map(str, choices))}")
        for name, (low, high) in LIMITS.items():
            if not in_range(getattr(self, name), low, high):
                kind = "a whole number" if isinstance(low, int) else "a number"
                raise LabError(f"{name} must be {kind} from {low:g} to {high:g}, not {getattr(self, name)!r}")
        if self.d_steps + self.g_steps == 0:
            raise LabError("d_steps and g_steps are both 0: a round would train nothing")
        if self.distribution == "drawn":  # an empty or malformed drawing is refused here (a named one cannot fail)
            target(self.distribution, self.strokes)
        if self.pack not in (1, 2, 4, 8):  # the 512 evaluation points pack evenly
            raise LabError(f"pack must be 1, 2, 4 or 8, not {self.pack!r}")
        if self.unroll and self.optimizer_d != "adam":
            raise LabError("unrolling follows D's Adam updates: choose the adam optimizer")
        if self.update == "joint" and (self.d_steps, self.g_steps) != (1, 1):
            raise LabError("a joint update makes one D and one G step a round: set d_steps and g_steps to 1")
        return self


def in_range(value, low: float, high: float) -> bool:
    """value is a finite number in [low, high], and a whole one where low is an int."""
    kinds = (int,) if isinstance(low, int) else (int, float)
    return (isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
            and low <= value <= high)


def shared_settings(config: LabConfig) -> dict:
    """The settings that are no part of an objective: data, nets, noise, batch, steps, seed."""
    return {k: getattr(config, k) for k in ("distribution", "noise", "g_width", "g_depth", "d_width", "d_depth",
                                            "batch", "steps", "seed", "strokes", "noise_dim")}
