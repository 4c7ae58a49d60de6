"""Face-editing speed: one edit in the app, and fitting one model's directions.

    python benchmarks/edit_speed.py [--checkpoints checkpoints] [--model dcgan] [--samples 20000]

Reports the Edit tab's slider handler (render one face, upscale it to 320 px, read the
fitted models) beside the generator call alone for one face as the baseline in the same
run, the /edit_walk handler (seven faces), and the seconds `facegan.editing.fit` takes for
one model (render and score `--samples` latents, fit both linear models). Fitting writes
nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import torch  # noqa: E402

from benchmarks.app_speed import median_ms  # noqa: E402
from facegan import editing, sampling  # noqa: E402
from facegan.attributes import DEFAULT_PATH, load_predictor  # noqa: E402
from facegan.ui import Studio  # noqa: E402
from facegan.ui.gallery import Gallery  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    p.add_argument("--model", default="dcgan")
    p.add_argument("--samples", type=int, default=20_000)
    args = p.parse_args()

    studio = Studio(Gallery([args.checkpoints]))
    entry = studio.gallery.models[args.model]
    if entry.directions is None:
        sys.exit(f"{args.model} has no directions: run python -m facegan.editing fit first")
    z = sampling.seeded_noise(1, entry.generator.config.nz, 5)
    generator_only = median_ms(lambda: sampling.render(entry.generator, z), repeats=100)
    years = round(float(entry.directions.years(z[0]))) + 10
    edit = median_ms(lambda: studio.edit_years(args.model, 5, years, 0.7, True), repeats=100)
    walk = median_ms(lambda: studio.edit_walk(args.model, 5, "age", True), repeats=30)
    print(f"one face, generator only: {generator_only:.1f} ms")
    print(f"one edit, whole slider handler: {edit:.1f} ms ({edit / generator_only:.1f}× the generator; target ≤ 20)")
    print(f"edit walk (7 faces), whole handler: {walk:.1f} ms")

    predictor, _ = load_predictor(ROOT / DEFAULT_PATH)
    start = time.perf_counter()
    editing.fit(entry.generator, predictor, args.samples)
    print(f"fitting {args.model}'s directions on {args.samples:,} latents: {time.perf_counter() - start:.0f} s "
          f"(target ≤ 180)")


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
