"""Score a generator (or a folder of images) against a real image folder: FID, KID,
precision/recall and density/coverage, and optionally the nearest real faces.

    python -m facegan.evaluate --checkpoint checkpoints/dcgan.safetensors \\
        --data data/utkface64 --num 10000 [--write-metadata]
    python -m facegan.evaluate --folder my_samples/ --data data/utkface64
    python -m facegan.evaluate --checkpoint checkpoints/dcgan.safetensors --data data/utkface64 \\
        --num 2000 --reference-num 3000 --floor --nearest 5 [--write-metadata prdc]

Prints the scores and writes them as JSON (--json). Real and generated features are
cached, so a rerun costs no Inception pass. --reference-num takes the first N of the
folder in a fixed shuffled order; --floor and --nearest use the next --num images of
that order as held-out real faces. The nearest-face grid shows images of --data: mind
their licence before sharing it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from .cli import Parser, UsageError, run
from .data import DataError, load_folder
from .export import CheckpointError, load_generator, update_metadata
from .figures import new_figure
from .metrics import (
    MIN_SAMPLES,
    PRDC,
    InceptionFeatures,
    MetricsError,
    ReferenceStats,
    Scores,
    features_of_images,
    generator_features,
    nearest,
    real_features,
    score,
    shuffled_images,
)
from .models import IMAGE_SIZES, Generator
from .optim import resolve_device
from .sampling import render, seeded_noise


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m facegan.evaluate", description=__doc__)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--checkpoint", type=Path, help="an exported generator (.safetensors)")
    what.add_argument("--folder", type=Path, help="a folder of images to score instead of a generator")
    p.add_argument("--data", type=Path, required=True, help="the real images to compare against")
    p.add_argument("--num", type=int, default=10000, help="samples to generate (default 10000)")
    p.add_argument("--reference-num", type=int, help="real images to compare against: the first N of --data "
                                                      "in a fixed shuffled order (default: all)")
    p.add_argument("--floor", action="store_true", help="also score held-out real images against the reference: "
                                                         "what a perfect generator gets at these sizes")
    p.add_argument("--nearest", type=int, metavar="K",
                   help="write NAME.eval.nearest.png: the generated faces closest to the reference, each with its K "
                        "nearest reference faces in Inception feature space; and NAME.eval.distances.png: every "
                        "generated and held-out real face's distance to its nearest reference face")
    p.add_argument("--nearest-rows", type=int, default=8, help="generated faces in that grid (default 8)")
    p.add_argument("--image-size", type=int, choices=IMAGE_SIZES,
                   help="size the real images are brought to (default: the generator's, else 64)")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--seed", type=int, default=0, help="seed of the generated samples")
    p.add_argument("--kid-subsets", type=int, default=100)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--json", type=Path, help="where to write the scores (default: NAME.eval.json beside the input)")
    p.add_argument("--write-metadata", nargs="?", const="all", choices=("all", "prdc"),
                   help="also store the scores in the checkpoint's metadata, where the app and the model card show "
                        "them; 'prdc' stores only precision/recall/density/coverage and keeps FID/KID measured earlier")
    return p


def check(args: argparse.Namespace) -> None:
    if args.num < MIN_SAMPLES or (args.reference_num is not None and args.reference_num < MIN_SAMPLES):
        raise UsageError(f"--num and --reference-num must be at least {MIN_SAMPLES}")
    if args.batch_size < 1 or args.kid_subsets < 1 or args.nearest_rows < 1:
        raise UsageError("--batch-size, --kid-subsets and --nearest-rows must be at least 1")
    if args.nearest is not None and args.nearest < 1:
        raise UsageError("--nearest K needs K ≥ 1")
    if (args.floor or args.nearest) and args.reference_num is None:
        raise UsageError("--floor and --nearest take held-out real images from the rest of --data: set --reference-num")


def summary(scores: Scores) -> str:
    return (f"FID {scores.fid:.2f}  KID {scores.kid:.4f} ± {scores.kid_std:.4f}  precision {scores.precision:.3f}  "
            f"recall {scores.recall:.3f}  density {scores.density:.3f}  coverage {scores.coverage:.3f}  "
            f"({scores.num:,} vs {scores.reference}, {scores.reference_size:,} images)")


def nearest_grid(faces: torch.Tensor, neighbours: torch.Tensor, distances: np.ndarray, path: Path,
                 scale: int = 2) -> None:
    """One row per generated face: the face, then its K nearest real faces with their distances beneath."""
    rows, k = neighbours.shape[:2]
    size, pad, gap, label = faces.shape[-1] * scale, 4, 12, 14
    canvas = Image.new("RGB", (pad + size + gap + k * (size + pad), pad + rows * (size + label + pad)), "white")
    draw = ImageDraw.Draw(canvas)

    def put(image: torch.Tensor, x: int, y: int, caption: str) -> None:
        tile = Image.fromarray(image.permute(1, 2, 0).cpu().numpy()).resize((size, size), Image.NEAREST)
        canvas.paste(tile, (x, y))
        draw.text((x + 2, y + size + 1), caption, fill="black")

    for r in range(rows):
        y = pad + r * (size + label + pad)
        put(faces[r], pad, y, "generated")
        for c in range(k):
            put(neighbours[r, c], pad + size + gap + c * (size + pad), y, f"{distances[r, c]:.1f}")
    canvas.save(path)


def distance_histogram(generated: np.ndarray, real: np.ndarray, path: Path, title: str) -> None:
    """How far each face is from its nearest reference face, generated against held-out real ones:
    a generator that copies its training faces shows a pile near 0 that real faces do not."""
    fig = new_figure(width=5, height=3)
    ax = fig.add_subplot(1, 1, 1)
    bins = np.linspace(0, max(generated.max(), real.max()), 50)
    ax.hist(real, bins, alpha=0.6, label=f"held-out real (median {np.median(real):.1f})")
    ax.hist(generated, bins, alpha=0.6, label=f"generated (median {np.median(generated):.1f})")
    ax.set_xlabel("distance to the nearest reference face")
    ax.set_ylabel("faces")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


@dataclass
class Source:
    """What is scored: a generator's samples or a folder's images, at the size the real images are brought to."""

    name: str
    image_size: int
    default_json: Path
    generator: Generator | None = None
    images: torch.Tensor | None = None


def load_source(args: argparse.Namespace) -> Source:
    if args.checkpoint:
        generator, meta = load_generator(args.checkpoint)
        return Source(args.checkpoint.name, args.image_size or meta["model"]["image_size"],
                      args.checkpoint.with_suffix(".eval.json"), generator=generator)
    image_size = args.image_size or 64
    images = load_folder(args.folder, image_size)
    if len(images) < MIN_SAMPLES:
        raise UsageError(f"{args.folder} has {len(images)} usable images; scoring needs at least {MIN_SAMPLES}")
    return Source(args.folder.name, image_size, Path(f"{args.folder.name}.eval.json"), images=images)


def nearest_faces(args: argparse.Namespace, source: Source, feats: torch.Tensor, real: torch.Tensor,
                  reference: ReferenceStats, json_path: Path, device: torch.device) -> dict:
    """The --nearest grid and histogram, and the distances they show."""
    distances, indices = nearest(feats, reference.features, args.nearest, device)
    real_distance = nearest(real[args.reference_num:], reference.features, 1, device)[0][:, 0]
    rows = np.argsort(distances[:, 0])[:args.nearest_rows]  # the most copy-like faces
    faces = shuffled_images(args.data, source.image_size)[torch.from_numpy(indices[rows])]
    grid_path, histogram_path = json_path.with_suffix(".nearest.png"), json_path.with_suffix(".distances.png")
    generated = (render(source.generator, seeded_noise(args.num, source.generator.config.nz, args.seed)[rows],
                        fast=False)
                 if source.generator is not None else source.images[torch.from_numpy(rows)])
    nearest_grid(generated, faces, distances[rows], grid_path)
    distance_histogram(distances[:, 0], real_distance, histogram_path,
                       f"{source.name}: nearest of {len(reference.features):,} reference faces")
    n = {"k": args.nearest, "searched": len(reference.features), "grid": str(grid_path),
         "histogram": str(histogram_path), "median_generated": float(np.median(distances[:, 0])),
         "median_held_out_real": float(np.median(real_distance)), "closest_generated": float(distances[:, 0].min()),
         "closest_held_out_real": float(real_distance.min())}
    print(f"nearest of {n['searched']:,} reference faces: median distance {n['median_generated']:.2f} "
          f"(generated) vs {n['median_held_out_real']:.2f} (held-out real), closest {n['closest_generated']:.2f} "
          f"vs {n['closest_held_out_real']:.2f} → {grid_path}, {histogram_path}")
    return n


def write_metadata(args: argparse.Namespace, scores: Scores, floor: Scores | None) -> None:
    """--write-metadata: the scores into the checkpoint, where the app and the model card read them."""
    record = scores.metadata()
    if floor:
        record["prdc"]["floor"] = {k: getattr(floor, k) for k in PRDC}
    if args.write_metadata == "prdc":
        del record["metrics"]
    update_metadata(args.checkpoint, record)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check(args)
    device = resolve_device(args.device)
    started = time.perf_counter()
    source = load_source(args)
    if not args.data.is_dir():
        raise DataError(f"data folder not found: {args.data}")

    extractor = InceptionFeatures(device)
    num = args.num if source.generator is not None else len(source.images)
    held_out = num if args.floor or args.nearest else 0
    count = None if args.reference_num is None else args.reference_num + held_out
    real = real_features(extractor, args.data, source.image_size, count, batch_size=args.batch_size)
    reference = ReferenceStats(args.data.name, real[:args.reference_num])
    if source.generator is not None:
        source.generator = source.generator.to(device)
        feats = generator_features(extractor, source.generator, num, args.seed, args.batch_size)
    else:
        feats = features_of_images(extractor, source.images, args.batch_size)
    scores = score(feats, reference, args.kid_subsets, device)
    result = {"source": source.name, **scores.as_dict(), "image_size": source.image_size, "device": str(device)}
    json_path = args.json or source.default_json
    print(f"{source.name}: {summary(scores)}; {time.perf_counter() - started:.0f} s → {json_path}")

    floor = None
    if args.floor:
        floor = score(real[args.reference_num:], reference, args.kid_subsets, device)
        result["floor"] = floor.as_dict()
        print(f"real vs real ({floor.num:,} held-out images): {summary(floor)}")
    if args.nearest:
        result["nearest"] = nearest_faces(args, source, feats, real, reference, json_path, device)

    result["seconds"] = round(time.perf_counter() - started, 1)
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    if args.write_metadata and args.checkpoint:
        write_metadata(args, scores, floor)
    return 0


def cli(argv: list[str] | None = None) -> int:
    return run(main, argv, "evaluate", expected=(DataError, CheckpointError, MetricsError, ValueError))


if __name__ == "__main__":
    sys.exit(cli())
