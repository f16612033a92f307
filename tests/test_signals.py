"""A hangup interrupts like SIGTERM (``tests/test_outputs.py`` has the terminal let go of); one
ignored at the start (``nohup``) stays ignored. ``interrupting`` turns SIGTERM and a hangup
into Ctrl-C, once, where the program has no handler of its own; ``deferring`` holds them
until its block is done."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from chaoskit._signals import deferring, handling, interrupting


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


def test_sigterm_and_a_hangup_interrupt_once_while_interrupting() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with pytest.raises(KeyboardInterrupt, match=sig.name), interrupting():
            signal.raise_signal(sig)
            time.sleep(1)  # not reached
            raise AssertionError("not interrupted")
    with pytest.raises(KeyboardInterrupt), interrupting():
        try:
            signal.raise_signal(signal.SIGTERM)
        finally:
            signal.raise_signal(signal.SIGTERM)  # during the clean-up: not raised again
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_handler_of_the_programs_own_is_left_in_charge() -> None:
    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
    try:
        with interrupting():
            signal.raise_signal(signal.SIGTERM)
        assert received == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_off_the_main_thread_nothing_changes() -> None:
    seen: list[object] = []

    def elsewhere() -> None:
        with interrupting():
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [signal.SIG_DFL]


def test_interruptions_are_held_until_the_block_is_done_then_delivered() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    done: list[str] = []
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), interrupting():
        with deferring():
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGTERM)
            done.append("the whole block")
        done.append("not reached")
    assert done == ["the whole block"]
    with pytest.raises(KeyboardInterrupt), deferring():  # Ctrl-C: Python's own handler
        signal.raise_signal(signal.SIGINT)
        done.append("Ctrl-C held")
    assert done[-1] == "Ctrl-C held"
    assert {s: signal.getsignal(s) for s in before} == before
