"""A hangup interrupts like SIGTERM (``tests/test_outputs.py`` has the terminal let go of); one
ignored at the start (``nohup``) stays ignored."""

from __future__ import annotations

import signal

from chaoskit._signals import handling


def test_a_hangup_reaches_the_handler_and_the_old_handlers_come_back() -> None:
    received: list[int] = []
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    with handling(lambda signum, _frame: received.append(signum)):
        signal.raise_signal(signal.SIGHUP)
        signal.raise_signal(signal.SIGTERM)
    assert received == [signal.SIGHUP, signal.SIGTERM]
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_hangup_ignored_at_the_start_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        received: list[int] = []
        with handling(lambda signum, _frame: received.append(signum)):
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            signal.raise_signal(signal.SIGHUP)
        assert received == []
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
