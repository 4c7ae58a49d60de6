"""Hugging Face Hub: fetch shipped weights for the app, upload weights and the app.

    python -m facegan.hub upload --weights-repo USER/facegan-weights [--dry-run]
    python -m facegan.hub upload --space USER/facegan [--dry-run]

A Space whose weights live in a model repo sets FACEGAN_HUB_REPO=USER/facegan-weights.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .cli import Parser, UsageError, run

ROOT = Path(__file__).resolve().parents[1]
WEIGHT_PATTERNS = ["*.safetensors", "*.metrics.jsonl", "*.progress/*.png"]
SPACE_PATTERNS = ["app.py", "requirements.txt", "README.md", "LICENSE", "facegan/*.py", "docs/*.png",
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


def upload(repo_id: str, folder: Path, patterns: list[str], repo_type: str, dry_run: bool) -> list[Path]:
    """Upload the files of folder that match patterns; with dry_run, only list them."""
    files = files_matching(folder, patterns)
    if not files:
        raise HubError(f"nothing to upload from {folder} (looked for {', '.join(patterns)})")
    if dry_run:
        return files
    from huggingface_hub import HfApi

    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type=repo_type, exist_ok=True,
                        **({"space_sdk": "gradio"} if repo_type == "space" else {}))
        api.upload_folder(repo_id=repo_id, repo_type=repo_type, folder_path=folder, allow_patterns=patterns,
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
    targets = [(args.weights_repo, args.checkpoints, WEIGHT_PATTERNS, "model"), (args.space, ROOT, SPACE_PATTERNS, "space")]
    for repo_id, folder, patterns, repo_type in targets:
        if repo_id:
            files = upload(repo_id, folder, patterns, repo_type, args.dry_run)
            print(f"{'would upload' if args.dry_run else 'uploaded'} {len(files)} files to {repo_type} repo {repo_id}:")
            print("\n".join(f"  {f}" for f in files))
    return 0


def cli(argv: list[str] | None = None) -> int:
    return run(main, argv, "hub", expected=(HubError,))


if __name__ == "__main__":
    sys.exit(cli())
