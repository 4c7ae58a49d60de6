"""The published 2-D mode-collapse benchmarks, each set as its source sets it: data, nets, initialisation,
optimisers, update order, batch, schedule, and the paper's own numbers to compare with.

    pacgan            Lin et al. 2018, the authors' code (fjxmlzn/PacGAN, on ALI's code): ring σ 0.01 and 5×5 grid
                      σ 0.05 from a 100,000-point set per run, G 4×400 BatchNorm + ReLU, D 3 maxout layers of
                      200 units × 5 pieces, Adam 1e-4 β1 0.8, batch 100, D and G updated from one batch at once
    unrolled          Metz et al. 2017, the paper's appendix A: ring of radius 2, σ 0.02, G 2×128 ReLU on 256-D
                      noise, D divides its input by 4 then 1×128 ReLU, orthogonal init × 0.8, Adam 1e-4 β1 0.5,
                      alternating updates, unrolling k = 5
    unrolled-notebook the authors' demo notebook (poolio/unrolled_gan): its 7-mode ring of radius 1, σ 0.01, G and D
                      2×128 tanh, orthogonal init × 1.4, D's Adam 1e-4 and G's 1e-3, G and D updated together
    gan_toy           Gulrajani et al. 2017, gan_toy.py (igul222/improved_wgan_training): 8 Gaussians, 25 Gaussians,
                      Swiss roll, G and D 3×512 ReLU, He init (Glorot output), batch 256, 5 critic steps, WGAN on
                      TensorFlow 1's RMSProp
    tutorial          the Lab's own ring and grid, trained with the face models' recipes (`optim.MODE_DEFAULTS`)

Every suite's `sources` pair each of its settings with the value in the paper or code, where it is set there,
and how the Lab sets it; docs/lab.md shows them as one table per suite (`settings_table`), and a test keeps the
two the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..optim import MODE_DEFAULTS
from .config import LIMITS, LabConfig
from .targets import LabError

# WGAN and WGAN-GP as gan_toy.py trains them, whatever the suite: TensorFlow 1's RMSProp at 5e-5 and c = 0.01;
# Adam 1e-4 with β (0.5, 0.9) and λ = 0.1; 5 critic steps each, so alternating.
TOY_WGAN = {"wgan": dict(optimizer="rmsprop-tf1", lr_g=5e-5, lr_d=5e-5, d_steps=5, clip=0.01, update="alternate"),
            "wgan-gp": dict(optimizer="adam", lr_g=1e-4, lr_d=1e-4, beta1=0.5, beta2=0.9, d_steps=5, gp_lambda=0.1,
                            update="alternate")}


def _face_recipe(mode: str) -> dict:
    """A face model's optimiser and critic steps (`optim.MODE_DEFAULTS`) as Lab settings."""
    recipe = MODE_DEFAULTS[mode]
    return {**{k: recipe[k] for k in ("optimizer", "lr_g", "lr_d", "beta1", "beta2")}, "d_steps": recipe["n_critic"]}


# Each objective at the face models' recipe: the GANs on DCGAN's, WGAN on its own with c = 0.01, WGAN-GP on its own
# with the images' λ = 10 (the `tutorial` suite's recipes)
FACE_RECIPES = {"gan-minimax": _face_recipe("dcgan"), "gan": _face_recipe("dcgan"),
                "wgan": {**_face_recipe("wgan"), "clip": 0.01},
                "wgan-gp": {**_face_recipe("wgan-gp"), "gp_lambda": 10.0}}


def face_recipe(objective: str) -> dict:
    """The settings that put an objective (one of FACE_RECIPES) on the face models' recipe."""
    return FACE_RECIPES[objective]


@dataclass(frozen=True)
class Quoted:
    """One row of a paper's own table: mean modes, high-quality share and reverse KL, each with its standard
    error where the paper gives one (None where it gives no number)."""

    source: str
    objective: str
    distribution: str
    modes: float
    modes_se: float | None = None
    high_quality: float | None = None
    high_quality_se: float | None = None
    reverse_kl: float | None = None
    reverse_kl_se: float | None = None


@dataclass(frozen=True)
class Source:
    """One setting of a suite: its value in the paper or the authors' code, where it is set there, and ours."""

    setting: str
    theirs: str
    where: str
    ours: str


