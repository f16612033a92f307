"""The consoles the commands print to: a terminal's width when there is one, and no
wrapping at all when output goes to a file, a pipe or CI (a name is never cut in two)."""

from __future__ import annotations

import sys

from rich.console import Console

__all__ = ["console"]

UNWRAPPED_WIDTH = 10_000


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=UNWRAPPED_WIDTH, soft_wrap=True)
