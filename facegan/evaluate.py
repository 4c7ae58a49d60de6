"""Score a generator (or a folder of images) against a real image folder: FID and KID.

    python -m facegan.evaluate --checkpoint checkpoints/dcgan.safetensors \\
        --data ../shared/data/utkface64 --num 10000 [--write-metadata]
    python -m facegan.evaluate --folder my_samples/ --data ../shared/data/utkface64

Prints one line and writes the scores as JSON (--json). The real folder's features
are cached, so only the first run against a data set pays for them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


from .cli import Parser, UsageError, run
from .data import DataError, load_folder
from .export import CheckpointError, load_generator, update_metadata
from .metrics import GeneratorScorer, MetricsError, features_of_images, score
from .models import IMAGE_SIZES
from .training import resolve_device


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m facegan.evaluate", description=__doc__)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--checkpoint", type=Path, help="an exported generator (.safetensors)")
    what.add_argument("--folder", type=Path, help="a folder of images to score instead of a generator")
    p.add_argument("--data", type=Path, required=True, help="the real images to compare against")
    p.add_argument("--num", type=int, default=10000, help="samples to generate (default 10000)")
    p.add_argument("--image-size", type=int, choices=IMAGE_SIZES,
                   help="size the real images are brought to (default: the generator's, else 64)")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--seed", type=int, default=0, help="seed of the generated samples")
    p.add_argument("--kid-subsets", type=int, default=100)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--json", type=Path, help="where to write the scores (default: NAME.eval.json beside the input)")
    p.add_argument("--write-metadata", action="store_true",
                   help="also store the scores in the checkpoint's metadata, where the app shows them")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.num < 2 or args.batch_size < 1 or args.kid_subsets < 1:
        raise UsageError("--num must be at least 2, --batch-size and --kid-subsets at least 1")
    device = resolve_device(args.device)
    started = time.perf_counter()
    if args.checkpoint:
        generator, meta = load_generator(args.checkpoint)
        image_size = args.image_size or meta["model"]["image_size"]
        source, default_json = args.checkpoint.name, args.checkpoint.with_suffix(".eval.json")
    else:
        image_size = args.image_size or 64
        source, default_json = args.folder.name, Path(f"{args.folder.name}.eval.json")
    if not args.data.is_dir():
        raise DataError(f"data folder not found: {args.data}")

    scorer = GeneratorScorer(args.data, image_size, device, args.num, args.batch_size, args.kid_subsets)
    if args.checkpoint:
        scores = scorer(generator.to(device), args.seed)
    else:
        feats = features_of_images(scorer.extractor, load_folder(args.folder, image_size), args.batch_size)
        scores = score(feats, scorer.reference, args.kid_subsets)
    seconds = time.perf_counter() - started

    result = {"source": source, **scores.as_dict(), "image_size": image_size, "device": str(device),
              "seconds": round(seconds, 1)}
    json_path = args.json or default_json
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{source}: FID {scores.fid:.2f}  KID {scores.kid:.4f} ± {scores.kid_std:.4f}  "
          f"({scores.num} samples vs {scores.reference}, {scores.reference_size} images; {seconds:.0f} s) → {json_path}")
    if args.write_metadata and args.checkpoint:
        update_metadata(args.checkpoint, {"metrics": {k: result[k] for k in (
            "fid", "kid", "kid_std", "num", "reference", "reference_size")}})
    return 0


def cli(argv: list[str] | None = None) -> int:
    return run(main, argv, "evaluate", expected=(DataError, CheckpointError, MetricsError, ValueError))


if __name__ == "__main__":
    sys.exit(cli())
