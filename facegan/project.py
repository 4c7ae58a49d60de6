"""A photo projected into a generator's z: an encoder's guess, then a few steps of optimisation.

GAN inversion as the survey by Xia et al. (2022) describes it. The encoder (`facegan.encoder`)
is trained on the generator's own (z, G(z)) pairs, the way In-Domain GAN Inversion (Zhu et al.
2020) trains its encoder, so it needs no photos; it gives the start. Then z alone (never
the generator's weights, so the Edit tab's age and gender directions still apply to it)
is optimised against a pixel loss, a perceptual loss on the age/gender judge's own
features (`facegan.attributes`: the network that later reads the edited faces) and a
prior that keeps ‖z‖ where G was trained (‖z‖² ≈ nz for z ~ N(0, I)).

    python -m facegan.project photo.jpg [--model dcgan] [--out projected/]
    python -m facegan.project photos/ --steps 40
    python -m facegan.project --train-encoders                  # one encoder per generator

Encoders live in checkpoints/encoders/NAME.safetensors, their metadata naming the
generator file (and its SHA-256) they were trained on; a generator without an encoder
starts from the best of a few random latents instead. An encoder file that cannot be
used (unreadable, or trained on other weights) is an error naming it, as are edit
directions in a generator's metadata that cannot be used.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from .attributes import DEFAULT_PATH as PREDICTOR_PATH
from .attributes import AttributePredictor, load_predictor, predict
from .cli import Parser, UsageError, run
from .editing import ATTRIBUTES, STEPS, Directions, directions_of, walk_scores
from .encoder import Encoder, load_encoder, psnr_of, save_encoder, train_encoder
from .export import CheckpointError, load_generator, read_metadata
from .faces import FaceError, frame, photo_files
from .metrics import InceptionFeatures, MetricsError, features_of_images
from .models import Generator
from .sampling import display_grid, from_uint8, render, resize_faces, seeded_noise, to_pil, to_uint8


@dataclass(frozen=True)
class Settings:
    """How hard to fit z to a photo: the defaults trade closeness for a visitor's wait (docs/benchmarks.md)."""

    steps: int = 20
    lr: float = 0.08
    pixel: float = 1.0  # weight of the mean squared pixel error ([-1, 1] scale)
    perceptual: float = 1.0  # weight of the judge-feature distance
    prior: float = 0.5  # weight of (‖z‖²/nz − 1)²


def judge_features(judge: AttributePredictor, images: torch.Tensor, stages: int = 4) -> list[torch.Tensor]:
    """The judge's activations at the end of its first `stages` stages, each unit-normalised over channels
    (as LPIPS does), for images in [-1, 1] of any size (resized to the judge's 64×64)."""
    size = judge.config.image_size
    x = images if images.shape[-1] == size else F.interpolate(images, size=(size, size), mode="bilinear",
                                                              align_corners=False, antialias=True)
    out = []
    for layer in judge.features:
        if isinstance(layer, nn.MaxPool2d):
            out.append(x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-6))
            if len(out) == stages:
                break
        x = layer(x)
    return out


@dataclass
class Projection:
    z: torch.Tensor  # N×nz: what the edit directions move
    images: torch.Tensor  # uint8 N×3×S×S, G(z)
    psnr: torch.Tensor  # N, dB against the crops at the generator's size
    start_psnr: torch.Tensor  # N, dB of the starting latent (the encoder's guess)
    seconds: float


