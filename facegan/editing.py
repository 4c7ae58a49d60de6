"""Age and gender edits of generated faces: linear directions in z-space (InterFaceGAN).

Shen et al. (CVPR 2020) found that the attributes of an unconditionally trained GAN's
faces are close to linear in its latent space, so the normal of a linear model fitted
on labelled samples is a direction that moves one attribute. Here the labels come from
the attribute predictor (`facegan.attributes`) run on rendered samples: age by least
squares, gender by logistic regression. Projecting one direction off the other keeps
the other attribute's linear score fixed ("conditional" editing).

    python -m facegan.editing fit checkpoints/dcgan.safetensors --grid docs/editing.png

The directions go into the weights file's own metadata (key "editing"), so they travel
wherever the weights go: the app, the Hub upload, `load_generator`'s users.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from PIL import Image

from .attributes import DEFAULT_PATH as PREDICTOR_PATH
from .attributes import AttributePredictor, load_predictor, predict
from .cli import Parser, UsageError, run
from .export import CheckpointError, load_generator, update_metadata
from .models import Generator
from .sampling import display_grid, render, seeded_noise

METADATA_FIELD = "editing"
FIT_SEED, EVAL_SEED = 2020, 1_000_003  # two streams of latents: fitted on one, measured on the other
STEPS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)  # the measured walk, in units of z's spread (z·d ~ N(0, 1))
ATTRIBUTES = ("age", "gender")


@dataclass(frozen=True)
class Directions:
    """Unit directions in z-space and the linear models they came from.

    `gender` points towards "female" as UTKFace annotates it. The linear models read
    age ≈ age_intercept + age_slope · (z·age) years and logit P(female) ≈
    gender_intercept + gender_slope · (z·gender).
    """

    age: torch.Tensor
    gender: torch.Tensor
    age_conditional: torch.Tensor  # age with gender projected out: the gender score stays put
    gender_conditional: torch.Tensor  # gender with age projected out
    age_intercept: float
    age_slope: float
    gender_intercept: float
    gender_slope: float

    def direction(self, attribute: str, conditional: bool = True) -> torch.Tensor:
        return getattr(self, f"{attribute}_conditional" if conditional else attribute)

    def edit(self, z: torch.Tensor, age: float = 0.0, gender: float = 0.0, conditional: bool = True) -> torch.Tensor:
        """z moved by `age` and `gender` steps (units of z's spread) along the two directions."""
        return z + age * self.direction("age", conditional) + gender * self.direction("gender", conditional)

    def walk(self, z: torch.Tensor, attribute: str, conditional: bool = True,
             steps: tuple[float, ...] = STEPS) -> torch.Tensor:
        """len(steps) latents (times z's batch shape) along one attribute's direction from z."""
        d = self.direction(attribute, conditional)
        return torch.stack([z + s * d for s in steps])

    def years(self, z: torch.Tensor) -> torch.Tensor:
        """The fitted line's age of each latent (years): what the app's age slider shows."""
        return self.age_intercept + self.age_slope * (z @ self.age)

    def female(self, z: torch.Tensor) -> torch.Tensor:
        """The fitted classifier's P(female) of each latent."""
        return torch.sigmoid(self.gender_intercept + self.gender_slope * (z @ self.gender))

    def years_per_step(self, conditional: bool = True) -> float:
        """How many fitted years one step along the (conditional) age direction adds."""
        return self.age_slope * float(self.direction("age", conditional) @ self.age)

    def to_dict(self) -> dict:
        return {k: ([round(x, 7) for x in v.tolist()] if isinstance(v, torch.Tensor) else v)
                for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Directions:
        return cls(**{k: (torch.tensor(v, dtype=torch.float32) if isinstance(v, list) else float(v))
                      for k, v in data.items() if k in cls.__dataclass_fields__})


def directions_of(meta: dict, path: str | Path = "the weights file") -> Directions | None:
    """The directions a weights file's metadata carries, or None when it has none.

    Directions that are there but cannot be used (malformed, or not of the generator's z size)
    raise CheckpointError naming `path`, the file the metadata came from.
    """
    record = meta.get(METADATA_FIELD)
    if record is None or (isinstance(record, dict) and "directions" not in record):
        return None
    try:
        directions = Directions.from_dict(record["directions"])
        for name in ("age", "gender", "age_conditional", "gender_conditional"):
            shape = tuple(getattr(directions, name).shape)
            if shape != (meta["model"]["nz"],):
                raise ValueError(f"{name} has shape {shape}, z has {meta['model']['nz']} values")
            if not torch.isfinite(getattr(directions, name)).all():
                raise ValueError(f"{name} has values that are not finite")
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as error:
        why = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: its edit directions cannot be used ({why}; "
                              f"refit them: python -m facegan.editing fit)") from None
    return directions


def unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm()


def without(v: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """v with its component along `other` removed, renormalised (InterFaceGAN's conditional direction)."""
    return unit(v - (v @ other) / (other @ other) * other)


def fit_age(z: torch.Tensor, age: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Least squares age ≈ z·w + c, in float64: (w, c)."""
    x = torch.cat([z.double(), torch.ones(len(z), 1, dtype=torch.float64)], 1)
    solution = torch.linalg.lstsq(x, age.double().unsqueeze(1)).solution.squeeze(1)
    return solution[:-1].float(), float(solution[-1])


def fit_gender(z: torch.Tensor, female: torch.Tensor, l2: float = 1e-3,
               iterations: int = 25) -> tuple[torch.Tensor, float]:
    """Logistic regression of the predictor's P(female) on z by Newton's method (soft targets): (w, c)."""
    x = torch.cat([z.double(), torch.ones(len(z), 1, dtype=torch.float64)], 1)
    target, w = female.double(), torch.zeros(x.shape[1], dtype=torch.float64)
    ridge = l2 * len(z) * torch.eye(x.shape[1], dtype=torch.float64)
    ridge[-1, -1] = 0  # the intercept is not shrunk
    for _ in range(iterations):
        p = torch.sigmoid(x @ w)
        gradient = x.T @ (p - target) + ridge @ w
        hessian = (x * (p * (1 - p)).unsqueeze(1)).T @ x + ridge
        step = torch.linalg.solve(hessian, gradient)
        w = w - step
        if step.abs().max() < 1e-8:
            break
    return w[:-1].float(), float(w[-1])


def score(generator: Generator, predictor: AttributePredictor, z: torch.Tensor,
          batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """(age, P(female)) the predictor reads from the generator's faces for z, rendered in batches."""
    ages, females = [], []
    for chunk in z.split(batch_size):
        age, female = predict(predictor, render(generator, chunk))
        ages.append(age)
        females.append(female)
    return torch.cat(ages), torch.cat(females)


def fit(generator: Generator, predictor: AttributePredictor, samples: int = 20_000) -> tuple[Directions, dict]:
    """Directions from `samples` seeded latents, and how well the two linear models fit them."""
    z = seeded_noise(samples, generator.config.nz, FIT_SEED)
    age, female = score(generator, predictor, z)
    w_age, c_age = fit_age(z, age)
    w_gender, c_gender = fit_gender(z, female)
    age_dir, gender_dir = unit(w_age), unit(w_gender)
    directions = Directions(age_dir, gender_dir, without(age_dir, gender_dir), without(gender_dir, age_dir),
                            c_age, float(w_age.norm()), c_gender, float(w_gender.norm()))
    residual = age - (z @ w_age + c_age)
    quality = {"samples": samples, "seed": FIT_SEED,
               "age_r2": round(1 - residual.var().item() / age.var().item(), 3),
               "gender_agreement": round(((z @ w_gender + c_gender > 0) == (female > 0.5)).float().mean().item(), 4),
               "mean_age": round(age.mean().item(), 1), "share_female": round((female > 0.5).float().mean().item(), 3),
               "cosine_age_gender": round(float(age_dir @ gender_dir), 3)}
    return directions, quality


def walk_scores(generator: Generator, predictor: AttributePredictor, directions: Directions, attribute: str,
                z: torch.Tensor, steps: tuple[float, ...] = STEPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted age and P(female), len(steps)×N, along one conditional direction from each z."""
    walked = directions.walk(z, attribute, conditional=True, steps=steps)
    ages, females = zip(*(score(generator, predictor, step) for step in walked), strict=True)
    return torch.stack(ages), torch.stack(females)


def measure(generator: Generator, predictor: AttributePredictor, directions: Directions, samples: int = 1_000) -> dict:
    """The edits' effect on latents never used for fitting, as the predictor reads it.

    Age walk: mean age per step, its total change and whether it rises at every step, and
    how far the mean P(female) strays (max − min). Gender walk: the share of faces whose
    predicted gender differs between both ends, and how far the mean age strays.
    """
    z = seeded_noise(samples, generator.config.nz, EVAL_SEED)
    (ages, females), (g_ages, g_females) = (walk_scores(generator, predictor, directions, a, z) for a in ATTRIBUTES)
    mean_age, mean_female = ages.mean(1), females.mean(1)
    g_mean_age, g_mean_female = g_ages.mean(1), g_females.mean(1)
    return {
        "samples": samples, "seed": EVAL_SEED, "steps": list(STEPS),
        "age": {"mean_age": [round(x, 1) for x in mean_age.tolist()],
                "mean_female": [round(x, 3) for x in mean_female.tolist()],
                "age_change": round((mean_age[-1] - mean_age[0]).item(), 1),
                "monotonic": bool((mean_age.diff() > 0).all()),
                "female_drift": round((mean_female.max() - mean_female.min()).item(), 3)},
        "gender": {"mean_age": [round(x, 1) for x in g_mean_age.tolist()],
                   "mean_female": [round(x, 3) for x in g_mean_female.tolist()],
                   "flipped": round(((g_females[0] > 0.5) != (g_females[-1] > 0.5)).float().mean().item(), 3),
                   "age_drift": round((g_mean_age.max() - g_mean_age.min()).item(), 1)},
    }


def passes(effect: dict) -> bool:
    """The bars: age +30 years or more, monotonic, P(female) within 0.10; gender flips ≥ 80%, age within 5 years."""
    age, gender = effect["age"], effect["gender"]
    return (age["age_change"] >= 30 and age["monotonic"] and age["female_drift"] <= 0.10
            and gender["flipped"] >= 0.80 and gender["age_drift"] <= 5)


def edit_grid(generator: Generator, directions: Directions, seeds: list[int], face_px: int = 96) -> Image.Image:
    """One row per seed (the app's face for that seed), one column per step of the conditional age walk."""
    z = torch.stack([seeded_noise(1, generator.config.nz, s)[0] for s in seeds])
    walked = directions.walk(z, "age").transpose(0, 1).flatten(0, 1)  # row by row: one seed's walk per row
    return display_grid(render(generator, walked), face_px, nrow=len(STEPS))


def fit_checkpoint(path: Path, predictor: AttributePredictor, predictor_meta: dict, samples: int,
                   eval_samples: int) -> dict:
    """Fit, measure and store the directions in the weights file (atomically); returns what was stored."""
    generator, _ = load_generator(path)
    generator = generator.to(memory_format=torch.channels_last).requires_grad_(False)
    started = time.perf_counter()
    directions, quality = fit(generator, predictor, samples)
    fit_seconds = time.perf_counter() - started
    effect = measure(generator, predictor, directions, eval_samples)
    held = predictor_meta.get("held_out", {})
    record = {"directions": directions.to_dict(), "fit": {**quality, "seconds": round(fit_seconds, 1)},
              "effect": effect, "passes": passes(effect),
              "predictor": {"dataset": predictor_meta.get("dataset", "?"),  # its held-out errors, for the app to show
                            **{k: held[k] for k in ("age_mae", "gender_accuracy", "age_mae_by_band") if k in held}},
              "labels": "UTKFace annotations: age in years; gender as a binary label (0 male, 1 female). "
                        "The race label is not used."}
    update_metadata(path, {METADATA_FIELD: record})
    return record


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m facegan.editing", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fit", help="fit age/gender directions for generators and store them in their weights files")
    f.add_argument("weights", type=Path, nargs="+", help="exported *.safetensors generators")
    f.add_argument("--predictor", type=Path, default=PREDICTOR_PATH)
    f.add_argument("--samples", type=int, default=20_000, help="seeded latents to fit on (default 20,000)")
    f.add_argument("--eval-samples", type=int, default=1_000, help="unseen latents to measure the edits on")
    f.add_argument("--grid", type=Path, help="also save a 6 seeds × 7 ages grid of the first generator (PNG)")
    args = p.parse_args(argv)
    if args.samples < 200 or args.eval_samples < 10:
        raise UsageError("--samples must be at least 200 and --eval-samples at least 10")
    if args.grid and args.grid.suffix.lower() != ".png":
        raise UsageError(f"--grid must end in .png, got {args.grid}")
    for path in args.weights:
        if not path.is_file():
            raise CheckpointError(f"weights file not found: {path}")
    predictor, predictor_meta = load_predictor(args.predictor)
    for path in args.weights:
        record = fit_checkpoint(path, predictor, predictor_meta, args.samples, args.eval_samples)
        fitted, age, gender = record["fit"], record["effect"]["age"], record["effect"]["gender"]
        print(f"{path.name}: fitted in {fitted['seconds']:.0f} s (age R² {fitted['age_r2']}, gender agreement "
              f"{fitted['gender_agreement']:.1%}); age walk {age['age_change']:+.1f} years "
              f"({'monotonic' if age['monotonic'] else 'NOT monotonic'}), P(female) drift {age['female_drift']:.3f}; "
              f"gender walk flips {gender['flipped']:.1%}, age drift {gender['age_drift']:.1f} years; "
              f"bars {'met' if record['passes'] else 'NOT met'}")
        print(json.dumps(record["effect"]))
    if args.grid:
        generator, meta = load_generator(args.weights[0])
        args.grid.parent.mkdir(parents=True, exist_ok=True)
        edit_grid(generator, directions_of(meta, args.weights[0]), seeds=list(range(6))).save(args.grid)
        print(f"grid → {args.grid}")
    return 0


def cli(argv: list[str] | None = None) -> int:
    """main() with bad input turned into one line on stderr and exit code 2."""
    return run(main, argv, "editing", expected=(CheckpointError,))


if __name__ == "__main__":
    sys.exit(cli())
