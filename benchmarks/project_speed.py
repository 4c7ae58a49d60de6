"""Projection speed: one photo through each generator, as the Your photo tab and `facegan.project` run it.

    python benchmarks/project_speed.py [--checkpoints checkpoints] [--steps 20] [--threads 2]

For one photo (a DCGAN face enlarged into a 640×480 picture): the framing (read, find the
face and its eyes, align), then per generator the encoder's guess and the `--steps`
optimisation steps, each as the median of a few runs. The baseline in the same run is one
generator forward pass for one face, so the ratio says what a projection costs in those.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from benchmarks.app_speed import median_ms  # noqa: E402
from facegan.attributes import DEFAULT_PATH, load_predictor  # noqa: E402
from facegan.faces import frame  # noqa: E402
from facegan.project import Settings, crop_tensor, projector_for  # noqa: E402
from facegan.sampling import render, seeded_noise  # noqa: E402


def median_s(run, repeats: int) -> float:
    return median_ms(run, repeats) / 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    p.add_argument("--steps", type=int, default=Settings.steps)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    judge, _ = load_predictor(ROOT / DEFAULT_PATH)
    weights = sorted(args.checkpoints.glob("*.safetensors"))
    projectors = {path.stem: projector_for(path, judge, Settings(steps=args.steps)) for path in weights}
    first = next(iter(projectors.values())).generator
    face = render(first, seeded_noise(10, first.config.nz, 0), fast=False)[9]
    canvas = Image.new("RGB", (640, 480), (90, 120, 150))
    canvas.paste(Image.fromarray(face.permute(1, 2, 0).numpy()).resize((256, 256), Image.LANCZOS), (200, 100))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=90)
    photo = buffer.getvalue()

    framing = median_s(lambda: frame(photo), args.repeats)
    crop = crop_tensor(frame(photo).crop)
    z = seeded_noise(1, first.config.nz, 1)
    with torch.inference_mode():
        baseline = median_s(lambda: first(z), 20)
    print(f"{args.threads} threads; baseline, one generator forward pass for one face: {baseline * 1000:.1f} ms")
    print(f"framing (read, detect, align, crop): {framing:.2f} s")
    for name, projector in projectors.items():
        seconds = median_s(lambda projector=projector: projector(crop), args.repeats)
        total = framing + seconds
        print(f"{name}: encoder + {args.steps} steps {seconds:.2f} s; with framing {total:.2f} s per photo "
              f"({seconds / baseline:.0f}× the baseline; encoder {'yes' if projector.encoder else 'no'})")


if __name__ == "__main__":
    main()
