"""Installing signal handlers for a while, and putting the previous ones back.

A hangup (the terminal closed, an ssh session dropped) is an interruption like Ctrl-C or
SIGTERM: left at its default action it would end the controller with its faults in force
until their expiry. Writing to a hung-up terminal fails (EIO), so what was the terminal is
pointed at /dev/null first, and the teardown that follows cannot fail on its own output. A
hangup ignored when the controller started (``nohup``) stays ignored.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType

from chaoskit._outputs import let_go_of_closed_outputs

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
        let_go_of_closed_outputs()
        handler(signum, frame)

    return on_hangup
