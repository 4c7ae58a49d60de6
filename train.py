"""Train a DCGAN, WGAN or WGAN-GP face generator: `python train.py --help` (installed: `facegan-train`)."""

import sys

from facegan.train import cli

if __name__ == "__main__":
    sys.exit(cli())
