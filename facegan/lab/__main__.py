import sys

from .commands import cli

sys.exit(cli())
