"""Installing signal handlers for a while, and putting the previous ones back."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = ["handling"]


@contextlib.contextmanager
def handling(
    handler: Callable[[int, FrameType | None], None],
    signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM),
) -> Iterator[None]:
    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
