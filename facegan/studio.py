"""FaceGAN studio: browse, interpolate, compare and edit the generators in a checkpoints folder, and follow the
training runs in a runs folder.

    python app.py [--checkpoints DIR] [--hub-repo USER/REPO] [--runs DIR]        (installed: facegan-studio …)

Environment: FACEGAN_CHECKPOINTS (the folder), FACEGAN_HUB_REPO (a Hub model repo
whose weights are fetched too), GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (where to listen).
"""

from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home from a Space or a laptop

from .cli import Parser, run  # noqa: E402
from .ui import create_app, launch  # noqa: E402


def main(argv: list[str] | None = None, checkpoints: Path = Path("checkpoints")) -> int:
    """Serve the studio until stopped; checkpoints is the folder used when neither flag nor environment names one."""
    p = Parser(description=__doc__)
    p.add_argument("--checkpoints", type=Path, default=Path(os.environ.get("FACEGAN_CHECKPOINTS", checkpoints)),
                   help=f"folder of *.safetensors generators (default: $FACEGAN_CHECKPOINTS, else {checkpoints})")
    p.add_argument("--hub-repo", default=os.environ.get("FACEGAN_HUB_REPO"),
                   help="also serve the weights of this Hugging Face model repo (USER/REPO)")
    p.add_argument("--runs", type=Path, default=Path("runs"),
                   help="folder of training runs the Runs tab follows (default: runs, where train.py writes them)")
    args = p.parse_args(argv)
    launch(create_app(args.checkpoints, args.hub_repo, args.runs))
    return 0


def cli(argv: list[str] | None = None, checkpoints: Path = Path("checkpoints")) -> int:
    """main() with bad input turned into one line on stderr and exit code 2."""
    return run(partial(main, checkpoints=checkpoints), argv, "app.py")


if __name__ == "__main__":
    sys.exit(cli())