@dataclass(frozen=True)
class Suite:
    name: str
    paper: str
    distributions: tuple[str, ...]
    objectives: tuple[str, ...]
    settings: dict  # every objective's: data aside, nets, optimiser, batch, update order
    full_steps: int  # the full schedule in rounds (generator steps): the source's (the tutorial: the Lab's run)
    steps: int  # what `bench` runs by default: the fraction of full_steps that fits on a small CPU
    recipes: dict = field(default_factory=dict)  # objectives trained with their own optimiser (the WGANs)
    quoted: tuple[Quoted, ...] = ()
    samples: int = 2500  # generated points per measurement (PacGAN's figure and metric logger's 2,500)
    source: str = ""  # the paper's or code's version the settings were read from
    sources: tuple[Source, ...] = ()
    baseline: str = "gan"  # the source's plain GAN, which its fixes are compared with

    def config(self, objective: str, distribution: str, trial: int, steps: int) -> LabConfig:
        """The LabConfig of one run: the objective's fix (packing, unrolling, its loss) on the suite's settings."""
        if objective not in self.objectives or distribution not in self.distributions:
            raise LabError(f"suite {self.name} runs {', '.join(self.objectives)} on {', '.join(self.distributions)}")
        return LabConfig.for_objective(objective, **{**self.settings, **self.recipes.get(objective, {})},
                                       distribution=distribution, steps=steps,
                                       seed=trial % (LIMITS["seed"][1] + 1)).check()


def settings_table(suite: Suite) -> str:
    """The suite's settings beside its source's, as a Markdown table (docs/lab.md holds each suite's)."""
    rows = [f"Source: {suite.source}.", "", "| setting | paper or code | where | ours |", "| --- | --- | --- | --- |"]
    rows += [f"| {s.setting} | {s.theirs} | {s.where} | {s.ours} |" for s in suite.sources]
    return "\n".join(rows)


_FIXES = ("gan", "gan-minimax", "lsgan", "hinge", "gan-r1", "gan-sn", "pacgan2", "pacgan4", "unrolled", "wgan",
          "wgan-gp")
_FIXES_NOTE = Source("the field's other fixes, WGAN, WGAN-GP", "not in the source", "–",
                     "LSGAN, hinge, R1, SN, unrolling on the suite's settings; WGAN and WGAN-GP on gan_toy.py's "
                     "recipes (5 critic steps, so alternating)")
_PACGAN_SOURCE = "PacGAN table 1 (10 trials, ± standard error)"
_RING = "synthetic_data_experiments/2DRing_GAN&PacGAN/"
_TASK = _RING + "pacgan_task.py"
_LIB = "synthetic_data_experiments/PacGAN/pacgan/"
_NOTEBOOK = "Unrolled GAN demo.ipynb"

PACGAN_SOURCES = (
    Source("ring", "8 modes at (cos 2πi/8, sin 2πi/8), σ 0.01", _RING + "config.py:6–7", "`pacgan-ring`: the same"),
    Source("grid", "25 modes at {−4, −2, 0, 2, 4}², σ 0.05", "2DGrid_GAN&PacGAN/config.py:5–7",
           "`pacgan-grid`: the same"),
    Source("training set", "100,000 points drawn from the mixture, anew for every run (fuel_random)",
           _RING + "config.py:30, 40; " + _LIB + "datasets.py:68–70", "100,000 points drawn from seed 2⁴¹ + the trial"),
    Source("packed real samples", "m columns, each the set resampled with replacement",
           _LIB + "datasets.py:73–77", "m points drawn with replacement from the set"),
    Source("batches", "batch 100 walking the (packed) set in a shuffled order (ShuffledScheme), 1,000 a pass",
           _RING + "config.py:25; " + _LIB + "streams.py:31", "batch 100 drawn uniformly with replacement: the one "
           "difference"),
    Source("noise", "2-D N(0, I), one draw per place in the pack", _RING + "config.py:33–36; " + _TASK + ":105–108",
           "the same"),
    Source("G", "2 → 4 × 400 (BatchNorm, ReLU; no bias) → 2 (bias)", _TASK + ":43–59, 94",
           "the same; BatchNorm ε 1e-4 (blocks' bn.py:131)"),
    Source("G with packing", "run once per place in the pack, each on its own 100 noise vectors",
           _TASK + ":105–108; " + _LIB + "bricks.py:63–67",
           "the same; BatchNorm's running averages updated once per place (blocks averages the m then updates once)"),
    Source("BatchNorm running averages", "0.95 · average + 0.05 · batch's", _TASK + ":149", "momentum 0.05"),
    Source("D", "2m → 3 maxout layers of 200 units × 5 pieces → 1, no dropout", _TASK + ":61–90, 123",
           "the same"),
    Source("initialisation", "weights N(0, 0.02²), biases 0 (both nets)", _RING + "config.py:21–22; " + _TASK + ":92",
           "`normal`: the same"),
    Source("losses", "D: softplus(−D(x)) + softplus(D(G(z))); G: softplus(D(x)) + softplus(−D(G(z)))",
           _LIB + "bricks.py:69–72", "the same (G's real term has no gradient: the non-saturating loss)"),
    Source("optimiser", "blocks' Adam, learning rate 1e-4, β1 0.8 (β2 0.999, ε 1e-8 outside the root)",
           _RING + "config.py:23–24; " + _TASK + ":157; blocks algorithms/__init__.py:873–894",
           "torch Adam 1e-4, β (0.8, 0.999), ε 1e-8: blocks' ε is not bias-corrected (a difference of ε)"),
    Source("update", "D and G from one batch at once: both gradients at the same parameters (ALI's algorithm)",
           _TASK + ":158; IshmaelBelghazi/ALI ali/algorithms.py:28–43", "`update=\"joint\"`"),
    Source("schedule", "400 epochs of 1,000 batches: 400,000 steps", _RING + "config.py:15", "400,000 rounds"),
    Source("trials", "10 per setting, packing m = 1, 2, 3, 4", _RING + "config.py:46–47",
           "as many as asked; m = 1, 2, 4 (the Lab's 512 evaluation points pack by 1, 2, 4 or 8)"),
    Source("measurement", "2,500 samples from fixed noise, G's BatchNorm on its running averages; a sample is of "
           "high quality within 3σ (σ-normalised) of its nearest mode; a mode is captured with one such sample; "
           "reverse KL of the modes' histogram against uniform",
           _LIB + "extensions.py:48–54, 114–175", "the same (`measures.literature_metrics`)"),
    _FIXES_NOTE,
)

