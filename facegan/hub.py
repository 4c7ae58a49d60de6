"""Hugging Face Hub: fetch shipped weights for the app, upload weights and the app.

    python -m facegan.hub upload --weights-repo USER/facegan-weights [--dry-run]
    python -m facegan.hub upload --space USER/facegan [--dry-run]

A Space whose weights live in a model repo sets FACEGAN_HUB_REPO=USER/facegan-weights.
The weights repo gets a model card (README.md) written from the weights' own metadata;
--dry-run prints it. A Space uploaded with --weights-repo names that repo in its header.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .cli import Parser, UsageError, run
from .export import CheckpointError, progress_grids, read_metadata, recipe
from .metrics import PRDC

ROOT = Path(__file__).resolve().parents[1]
WEIGHT_PATTERNS = ["*.safetensors", "*.metrics.jsonl", "*.progress/*.png"]
# UTKFace, which the shipped weights are derived from, is for non-commercial research only.
DATA_LICENSE = {"license": "other", "license_name": "utkface-non-commercial-research",
                "license_link": "https://susanqq.github.io/UTKFace/"}
SPACE_PATTERNS = ["app.py", "requirements.txt", "README.md", "LICENSE", "facegan/*.py", "facegan/ui/*.py", "docs/*.png",
                  "docs/*.md", "docs/lab/*.png", *(f"checkpoints/{p}" for p in WEIGHT_PATTERNS)]


class HubError(RuntimeError):
    """The Hub could not be reached or the repo has no FaceGAN weights; the message says which."""


def fetch_weights(repo_id: str) -> Path:
    """A local folder with the repo's weights: downloaded, or from the cache when offline.

    HF_HUB_OFFLINE=1 (read at each call) answers from the cache alone.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    try:
        folder = snapshot_download(repo_id, allow_patterns=WEIGHT_PATTERNS, local_files_only=offline,
                                   cache_dir=os.environ.get("HF_HUB_CACHE"))
    except RepositoryNotFoundError:
        raise HubError(f"Hub repo {repo_id!r} not found (or private without a token)") from None
    except LocalEntryNotFoundError:
        raise HubError(f"Hub repo {repo_id!r} is not reachable and not in the local cache") from None
    except (HfHubHTTPError, OSError, ValueError) as error:
        raise HubError(f"could not fetch {repo_id!r} from the Hub: {str(error).splitlines()[0]}") from None
    return Path(folder)


def files_matching(root: Path, patterns: list[str]) -> list[Path]:
    return sorted({p.relative_to(root) for pattern in patterns for p in root.glob(pattern) if p.is_file()})


