"""The Lab: GANs on 2-D points, where the original GAN's three failures and WGAN's fixes show in seconds.

A generator maps 2-D noise to 2-D points and a discriminator (or critic) scores points, both small
MLPs, trained with the same losses as the face models (`facegan.losses`). On 2-D data everything
the tutorial claims can be measured exactly: the Wasserstein-1 distance between generated and real
points (optimal transport, POT), KL and JS by grid, how many modes of a mixture the generator
covers, and how large the generator's gradient is.

    targets   the data: seeded samplers of 2-D points (mixtures know their modes)
    measures  exact W1, modes covered, correlations
    config    the objectives with their recipes, every setting and its range
    nets      the MLPs
    runs      a run: stepped, measured, pictured
    batched   K runs of one config but the seed, trained in one step
    claims    the tutorial's three claims as experiments
    suites    the published 2-D benchmarks, set as their papers' code sets them
    bench     the suites run and tabled beside the papers' numbers, on any device, resumably
    jobs      runs one after another or side by side in processes, each result as it is done
    view      the pictures (numpy and PIL live, matplotlib for the claims' figures) and the animation
    graph     the model graph (SVG), one sub-step of a round lit
    timeline  a run's moments, kept in bounded memory
    saved     a run in one .safetensors file, and the runs that open trained
    surfaces  critic value surfaces under clipping and under the penalty
    commands  `python -m facegan.lab`

No Gradio here: `facegan.ui.lab` shows what this package computes.
"""

from .batched import BatchedRuns, batched_histories
from .claims import (
    CLAIM_OBJECTIVES,
    MIXTURES,
    RECIPE_OBJECTIVES,
    RECIPES,
    all_claims,
    loss_vs_progress,
    mode_collapse,
    objective_runs,
    objective_runs_as_done,
    recipe_runs_as_done,
    vanishing_gradient,
    vanishing_gradient_steps,
)
from .commands import cli
from .config import (
    LIMITS,
    MAX_STEPS,
    NOISES,
    OBJECTIVES,
    OPTIMIZERS,
    TAB_LIMITS,
    LabConfig,
    in_range,
    shared_settings,
)
from .measures import mode_coverage, pearson, wasserstein1
from .nets import mlp
from .runs import THREADS, LabRun, Snapshot, history_run
from .targets import DISTRIBUTIONS, VIEW, LabError, target

__all__ = ["CLAIM_OBJECTIVES", "DISTRIBUTIONS", "LIMITS", "MAX_STEPS", "MIXTURES", "NOISES", "OBJECTIVES",
           "OPTIMIZERS", "RECIPES", "RECIPE_OBJECTIVES", "TAB_LIMITS", "THREADS", "VIEW", "BatchedRuns", "LabConfig",
           "LabError", "LabRun", "Snapshot", "all_claims", "batched_histories", "cli", "history_run",
           "in_range", "loss_vs_progress", "mlp", "mode_collapse", "mode_coverage", "objective_runs",
           "objective_runs_as_done", "pearson", "recipe_runs_as_done", "shared_settings", "target",
           "vanishing_gradient", "vanishing_gradient_steps", "wasserstein1"]