UNROLLED_SOURCES = (
    Source("ring", "8 Gaussians on a circle of radius 2, σ 0.02", "appendix A", "`unrolled-ring`: at 2πi/8, the same"),
    Source("data", "sampled from the mixture", "appendix A", "a fresh batch every step"),
    Source("noise", "z ∼ N(0, I₂₅₆)", "appendix A", "the same"),
    Source("G", "256 → 2 × 128 ReLU → 2 (linear)", "appendix A", "the same"),
    Source("D", "input divided by 4, then 1 × 128 ReLU → 1 logit", "appendix A", "`d_scale=4`: the same"),
    Source("initialisation", "all weights orthogonal, scaled by 0.8", "appendix A",
           "`orthogonal`, gain 0.8; biases 0 (the paper names none)"),
    Source("losses", "D minimises −log D(x) − log(1 − D(G(z))); G minimises log D(x) + log(1 − D(G(z))) at D's "
           "parameters unrolled k steps", "section 2.2, appendix A",
           "`losses.unrolled_generator_loss`; k = 0 is the minimax GAN (`gan-minimax`)"),
    Source("optimisers", "Adam, learning rate 1e-4, β1 0.5, both nets", "appendix A",
           "torch Adam 1e-4, β (0.5, 0.999), ε 1e-8"),
    Source("unrolled steps", "k steps of D's optimiser on the batch", "section 2.2",
           "k = 5 Adam steps continuing D's moments, on G's batch (the notebook's way)"),
    Source("update", "alternating; one step is a G or a D update", "appendix A",
           "a round: one D step, then one G step"),
    Source("batch", "not given", "–", "512, the notebook's"),
    Source("schedule", "figure 1 to step 25,000", "figure 1", "25,000 rounds (a round is two of the paper's steps)"),
    Source("numbers", "none: figures only (VEEGAN's table measures an Unrolled GAN on its own ring)", "–",
           "no quoted row"),
    _FIXES_NOTE,
)