def model_card(folder: Path, repo_id: str) -> str:
    """The weights repo's README.md: Hub YAML header (licence, data set, model-index with FID/KID and
    precision/recall/density/coverage), a sample grid, each generator's training facts and how to load it,
    all from the weights' metadata."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    generators = []
    for path in sorted(folder.glob("*.safetensors")):
        try:
            generators.append((path, read_metadata(path)))
        except CheckpointError as error:
            raise HubError(str(error)) from None
    if not generators:
        raise HubError(f"no FaceGAN weights in {folder}")
    datasets = sorted({m.get("dataset", "unknown") for _, m in generators})
    results = [EvalResult(task_type="unconditional-image-generation", task_name="Unconditional image generation",
                          dataset_type=m["metrics"]["reference"], dataset_name=m["metrics"]["reference"],
                          metric_type=metric, metric_value=round(m["metrics"][metric], 4),
                          metric_name=f"{metric.upper()} ({path.stem}, {m['metrics']['num']:,} samples)")
               for path, m in generators if "metrics" in m for metric in ("fid", "kid")]
    results += [EvalResult(task_type="unconditional-image-generation", task_name="Unconditional image generation",
                           dataset_type=m["prdc"]["reference"], dataset_name=m["prdc"]["reference"],
                           metric_type=metric, metric_value=round(m["prdc"][metric], 4),
                           metric_name=f"{metric.capitalize()} ({path.stem}, {m['prdc']['num']:,} samples vs "
                                       f"{m['prdc']['reference_size']:,} real, k={m['prdc'][k]})")
                for path, m in generators if "prdc" in m
                for metric, k in zip(PRDC, ("k_pr", "k_pr", "k_dc", "k_dc"), strict=True)]
    data = ModelCardData(**DATA_LICENSE, library_name="facegan", pipeline_tag="unconditional-image-generation",
                         tags=["gan", "dcgan", "wgan", "wgan-gp", "faces", "safetensors", "pytorch"],
                         datasets=datasets, model_name=repo_id.split("/")[-1], eval_results=results or None)
    rows, grids, recipes, edits, manifold, floors = [], [], [], [], [], {}
    for path, m in generators:
        s = m.get("metrics")
        rows.append(f"| `{path.name}` | {m.get('mode', '?').upper()} | "
                    + (f"{s['fid']:.2f} | {s['kid']:.4f} ± {s['kid_std']:.4f} | " if s else "– | – | ")
                    + f"{m.get('steps', 0):,} | {m.get('images_seen', 0):,} | {m.get('batch_size', '?')} | "
                    + f"{m.get('train_seconds', 0):.0f} s on {m.get('device', '?')} | {m.get('dataset', '?')} | "
                    + f"{m.get('dtype', '?')}, {m.get('date', '?')} |")
        if "prdc" in m:
            p = m["prdc"]
            sizes = f"{p['num']:,} | {p['reference_size']:,} of {p['reference']}"
            manifold.append(f"| `{path.name}` | " + " | ".join(f"{p[k]:.3f}" for k in PRDC) + f" | {sizes} |")
            if "floor" in p:  # one row per measured size: the same held-out real images score alike
                floors[sizes] = "| real vs real (held-out) | " + " | ".join(f"{p['floor'][k]:.3f}" for k in PRDC) + \
                    f" | {sizes} |"
        if m.get("train_config"):
            recipes.append(f"- `{path.stem}`: {recipe(m)}")
        if "effect" in m.get("editing", {}):
            age, gender = m["editing"]["effect"]["age"], m["editing"]["effect"]["gender"]
            rises = "monotonic" if age["monotonic"] else "not monotonic"
            edits.append(f"| `{path.name}` | {m['editing']['effect']['samples']:,} | {age['age_change']:+.1f} years "
                         f"({rises}) | {age['female_drift']:.3f} | {gender['flipped']:.1%} | "
                         f"{gender['age_drift']:.1f} years |")
        progress = progress_grids(path)
        if progress:
            last, step = progress[-1]
            grids.append(f"![{path.stem}: fixed noise at step {step:,}]({last.relative_to(folder).as_posix()})")
    first = generators[0][0].name
    body = f"""
# {repo_id.split("/")[-1]}: FaceGAN generators

{len(generators)} unconditional face generator(s) (DCGAN layout, {generators[0][1]["model"]["image_size"]}×\
{generators[0][1]["model"]["image_size"]} RGB), trained with FaceGAN and exported as safetensors whose
metadata alone rebuilds each model (no pickles).

**Licence.** Trained on {", ".join(datasets)}, derived from UTKFace, which is available for
**non-commercial research purposes only**; these weights carry the same restriction.

## Samples

Fixed-noise grids at the last training snapshot (EMA generator):

{" ".join(grids) or "(no progress grids uploaded)"}

## Generators

FID/KID: 64×64 samples against the training set, standard TF-FID Inception-v3 features (pytorch-fid's
resize and scaling); KID is mean ± std over 100 subsets of 1,000.

| file | mode | FID ↓ | KID ↓ | generator steps | real images seen | batch | training | data | export |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

""" + (f"""Precision and recall (k = 3; Kynkäänniemi et al., 2019) and density and coverage (k = 5; Naeem et al., 2020)
separate what FID mixes: precision and density say how real the faces look, recall and coverage how much of
the real variety the generator reaches (a model that drops modes loses recall and coverage). Same Inception
features as FID (the papers used VGG-16, so compare these across FaceGAN models, not with the papers' tables).
They depend on the sample counts, so the real-vs-real row, held-out real faces scored the same way, is what a
perfect generator gets at those sizes.

| file | precision ↑ | recall ↑ | density | coverage ↑ | samples | real images |
| --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(manifold + list(floors.values()))}

