"""What FaceGAN's command lines share: bad input is one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


class UsageError(Exception):
    """Bad input from the command line; the message is shown as it is."""


class Parser(argparse.ArgumentParser):
    """argparse with its errors raised as UsageError instead of a usage dump."""

    def __init__(self, **kwargs) -> None:
        super().__init__(formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)

    def error(self, message: str) -> None:
        raise UsageError(f"{message} (see --help)")


def run(main: Callable[[list[str] | None], int], argv: list[str] | None, prog: str,
        expected: tuple[type[Exception], ...] = ()) -> int:
    """main(argv), with UsageError and the expected errors turned into `prog: error: …`, exit 2."""
    try:
        return main(argv)
    except (UsageError, *expected) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
