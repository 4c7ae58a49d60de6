"""The published 2-D mode-collapse benchmarks, each set as its paper's code sets it: data, nets, optimiser,
batch, schedule, and the paper's own numbers to compare with.

    pacgan     Lin et al. 2018 (fjxmlzn/PacGAN): ring σ 0.01 and 5×5 grid σ 0.05, G 4×400 BatchNorm + ReLU,
               D 3 maxout layers of 200 units × 5 pieces, Adam 1e-4 β1 0.8, batch 100, 400 epochs
    unrolled   Metz et al. 2017: ring of radius 2, σ 0.02, G 2×128 on 256-D noise, D 1×128, Adam 1e-4 β1 0.5,
               batch 512, unrolling k = 5
    gan_toy    Gulrajani et al. 2017 (igul222/improved_wgan_training, gan_toy.py): 8 Gaussians, 25 Gaussians,
               Swiss roll, G and D 3×512 ReLU with He init, batch 256, 5 critic steps
    tutorial   the Lab's own ring and grid, trained with the face models' recipes (`optim.MODE_DEFAULTS`)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..optim import MODE_DEFAULTS
from .config import LIMITS, LabConfig
from .targets import LabError

# WGAN and WGAN-GP as gan_toy.py trains them, whatever the suite: RMSprop 5e-5 and c = 0.01; Adam 1e-4 with
# β (0.5, 0.9) and λ = 0.1; 5 critic steps each.
TOY_WGAN = {"wgan": dict(optimizer="rmsprop", lr_g=5e-5, lr_d=5e-5, d_steps=5, clip=0.01),
            "wgan-gp": dict(optimizer="adam", lr_g=1e-4, lr_d=1e-4, beta1=0.5, beta2=0.9, d_steps=5, gp_lambda=0.1)}


def _face_recipe(mode: str) -> dict:
    """A face model's optimiser and critic steps (`optim.MODE_DEFAULTS`) as Lab settings."""
    recipe = MODE_DEFAULTS[mode]
    return {**{k: recipe[k] for k in ("optimizer", "lr_g", "lr_d", "beta1", "beta2")}, "d_steps": recipe["n_critic"]}


@dataclass(frozen=True)
class Quoted:
    """One row of a paper's own table: mean modes, high-quality share and reverse KL (None where not given)."""

    source: str
    objective: str
    distribution: str
    modes: float
    high_quality: float | None = None
    reverse_kl: float | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    paper: str
    distributions: tuple[str, ...]
    objectives: tuple[str, ...]
    settings: dict  # every objective's: data aside, nets, optimiser, batch
    full_steps: int  # the full schedule in generator steps: the paper's (the tutorial: the Lab's run)
    steps: int  # what `bench` runs by default: the fraction of full_steps that fits on a small CPU
    recipes: dict = field(default_factory=dict)  # objectives trained with their own optimiser (the WGANs)
    quoted: tuple[Quoted, ...] = ()
    samples: int = 2500  # generated points per measurement (PacGAN's and VEEGAN's 2,500)

    def config(self, objective: str, distribution: str, trial: int, steps: int) -> LabConfig:
        """The LabConfig of one run: the objective's fix (packing, unrolling, its loss) on the suite's settings."""
        if objective not in self.objectives or distribution not in self.distributions:
            raise LabError(f"suite {self.name} runs {', '.join(self.objectives)} on {', '.join(self.distributions)}")
        return LabConfig.for_objective(objective, **{**self.settings, **self.recipes.get(objective, {})},
                                       distribution=distribution, steps=steps,
                                       seed=trial % (LIMITS["seed"][1] + 1)).check()


_FIXES = ("gan", "gan-minimax", "lsgan", "hinge", "gan-r1", "gan-sn", "pacgan2", "pacgan4", "unrolled", "wgan",
          "wgan-gp")
_PACGAN_SOURCE = "PacGAN table 1 (10 trials)"
_VEEGAN_SOURCE = "VEEGAN table 1 (their ring and grid, 5 runs)"

SUITES = {s.name: s for s in (
    Suite("pacgan", "Lin et al. 2018, PacGAN", ("pacgan-ring", "pacgan-grid"), _FIXES,
          dict(g_width=400, g_depth=4, g_batchnorm=True, d_width=200, d_depth=3, d_maxout=5, init="normal",
               optimizer="adam", lr_g=1e-4, lr_d=1e-4, beta1=0.8, beta2=0.999, d_steps=1, batch=100),
          full_steps=400_000, steps=1_500, recipes=TOY_WGAN,
          quoted=(Quoted(_PACGAN_SOURCE, "gan", "pacgan-ring", 6.3, 0.982, 0.45),
                  Quoted(_PACGAN_SOURCE, "pacgan2", "pacgan-ring", 7.9, 0.956, 0.07),
                  Quoted(_PACGAN_SOURCE, "gan", "pacgan-grid", 17.3, 0.948, 0.70),
                  Quoted(_PACGAN_SOURCE, "pacgan2", "pacgan-grid", 23.8, 0.913, 0.13),
                  Quoted(_PACGAN_SOURCE, "pacgan4", "pacgan-grid", 24.8, 0.936, 0.04))),
    Suite("unrolled", "Metz et al. 2017, Unrolled GAN", ("unrolled-ring",), _FIXES,
          dict(noise_dim=256, g_width=128, g_depth=2, d_width=128, d_depth=1, optimizer="adam", lr_g=1e-4, lr_d=1e-4,
               beta1=0.5, beta2=0.999, d_steps=1, batch=512),
          full_steps=25_000, steps=5_000, recipes=TOY_WGAN,
          quoted=(Quoted(_VEEGAN_SOURCE, "gan", "unrolled-ring", 1, 0.993),
                  Quoted(_VEEGAN_SOURCE, "unrolled", "unrolled-ring", 7.6, 0.356))),
    Suite("gan_toy", "Gulrajani et al. 2017, WGAN-GP (gan_toy.py)", ("toy-8gaussians", "toy-25gaussians",
                                                                       "toy-swissroll"),
          ("wgan", "wgan-gp", "gan"),
          # the GAN (no mode of gan_toy.py) with WGAN-GP's Adam and one D step
          dict(g_width=512, g_depth=3, d_width=512, d_depth=3, init="he", batch=256, **TOY_WGAN["wgan-gp"],
               ) | {"d_steps": 1},
          full_steps=100_000, steps=300, recipes=TOY_WGAN),
    Suite("tutorial", "the tutorial's face recipes on the Lab's ring and grid", ("ring", "grid"),
          ("gan-minimax", "gan", "wgan", "wgan-gp"),
          dict(g_width=64, g_depth=3, d_width=64, d_depth=3, batch=256, **_face_recipe("dcgan")),
          full_steps=LabConfig.steps, steps=LabConfig.steps,
          recipes={"wgan": {**_face_recipe("wgan"), "clip": 0.01},
                   "wgan-gp": {**_face_recipe("wgan-gp"), "gp_lambda": 10.0}}),
)}
