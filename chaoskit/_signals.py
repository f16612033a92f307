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
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from chaoskit._outputs import let_go_of_closed_outputs

__all__ = ["deferring", "handling", "interrupting"]

Handler = Callable[[int, FrameType | None], None]
INTERRUPTIONS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def handling(
    handler: Handler, signals: tuple[signal.Signals, ...] = INTERRUPTIONS
) -> Iterator[None]:
    handlers = {
        sig: _after_a_hangup(handler) if sig == signal.SIGHUP else handler
        for sig in signals
        # nohup: the run is meant to outlive its terminal
        if not (sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN)
    }
    with _installed(handlers):
        yield


def _after_a_hangup(handler: Handler) -> Handler:
    def on_hangup(signum: int, frame: FrameType | None) -> None:
        let_go_of_closed_outputs()
        handler(signum, frame)

    return on_hangup


@contextlib.contextmanager
def interrupting(
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP),
) -> Iterator[None]:
    """Each of ``signals`` as Ctrl-C (KeyboardInterrupt) for a while, in a program that
    has no handler of its own for it (a test session: a CI job cancelled, ``timeout``, a
    closed terminal). Left at their default action they end the process where it stands;
    as an interrupt they unwind it, ``with`` blocks and fixtures ending on the way. Once: a
    second signal while it unwinds is not raised into its clean-up. Only from the main
    thread (the only one that can set a handler); elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        nonlocal raised
        if signum == signal.SIGHUP:
            let_go_of_closed_outputs()
        if not raised:
            raised = True
            raise KeyboardInterrupt(signal.Signals(signum).name)

    with _installed({sig: interrupt for sig in signals if signal.getsignal(sig) == signal.SIG_DFL}):
        yield


@contextlib.contextmanager
def deferring(
    signals: tuple[signal.Signals, ...] = (*INTERRUPTIONS, signal.SIGALRM),
) -> Iterator[None]:
    """Ctrl-C, SIGTERM, a hangup and an alarm (pytest-timeout's, in its signal method, fails
    the test from its handler) held while the block runs (a revert: interrupted half way, it
    would leave its fault in force until the watchdog's expiry), then delivered to the
    handlers there were before, once the block is done. Only from the main thread;
    elsewhere nothing changes (no signal is delivered there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[signal.Signals] = []
    try:
        with handling(lambda signum, _frame: held.append(signal.Signals(signum)), signals):
            yield
    finally:
        for sig in dict.fromkeys(held):  # each once, in the order they came
            signal.raise_signal(sig)


@contextlib.contextmanager
def _installed(handlers: dict[signal.Signals, Handler]) -> Iterator[None]:
    """``handlers`` installed for a while, each signal's previous handler put back after."""
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