NOTEBOOK_SOURCES = (
    Source("ring", "`sample_mog`: 8 components at r·(sin θ, cos θ), θ = linspace(0, 2π, 8), radius 1, σ 0.01",
           _NOTEBOOK + ", cells 7 and 13", "`notebook-ring`: the same, so 7 modes 2π/7 apart, the one at (0, 1) "
           "holding 2/8 of the mass"),
    Source("modes counted", "none (the notebook plots densities)", "cells 16–19",
           "the 7 distinct modes, PacGAN's rule (reverse KL against uniform over 7, though the data's is not)"),
    Source("data", "a fresh batch every step", "cell 13", "the same"),
    Source("noise", "z ∼ N(0, I₂₅₆)", "cells 11, 13", "the same"),
    Source("G and D", "2 × 128 tanh, linear output (slim.stack)", "cell 9", "`activation=\"tanh\"`: the same"),
    Source("initialisation", "orthogonal, gain 1.4, every layer; biases 0 (slim's default)", "cell 13",
           "`orthogonal`, gain 1.4"),
    Source("D's optimiser", "Keras Adam, learning rate 1e-4, β1 0.5, ε 1e-8", "cells 11, 13",
           "torch Adam: Keras folds the bias corrections into the rate, ε outside (a difference of ε)"),
    Source("G's optimiser", "TensorFlow Adam, learning rate 1e-3, β1 0.5, ε 1e-8", "cells 11, 13", "the same"),
    Source("G's loss", "minus the unrolled D loss (5 Keras Adam steps, state carried, via graph_replace)",
           "cells 11, 13", "`losses.unrolled_generator_loss`, k = 5"),
    Source("update", "G's and D's train ops in one session.run: both from one batch", "cell 16", "`update=\"joint\"`"),
    Source("batch, schedule", "512; 25,000 iterations", "cell 11", "the same"),
)

TOY_SOURCES = (
    Source("8 Gaussians", "(±1, 0), (0, ±1), (±1/√2, ±1/√2) × 2, σ 0.02, all / 1.414; a fresh batch each step",
           "gan_toy.py:202–226", "`toy-8gaussians`: the same"),
    Source("25 Gaussians", "4,000 points at each of 2·{−2…2}², σ 0.05, shuffled once, / 2.828; walked in that order, "
           "390 batches a pass", "gan_toy.py:174–189", "the same balanced set, drawn anew each run; batches drawn "
           "uniformly with replacement: the one difference"),
    Source("Swiss roll", "make_swiss_roll(noise 0.25), columns x and z, / 7.5", "gan_toy.py:191–200",
           "`toy-swissroll`: the same formula"),
    Source("noise", "2-D N(0, I)", "gan_toy.py:46", "the same"),
    Source("G, D", "2 → 3 × 512 ReLU → 2; 2 → 3 × 512 ReLU → 1", "gan_toy.py:42–58", "the same"),
    Source("initialisation", "hidden layers 'he' (uniform, std √(2/fan_in)); output layers tflib's default, "
           "Glorot (uniform, std √(2/(fan_in + fan_out))); biases 0", "gan_toy.py:31–40, 50, 57; "
           "tflib/ops/linear.py:55–67, 139–146", "`he`: the same"),
    Source("losses", "critic: E[D(G(z))] − E[D(x)] (+ λ·GP); G: −E[D(G(z))]", "gan_toy.py:67–83", "the same"),
    Source("gradient penalty", "λ 0.1, x̂ = αx + (1 − α)G(z), α ∼ U(0, 1) per sample", "gan_toy.py:23, 72–83",
           "the same"),
    Source("WGAN-GP's optimiser", "Adam 1e-4, β (0.5, 0.9), both nets", "gan_toy.py:88–105", "the same"),
    Source("WGAN's optimiser", "tf.train.RMSPropOptimizer(5e-5): decay 0.9, ε 1e-10 inside the root, mean square "
           "from 1; clip ±0.01 after each critic step", "gan_toy.py:110–133; TensorFlow 1 rmsprop.py",
           "`rmsprop-tf1` (`optim.TF1RMSprop`), c 0.01"),
    Source("update", "each iteration a G step (from the second), then 5 critic steps on fresh batches",
           "gan_toy.py:25, 232–244", "rounds of 5 critic steps, then a G step: the same sequence"),
    Source("batch, schedule", "256; 100,000 iterations", "gan_toy.py:26–27", "the same"),
    Source("GAN", "none", "–", "the GAN on WGAN-GP's Adam, one D step (not gan_toy.py's)"),
    Source("measurement", "none (plots)", "gan_toy.py:143–170", "PacGAN's, on 2,500 samples"),
)