""" if manifold else "") + f"""Training recipes (the full configuration is in each file's safetensors metadata, \
key `facegan`):

{chr(10).join(recipes) or "(not recorded)"}

## Use

```python
from huggingface_hub import hf_hub_download
from facegan.export import load_generator
generator, meta = load_generator(hf_hub_download("{repo_id}", "{first}"))  # CPU, fp32, eval mode
```

`generator(torch.randn(16, meta["model"]["nz"]))` gives 16 faces in [-1, 1].
""" + (f"""
## Face editing

These files carry age and gender directions in z (InterFaceGAN-style, fitted on the generator's own
faces as scored by an age/gender CNN trained on UTKFace's annotations; the race label is not used).
Measured on latents not used for fitting, walking −3 → +3 steps along each conditional direction:

| file | latents | age walk: mean predicted age | P(female) drift | gender walk: faces flipped | age drift |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(edits)}

```python
from facegan.editing import directions_of
older = generator(directions_of(meta).edit(z, age=2.0))  # 2 steps older, the gender score held
```
""" if edits else "")
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n{body}"))


def space_readme(readme: str, weights_repo: str) -> str:
    """The Space's README with its header naming the model repo it loads weights from."""
    from huggingface_hub import SpaceCard

    card = SpaceCard(readme)
    card.data.models = [weights_repo]
    return str(card)


def upload(repo_id: str, folder: Path, patterns: list[str], repo_type: str, dry_run: bool,
           generated: dict[str, str] | None = None) -> list[Path]:
    """Upload the files of folder that match patterns, plus generated texts (path → text) in the same commit.

    With dry_run, only list them.
    """
    generated = generated or {}
    files = sorted(set(files_matching(folder, patterns)) | {Path(name) for name in generated})
    if not files:
        raise HubError(f"nothing to upload from {folder} (looked for {', '.join(patterns)})")
    if dry_run:
        return files
    from huggingface_hub import CommitOperationAdd, HfApi

    operations = [CommitOperationAdd(path_in_repo=f.as_posix(), path_or_fileobj=generated[str(f)].encode()
                                     if str(f) in generated else str(folder / f)) for f in files]
    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type=repo_type, exist_ok=True,
                        **({"space_sdk": "gradio"} if repo_type == "space" else {}))
        api.create_commit(repo_id=repo_id, repo_type=repo_type, operations=operations,
                          commit_message="Upload from facegan.hub")
    except Exception as error:  # network and auth failures from huggingface_hub: one line, not a traceback
        raise HubError(f"upload failed: {str(error).splitlines()[0] if str(error) else type(error).__name__}") from None
    return files


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m facegan.hub", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upload", help="upload the checkpoints to a model repo and/or the app to a Space")
    up.add_argument("--weights-repo", help="model repo for checkpoints/ (USER/NAME)")
    up.add_argument("--space", help="Space for the app, with its checkpoints (USER/NAME)")
    up.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    up.add_argument("--dry-run", action="store_true", help="list what would be uploaded; touch nothing")
    args = p.parse_args(argv)
    if not (args.weights_repo or args.space):
        raise UsageError("name --weights-repo and/or --space")
    targets = []
    if args.weights_repo:
        card = model_card(args.checkpoints, args.weights_repo)
        targets.append((args.weights_repo, args.checkpoints, WEIGHT_PATTERNS, "model", {"README.md": card}))
    if args.space:
        readme = (ROOT / "README.md").read_text()
        header = {"README.md": space_readme(readme, args.weights_repo)} if args.weights_repo else {}
        targets.append((args.space, ROOT, SPACE_PATTERNS, "space", header))
    for repo_id, folder, patterns, repo_type, generated in targets:
        files = upload(repo_id, folder, patterns, repo_type, args.dry_run, generated)
        print(f"{'would upload' if args.dry_run else 'uploaded'} {len(files)} files to {repo_type} repo {repo_id}:")
        print("\n".join(f"  {f}" for f in files))
        if args.dry_run and repo_type == "model":
            print(f"\nREADME.md (model card):\n{generated['README.md']}")
    return 0


def cli(argv: list[str] | None = None) -> int:
    return run(main, argv, "hub", expected=(HubError,))


if __name__ == "__main__":
    sys.exit(cli())