class Projector:
    """Photos → one generator's z: the encoder's guess (or the best of a few random latents), then
    `settings.steps` Adam steps on z alone."""

    CANDIDATES = 64  # random latents tried when there is no encoder

    def __init__(self, generator: Generator, judge: AttributePredictor, encoder: Encoder | None = None,
                 settings: Settings = Settings()) -> None:
        self.generator = generator.requires_grad_(False)
        self.judge = judge.requires_grad_(False)
        self.encoder = encoder
        self.settings = settings

    def start(self, targets: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            if self.encoder is not None:
                return self.encoder(targets).clone()
            rng = torch.Generator().manual_seed(0)
            candidates = torch.randn(self.CANDIDATES, self.generator.config.nz, generator=rng)
            images = self.generator(candidates)
            errors = (images.unsqueeze(0) - targets.unsqueeze(1)).pow(2).flatten(2).mean(2)  # photos × candidates
            return candidates[errors.argmin(1)].clone()

    def loss(self, z: torch.Tensor, targets: torch.Tensor, target_features: list[torch.Tensor],
             s: Settings) -> torch.Tensor:
        """Per photo: pixel + perceptual + prior, summed over photos so each z gets its own gradient."""
        images = self.generator(z)
        pixel = (images - targets).pow(2).flatten(1).mean(1)
        perceptual = sum((a - b).pow(2).flatten(1).mean(1) * a.shape[1]
                         for a, b in zip(judge_features(self.judge, images), target_features, strict=True))
        prior = (z.pow(2).mean(1) - 1).pow(2)
        return (s.pixel * pixel + s.perceptual * perceptual + s.prior * prior).sum()

    def __call__(self, crops: torch.Tensor, settings: Settings | None = None) -> Projection:
        """uint8 N×3×H×W face crops (as `facegan.faces.frame` makes them) → their projections."""
        settings = settings or self.settings
        started = time.perf_counter()
        targets = from_uint8(crops, self.generator.config.image_size)
        z = self.start(targets)
        with torch.no_grad():
            start_psnr = psnr_of(self.generator(z), targets)
            target_features = judge_features(self.judge, targets)
        z.requires_grad_(True)
        optimizer = torch.optim.Adam([z], lr=settings.lr)
        for _ in range(settings.steps):
            optimizer.zero_grad(set_to_none=True)
            self.loss(z, targets, target_features, settings).backward()
            optimizer.step()
        z = z.detach()
        with torch.inference_mode():
            images = self.generator(z)
            return Projection(z, to_uint8(images), psnr_of(images, targets), start_psnr,
                              time.perf_counter() - started)


def projector_for(weights: Path, judge: AttributePredictor, settings: Settings = Settings(),
                  generator: Generator | None = None) -> Projector:
    """A generator file's projector, with its encoder when it has one (its generator read from the file unless
    already loaded). An encoder file that cannot be used raises CheckpointError (`facegan.encoder.load_encoder`)."""
    generator = generator or load_generator(weights)[0]
    encoder = load_encoder(weights)
    return Projector(generator, judge, encoder[0] if encoder else None, settings)


def generator_files(checkpoints: Path, names: list[str] | None) -> list[Path]:
    """The named generators (file stems) in the folder, or all of them."""
    found = {p.stem: p for p in sorted(Path(checkpoints).glob("*.safetensors"))}
    if not found:
        raise CheckpointError(f"no *.safetensors generators in {checkpoints}")
    missing = [n for n in names or [] if n not in found]
    if missing:
        raise UsageError(f"no generator named {', '.join(missing)} in {checkpoints} (there: {', '.join(found)})")
    return [found[n] for n in names] if names else list(found.values())


def crop_tensor(crop: Image.Image) -> torch.Tensor:
    """A PIL crop → uint8 1×3×H×W."""
    return torch.from_numpy(np.array(crop.convert("RGB"))).permute(2, 0, 1).unsqueeze(0).contiguous()


def train_encoders(weights: list[Path], samples: int, epochs: int) -> None:
    for path in weights:
        generator, _ = load_generator(path)
        print(f"{path.name}: rendering {samples:,} faces and training its encoder…", flush=True)
        encoder, info = train_encoder(generator.requires_grad_(False), samples, epochs,
                                      log=lambda line: print(f"  {line}", flush=True))
        print(f"  held-out: z error {info['held_out_z_mse']}, PSNR {info['held_out_psnr']} dB "
              f"→ {save_encoder(encoder, path, info)}")


def project_photos(photos: list[Path], projectors: dict[str, Projector], out: Path) -> int:
    """Frame and project each photo, writing NAME.crop.png and NAME.MODEL.png; one line per photo.
    A photo that cannot be framed is one line on stderr; returns how many were projected."""
    out.mkdir(parents=True, exist_ok=True)
    done = 0
    for photo in photos:
        try:
            framed = frame(photo)
        except FaceError as error:
            if len(photos) == 1:
                raise
            print(f"{photo.name}: skipped: {error}", file=sys.stderr)
            continue
        framed.crop.save(out / f"{photo.stem}.crop.png")
        crop = crop_tensor(framed.crop)
        notes = [f"{framed.faces} faces, framed the largest" if framed.faces > 1 else "1 face",
                 "eyes found" if framed.face.eyes_found else "eyes placed from the face box"]
        for name, projector in projectors.items():
            projection = projector(crop)
            to_pil(projection.images).save(out / f"{photo.stem}.{name}.png")
            notes.append(f"{name} PSNR {float(projection.psnr[0]):.1f} dB "
                         f"(start {float(projection.start_psnr[0]):.1f}) in {projection.seconds:.1f} s")
        print(f"{photo.name}: " + "; ".join(notes), flush=True)
        done += 1
    return done


def held_out_crops(data: Path, count: int) -> tuple[torch.Tensor, int]:
    """Up to `count` photos of a folder framed as the studio frames them (in file order), and how many
    photos had no face found."""
    crops, missed = [], 0
    for path in photo_files(data):
        if len(crops) == count:
            break
        try:
            crops.append(crop_tensor(frame(path).crop))
        except FaceError:
            missed += 1
    if not crops:
        raise UsageError(f"no face found in any photo in {data}")
    return torch.cat(crops), missed


def measure(projector: Projector, directions: Directions | None, crops: torch.Tensor,
            inception: InceptionFeatures | None = None, batch_size: int = 50) -> dict:
    """How well one generator's projections match held-out crops, and whether its edits still work on them.

    Reconstruction (PSNR and, with `inception`, the mean distance between Inception features of
    crop and projection) stands beside the same for a random sample of the generator, paired
    with each crop; the judge's age and gender of projection and crop are compared; and the
    Edit tab's walks, measured as `facegan.editing.measure` does on random z, start from the projections.
    """
    z, images, started = [], [], time.perf_counter()
    for chunk in crops.split(batch_size):
        projection = projector(chunk)
        z.append(projection.z)
        images.append(projection.images)
    seconds = (time.perf_counter() - started) / len(crops)
    z, images = torch.cat(z), torch.cat(images)
    generator, judge = projector.generator, projector.judge
    size = generator.config.image_size
    targets = from_uint8(crops, size)
    random = render(generator, seeded_noise(len(crops), generator.config.nz, 2024), fast=False)
    result = {"photos": len(crops), "steps": projector.settings.steps, "encoder": projector.encoder is not None,
              "seconds_per_photo_batched": round(seconds, 3),
              "psnr": round(float(psnr_of(images.float() / 127.5 - 1, targets).mean()), 2),
              "psnr_random": round(float(psnr_of(random.float() / 127.5 - 1, targets).mean()), 2)}
    if inception is not None:
        real, ours, chance = (torch.from_numpy(features_of_images(inception, x)) for x in (crops, images, random))
        result["inception_distance"] = round(float((real - ours).norm(dim=1).mean()), 2)
        result["inception_distance_random"] = round(float((real - chance).norm(dim=1).mean()), 2)
    (crop_age, crop_female), (age, female) = predict(judge, crops), predict(judge, images)
    result["judge"] = {"age_difference": round(float((age - crop_age).abs().mean()), 2),
                       "gender_agreement": round(float(((female > 0.5) == (crop_female > 0.5)).float().mean()), 3),
                       "crop_mean_age": round(float(crop_age.mean()), 1)}
    if directions is not None:
        (ages, _), (_, g_females) = (walk_scores(generator, judge, directions, a, z) for a in ATTRIBUTES)
        mean_age = ages.mean(1)
        result["edits"] = {"steps": list(STEPS), "mean_age": [round(x, 1) for x in mean_age.tolist()],
                           "age_change": round(float(mean_age[-1] - mean_age[0]), 1),
                           "monotonic": bool((mean_age.diff() > 0).all()),
                           "gender_flipped": round(float(((g_females[0] > 0.5) != (g_females[-1] > 0.5)).float()
                                                         .mean()), 3)}
    return result


def example_grid(weights: list[Path], judge: AttributePredictor, settings: Settings, per_model: int = 2,
                 face_px: int = 96) -> Image.Image:
    """Faces that may be shown (each generator's own samples) projected into every generator.

    One row per face: the face, its projection into each generator, then the first generator's
    projection moved 2 steps younger and 2 steps older along that generator's age direction.
    """
    loaded = [load_generator(path) for path in weights]
    directions = directions_of(loaded[0][1], weights[0])
    faces = torch.cat([render(g, seeded_noise(per_model, g.config.nz, 11), fast=False) for g, _ in loaded])
    projections = [projector_for(path, judge, settings, g)(faces)
                   for path, (g, _) in zip(weights, loaded, strict=True)]
    columns = [faces] + [resize_faces(p.images, faces.shape[-1]) for p in projections]
    if directions is not None:
        columns += [render(loaded[0][0], directions.edit(projections[0].z, age=step), fast=False) for step in (-2, 2)]
    rows = torch.stack(columns, 1).flatten(0, 1)
    return display_grid(rows, face_px, nrow=len(columns))


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m facegan.project", description=__doc__)
    p.add_argument("photo", type=Path, nargs="?", help="a photo, or a folder of photos")
    p.add_argument("--model", action="append", help="a generator's file stem (repeatable; default: every one)")
    p.add_argument("--checkpoints", type=Path, default=Path("checkpoints"), help="the generators' folder")
    p.add_argument("--out", type=Path, default=Path("projected"), help="where the crops and projections go")
    defaults = Settings()
    p.add_argument("--steps", type=int, default=defaults.steps, help="optimisation steps on z")
    p.add_argument("--lr", type=float, default=defaults.lr)
    p.add_argument("--pixel", type=float, default=defaults.pixel, help="pixel loss weight")
    p.add_argument("--perceptual", type=float, default=defaults.perceptual, help="judge-feature loss weight")
    p.add_argument("--prior", type=float, default=defaults.prior, help="weight keeping ‖z‖ where G was trained")
    p.add_argument("--predictor", type=Path, default=PREDICTOR_PATH, help="the age/gender judge (its features)")
    p.add_argument("--train-encoders", action="store_true", help="train the generators' encoders instead")
    p.add_argument("--measure", type=Path, metavar="DATA",
                   help="instead: project the first --count photos of DATA (faces found) and print the measures")
    p.add_argument("--count", type=int, default=500, help="with --measure: how many photos")
    p.add_argument("--grid", type=Path, metavar="PNG", help="instead: save a grid of the generators' own faces "
                   "projected into each generator, then younger and older")
    p.add_argument("--no-inception", action="store_true", help="with --measure: skip the Inception distances")
    p.add_argument("--samples", type=int, default=4_000, help="with --train-encoders: (z, G(z)) pairs")
    p.add_argument("--epochs", type=int, default=10, help="with --train-encoders")
    args = p.parse_args(argv)
    weights = generator_files(args.checkpoints, args.model)
    if args.train_encoders:
        if args.samples < 1024 or args.epochs < 1:
            raise UsageError("--samples must be at least 1024 and --epochs at least 1")
        train_encoders(weights, args.samples, args.epochs)
        return 0
    settings = Settings(args.steps, args.lr, args.pixel, args.perceptual, args.prior)
    if args.grid:
        if args.grid.suffix.lower() != ".png":
            raise UsageError(f"--grid must end in .png, got {args.grid}")
        args.grid.parent.mkdir(parents=True, exist_ok=True)
        example_grid(weights, load_predictor(args.predictor)[0], settings).save(args.grid)
        print(f"grid → {args.grid}")
        return 0
    if args.measure:
        if not args.measure.is_dir() or args.count < 1:
            raise UsageError(f"--measure needs a folder of photos and --count at least 1, got {args.measure}")
        judge, _ = load_predictor(args.predictor)
        crops, missed = held_out_crops(args.measure, args.count)
        print(f"{len(crops)} faces framed ({missed} photos without a face found)", flush=True)
        inception = None if args.no_inception else InceptionFeatures()
        for path in weights:
            result = measure(projector_for(path, judge, settings), directions_of(read_metadata(path), path), crops,
                             inception)
            print(json.dumps({"model": path.stem, **result}), flush=True)
        return 0
    if args.photo is None:
        raise UsageError("name a photo or a folder of photos (or --train-encoders, or --measure DATA)")
    if not args.photo.exists():
        raise UsageError(f"no such file or folder: {args.photo}")
    if args.steps < 0 or not (args.lr > 0 and min(args.pixel, args.perceptual, args.prior) >= 0):
        raise UsageError("--steps and the loss weights must not be negative, --lr must be positive")
    photos = photo_files(args.photo)
    if not photos:
        raise UsageError(f"no images in {args.photo}")
    judge, _ = load_predictor(args.predictor)
    projectors = {path.stem: projector_for(path, judge, settings) for path in weights}
    if project_photos(photos, projectors, args.out) == 0:
        raise UsageError(f"no face found in any photo in {args.photo}")
    print(f"crops and projections → {args.out}")
    return 0


def cli(argv: list[str] | None = None) -> int:
    """main() with bad input turned into one line on stderr and exit code 2."""
    return run(main, argv, "project", expected=(CheckpointError, FaceError, MetricsError))


if __name__ == "__main__":
    sys.exit(cli())
