"""When what the controller writes to goes away: a terminal that hung up, a pipe whose
reader ended (``chaoskit run … | head``), a socket closed at the far end. Writing there fails
(EIO, EPIPE) and, left alone, the error would end the run in the middle of its teardown. The
output is pointed at /dev/null instead, so whatever follows (reverting faults, writing the
report) writes without failing, and the run is interrupted as on Ctrl-C.
"""

from __future__ import annotations

import errno
import os
import select
from collections.abc import Callable
from typing import TypeVar

__all__ = ["guarded", "let_go_of_closed_outputs"]

OUTPUTS = (1, 2)
CLOSED_ERRNOS = frozenset({errno.EPIPE, errno.EIO, errno.ECONNRESET})
Arg = TypeVar("Arg")


def guarded(
    write: Callable[[Arg], None], on_closed: Callable[[], None], outputs: tuple[int, ...] = OUTPUTS
) -> Callable[[Arg], None]:
    """``write`` (to ``outputs``), except that an output that has gone away calls
    ``on_closed`` (after pointing that output at /dev/null) instead of raising."""

    def guarded_write(arg: Arg) -> None:
        try:
            write(arg)
        except OSError as exc:
            if exc.errno not in CLOSED_ERRNOS:
                raise
            let_go_of_closed_outputs(outputs)
            on_closed()

    return guarded_write


def let_go_of_closed_outputs(fds: tuple[int, ...] = OUTPUTS) -> list[int]:
    """Point each of ``fds`` whose far end has gone at /dev/null; returns those."""
    gone = [fd for fd in fds if _far_end_gone(fd)]
    if gone:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in gone:
            os.dup2(devnull, fd)
        os.close(devnull)
    return gone


def _far_end_gone(fd: int) -> bool:
    """A pipe with no reader or a socket closed at the far end (POLLERR), a hung-up terminal
    (POLLHUP); a file, a live terminal and a closed descriptor (POLLNVAL) are not."""
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
