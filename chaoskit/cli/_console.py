"""The consoles the commands print to: a terminal's width when there is one, and no
wrapping at all when output goes to a file, a pipe or CI (a name is never cut in two).

What they print is text, not Rich markup: titles, step names, paths, verdicts and logs
come from users, and a ``[prod]`` in them vanished while a ``[/x]`` ended the command on a
MarkupError. Colour is asked for by name, with ``styled``."""

from __future__ import annotations

import errno
import sys

from rich.console import Console
from rich.text import Text

__all__ = ["console", "styled", "warning"]

UNWRAPPED_WIDTH = 10_000


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Rich ends the process (SystemExit) when the reader of its output has gone
        (``chaoskit run … | head``): a run would stop where it stood, its journal and report
        unwritten. The error goes instead to whoever printed; a run then reverts, reports
        and exits 3 (``chaoskit._outputs.guarded``), any other command exits 1 (Typer's way
        with a broken pipe)."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of chaoskit's output has gone")


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return _Console(stderr=stderr, markup=False)
    return _Console(stderr=stderr, markup=False, width=UNWRAPPED_WIDTH, soft_wrap=True)


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text from plain strings and ``(text, style)`` pairs, none of it read as markup:
    ``styled(("error:", "bold red"), " ", message)``."""
    return Text.assemble(*parts)


def warning(message: str) -> Text:
    """``warning: message``, the prefix in bold yellow, for stderr."""
    return styled(("warning:", "bold yellow"), f" {message}")
