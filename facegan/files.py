"""Writing a file so that readers see the old one or the new one whole, never half of either."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yields a temporary path beside `path` to write to; renamed onto `path` when the block ends.

    The temporary name is unique to this process and thread, so two writers never share one, and it is
    removed if the block raises: a failed save leaves neither half a file nor a stray temporary one.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

