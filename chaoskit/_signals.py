"""Installing signal handlers for a while, and putting the previous ones back.

A hangup (the terminal closed, an ssh session dropped) is an interruption like Ctrl-C or
SIGTERM: left at its default action it would end the controller with its faults in force
until their expiry. Writing to a hung-up terminal fails (EIO), so what was the terminal is
pointed at /dev/null first, and the teardown that follows cannot fail on its own output. A
hangup ignored when the controller started (``nohup``) stays ignored.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import termios
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = ["handling"]

Handler = Callable[[int, FrameType | None], None]
INTERRUPTIONS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def handling(
    handler: Handler, signals: tuple[signal.Signals, ...] = INTERRUPTIONS
) -> Iterator[None]:
    previous = {}
    for sig in signals:
        if sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN:
            continue  # nohup: the run is meant to outlive its terminal
        previous[sig] = signal.signal(
            sig, _after_a_hangup(handler) if sig == signal.SIGHUP else handler
        )
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _after_a_hangup(handler: Handler) -> Handler:
    def on_hangup(signum: int, frame: FrameType | None) -> None:
        let_go_of_a_hung_up_terminal()
        handler(signum, frame)

    return on_hangup


def let_go_of_a_hung_up_terminal(fds: tuple[int, ...] = (0, 1, 2)) -> list[int]:
    """Point each of ``fds`` that is a hung-up terminal at /dev/null; returns those."""
    hung_up = [fd for fd in fds if _is_hung_up_terminal(fd)]
    if hung_up:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in hung_up:
            os.dup2(devnull, fd)
        os.close(devnull)
    return hung_up


def _is_hung_up_terminal(fd: int) -> bool:
    try:
        termios.tcgetattr(fd)
    except termios.error as exc:
        return bool(exc.args[0] == errno.EIO)  # a file or a pipe is ENOTTY, a closed fd EBADF
    return False
