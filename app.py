"""FaceGAN studio: browse, interpolate and compare the generators in checkpoints/.

    python app.py [--checkpoints DIR]

Environment: FACEGAN_CHECKPOINTS (the folder), FACEGAN_HUB_REPO (a Hub model repo
whose weights are fetched too), GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (where to listen).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home from a Space or a laptop

from facegan.ui import create_app, launch  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoints", type=Path,
                   default=Path(os.environ.get("FACEGAN_CHECKPOINTS", Path(__file__).parent / "checkpoints")))
    p.add_argument("--hub-repo", default=os.environ.get("FACEGAN_HUB_REPO"))
    args = p.parse_args()
    launch(create_app(args.checkpoints, args.hub_repo))


if __name__ == "__main__":
    main()