SUITES = {s.name: s for s in (
    Suite("pacgan", "Lin et al. 2018, PacGAN", ("pacgan-ring", "pacgan-grid"), _FIXES,
          dict(g_width=400, g_depth=4, g_batchnorm=True, d_width=200, d_depth=3, d_maxout=5, init="normal",
               optimizer="adam", lr_g=1e-4, lr_d=1e-4, beta1=0.8, beta2=0.999, d_steps=1, batch=100,
               update="joint"),
          full_steps=400_000, steps=500, recipes=TOY_WGAN,
          quoted=(Quoted(_PACGAN_SOURCE, "gan", "pacgan-ring", 6.3, 0.5, 0.982, 0.002, 0.45, 0.09),
                  Quoted(_PACGAN_SOURCE, "pacgan2", "pacgan-ring", 7.9, 0.1, 0.956, 0.020, 0.07, 0.03),
                  Quoted(_PACGAN_SOURCE, "pacgan4", "pacgan-ring", 7.8, 0.1, 0.959, 0.014, 0.07, 0.02),
                  Quoted(_PACGAN_SOURCE, "gan", "pacgan-grid", 17.3, 0.8, 0.948, 0.007, 0.70, 0.07),
                  Quoted(_PACGAN_SOURCE, "pacgan2", "pacgan-grid", 23.8, 0.7, 0.913, 0.008, 0.13, 0.04),
                  Quoted(_PACGAN_SOURCE, "pacgan4", "pacgan-grid", 24.8, 0.2, 0.936, 0.006, 0.04, 0.01)),
          source="fjxmlzn/PacGAN at 190853e (synthetic_data_experiments), on IshmaelBelghazi/ALI and mila-iqia/blocks",
          sources=PACGAN_SOURCES),
    Suite("unrolled", "Metz et al. 2017, Unrolled GAN (appendix A)", ("unrolled-ring",), _FIXES,
          dict(noise_dim=256, g_width=128, g_depth=2, d_width=128, d_depth=1, d_scale=4.0, init="orthogonal",
               init_gain=0.8, optimizer="adam", lr_g=1e-4, lr_d=1e-4, beta1=0.5, beta2=0.999, d_steps=1, batch=512),
          full_steps=25_000, steps=3_000, recipes=TOY_WGAN, baseline="gan-minimax",
          source="Metz, Poole, Pfau and Sohl-Dickstein, Unrolled Generative Adversarial Networks, ICLR 2017 "
                 "(arXiv 1611.02163), section 2.2 and appendix A",
          sources=UNROLLED_SOURCES),
    Suite("unrolled-notebook", "the Unrolled GAN notebook (poolio/unrolled_gan)", ("notebook-ring",),
          ("gan-minimax", "unrolled"),
          dict(noise_dim=256, g_width=128, g_depth=2, d_width=128, d_depth=2, activation="tanh", init="orthogonal",
               init_gain=1.4, optimizer="adam", lr_g=1e-3, lr_d=1e-4, beta1=0.5, beta2=0.999, d_steps=1, batch=512,
               update="joint"),
          full_steps=25_000, steps=1_000, baseline="gan-minimax",
          source=f"poolio/unrolled_gan at 67e2c7a, {_NOTEBOOK} (cells counted from 0)",
          sources=NOTEBOOK_SOURCES),
    Suite("gan_toy", "Gulrajani et al. 2017, WGAN-GP (gan_toy.py)", ("toy-8gaussians", "toy-25gaussians",
                                                                       "toy-swissroll"),
          ("wgan", "wgan-gp", "gan"),
          # the GAN (no mode of gan_toy.py) with WGAN-GP's Adam and one D step
          dict(g_width=512, g_depth=3, d_width=512, d_depth=3, init="he", batch=256, **TOY_WGAN["wgan-gp"],
               ) | {"d_steps": 1},
          full_steps=100_000, steps=100, recipes=TOY_WGAN,
          source="igul222/improved_wgan_training at fa66c57, gan_toy.py and tflib/ops/linear.py",
          sources=TOY_SOURCES),
    Suite("tutorial", "the tutorial's face recipes on the Lab's ring and grid", ("ring", "grid"),
          ("gan-minimax", "gan", "wgan", "wgan-gp"),
          dict(g_width=64, g_depth=3, d_width=64, d_depth=3, batch=256, **FACE_RECIPES["gan"]),
          full_steps=LabConfig.steps, steps=LabConfig.steps,
          recipes={"wgan": FACE_RECIPES["wgan"], "wgan-gp": FACE_RECIPES["wgan-gp"]},
          source="facegan/optim.py MODE_DEFAULTS, the face models' recipes",
          sources=(Source("data, nets", "–", "–", "the Lab's ring and grid, 3 × 64 ReLU nets, batch 256"),
                   Source("GANs", "Adam 2e-4, β (0.5, 0.999), one D step", "facegan/optim.py MODE_DEFAULTS",
                          "the same"),
                   Source("WGAN", "RMSprop 5e-5 (torch's), c 0.01, 5 critic steps", "facegan/optim.py MODE_DEFAULTS",
                          "the same"),
                   Source("WGAN-GP", "Adam 1e-4, β (0, 0.9), λ 10, 5 critic steps", "facegan/optim.py MODE_DEFAULTS",
                          "the same"),
                   Source("schedule", "the Lab's 2,000 steps", "facegan/lab/config.py", "the same"))),
)}
