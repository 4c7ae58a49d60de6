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
from importlib import resources
from pathlib import Path
from string import Template

from .cli import Parser, UsageError, run
from .export import CheckpointError, read_metadata
from .metrics import PRDC
from .record import progress_grids, recipe

ROOT = Path(__file__).resolve().parents[1]
# With the generators: their records, and what the Your photo tab reads beside them (encoders, the age/gender judge).
# The Lab's presets and measured suites (lab/) too: the studio reads all of it from the folder it is given.
WEIGHT_PATTERNS = ["*.safetensors", "*.metrics.jsonl", "*.progress/*.png", "encoders/*.safetensors",
                   "attributes/*.safetensors", "lab/*.safetensors", "lab/bench-*.json", "lab/bench-*.png"]
# UTKFace, which the shipped weights are derived from, is for non-commercial research only.
DATA_LICENSE = {"license": "other", "license_name": "utkface-non-commercial-research",
                "license_link": "https://susanqq.github.io/UTKFace/"}
SPACE_PATTERNS = ["app.py", "requirements.txt", "README.md", "LICENSE", "facegan/*.py", "facegan/ui/*.py",
                  "facegan/lab/*.py", "facegan/templates/*.md", "docs/*.png", "docs/*.md", "docs/lab/*.png",
                  *(f"checkpoints/{p}" for p in WEIGHT_PATTERNS)]


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


def template(name: str) -> Template:
    """A text template shipped in facegan/templates/ ($name placeholders)."""
    return Template(resources.files("facegan").joinpath("templates", name).read_text(encoding="utf-8"))


def _generators(folder: Path) -> list[tuple[Path, dict]]:
    generators = []
    for path in sorted(folder.glob("*.safetensors")):
        try:
            generators.append((path, read_metadata(path)))
        except CheckpointError as error:
            raise HubError(str(error)) from None
    if not generators:
        raise HubError(f"no FaceGAN weights in {folder}")
    return generators


def _card_header(generators: list[tuple[Path, dict]], repo_id: str) -> str:
    """The Hub's YAML header: licence, data sets and the model-index of FID/KID and precision/recall/density/
    coverage."""
    from huggingface_hub import EvalResult, ModelCardData

    def result(reference: str, metric: str, value: float, name: str) -> EvalResult:
        return EvalResult(task_type="unconditional-image-generation", task_name="Unconditional image generation",
                          dataset_type=reference, dataset_name=reference, metric_type=metric,
                          metric_value=round(value, 4), metric_name=name)

    results = [result(m["metrics"]["reference"], metric, m["metrics"][metric],
                      f"{metric.upper()} ({path.stem}, {m['metrics']['num']:,} samples)")
               for path, m in generators if "metrics" in m for metric in ("fid", "kid")]
    results += [result(m["prdc"]["reference"], metric, m["prdc"][metric],
                       f"{metric.capitalize()} ({path.stem}, {m['prdc']['num']:,} samples vs "
                       f"{m['prdc']['reference_size']:,} real, k={m['prdc'][k]})")
                for path, m in generators if "prdc" in m
                for metric, k in zip(PRDC, ("k_pr", "k_pr", "k_dc", "k_dc"), strict=True)]
    data = ModelCardData(**DATA_LICENSE, library_name="facegan", pipeline_tag="unconditional-image-generation",
                         tags=["gan", "dcgan", "wgan", "wgan-gp", "faces", "safetensors", "pytorch"],
                         datasets=_datasets(generators), model_name=repo_id.split("/")[-1],
                         eval_results=results or None)
    return data.to_yaml()


def _datasets(generators: list[tuple[Path, dict]]) -> list[str]:
    return sorted({m.get("dataset", "unknown") for _, m in generators})


def _training_row(path: Path, m: dict) -> str:
    s = m.get("metrics")
    return (f"| `{path.name}` | {m.get('mode', '?').upper()} | "
            + (f"{s['fid']:.2f} | {s['kid']:.4f} ± {s['kid_std']:.4f} | " if s else "– | – | ")
            + f"{m.get('steps', 0):,} | {m.get('images_seen', 0):,} | {m.get('batch_size', '?')} | "
            + f"{m.get('train_seconds', 0):.0f} s on {m.get('device', '?')} | {m.get('dataset', '?')} | "
            + f"{m.get('dtype', '?')}, {m.get('date', '?')} |")


def _manifold_rows(generators: list[tuple[Path, dict]]) -> list[str]:
    """Precision/recall/density/coverage per file, then one real-vs-real row per measured size (the same
    held-out real images score alike)."""
    rows, floors = [], {}
    for path, m in generators:
        if "prdc" in m:
            p = m["prdc"]
            sizes = f"{p['num']:,} | {p['reference_size']:,} of {p['reference']}"
            rows.append(f"| `{path.name}` | " + " | ".join(f"{p[k]:.3f}" for k in PRDC) + f" | {sizes} |")
            if "floor" in p:
                floors[sizes] = ("| real vs real (held-out) | " + " | ".join(f"{p['floor'][k]:.3f}" for k in PRDC)
                                 + f" | {sizes} |")
    return rows + list(floors.values())


def _editing_row(path: Path, m: dict) -> str:
    effect = m["editing"]["effect"]
    age, gender = effect["age"], effect["gender"]
    rises = "monotonic" if age["monotonic"] else "not monotonic"
    return (f"| `{path.name}` | {effect['samples']:,} | {age['age_change']:+.1f} years ({rises}) | "
            f"{age['female_drift']:.3f} | {gender['flipped']:.1%} | {gender['age_drift']:.1f} years |")


def _last_grid(path: Path, folder: Path) -> str | None:
    progress = progress_grids(path)
    if not progress:
        return None
    last, step = progress[-1]
    return f"![{path.stem}: fixed noise at step {step:,}]({last.relative_to(folder).as_posix()})"


def model_card(folder: Path, repo_id: str) -> str:
    """The weights repo's README.md (templates/model_card*.md): Hub YAML header, a sample grid, each generator's
    training facts, scores and edits, and how to load it, all from the weights' metadata."""
    from huggingface_hub import ModelCard

    generators = _generators(folder)
    manifold = _manifold_rows(generators)
    edits = [_editing_row(path, m) for path, m in generators if "effect" in m.get("editing", {})]
    grids = [g for g in (_last_grid(path, folder) for path, _ in generators) if g]
    recipes = [f"- `{path.stem}`: {recipe(m)}" for path, m in generators if m.get("train_config")]
    body = template("model_card.md").substitute(
        name=repo_id.split("/")[-1], count=len(generators), size=generators[0][1]["model"]["image_size"],
        datasets=", ".join(_datasets(generators)), grids=" ".join(grids) or "(no progress grids uploaded)",
        rows="\n".join(_training_row(path, m) for path, m in generators),
        manifold=template("model_card_manifold.md").substitute(rows="\n".join(manifold)) if manifold else "",
        recipes="\n".join(recipes) or "(not recorded)", repo_id=repo_id, first=generators[0][0].name,
        editing=template("model_card_editing.md").substitute(rows="\n".join(edits)) if edits else "")
    return str(ModelCard(f"---\n{_card_header(generators, repo_id)}\n---\n{body.rstrip()}\n"))


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
