"""Files written whole: into a temporary file beside the target, then renamed over it, so a
reader sees the old file or the new one and never half of one. A write that fails (a full
disk) leaves no temporary file behind."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_whole"]


def write_whole(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(temporary)`` (it fills the file at that path), then the rename to ``path``."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
