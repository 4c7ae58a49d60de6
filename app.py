"""FaceGAN studio over the checkpoints/ beside this file: `python app.py --help` (installed: `facegan-studio`)."""

import sys
from pathlib import Path

from facegan.studio import cli

if __name__ == "__main__":
    sys.exit(cli(checkpoints=Path(__file__).parent / "checkpoints"))
