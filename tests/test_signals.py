"""A hangup interrupts like SIGTERM, after letting go of the terminal that hung up; one
ignored at the start (``nohup``) stays ignored."""

from __future__ import annotations

import os
import pty
import signal
from collections.abc import Iterator

import pytest

from chaoskit._signals import handling, let_go_of_a_hung_up_terminal


@pytest.fixture
def hung_up_terminal() -> Iterator[int]:
    """A terminal's fd (a pty's far end) whose near end has closed, as when the terminal
    window closes or the ssh session drops."""
    near, far = pty.openpty()
    os.close(near)
    yield far
    os.close(far)


def test_a_hung_up_terminal_is_pointed_at_dev_null(hung_up_terminal: int) -> None:
    with pytest.raises(OSError):
        os.write(hung_up_terminal, b"lost")
    assert let_go_of_a_hung_up_terminal((hung_up_terminal,)) == [hung_up_terminal]
    assert os.write(hung_up_terminal, b"kept quiet") == len(b"kept quiet")
    assert os.path.samefile(f"/proc/self/fd/{hung_up_terminal}", os.devnull)


def test_a_live_terminal_a_pipe_and_a_file_are_left_alone(tmp_path: os.PathLike[str]) -> None:
    near, far = pty.openpty()
    read_end, write_end = os.pipe()
    file = os.open(os.path.join(tmp_path, "out"), os.O_CREAT | os.O_WRONLY)
    try:
        assert let_go_of_a_hung_up_terminal((far, write_end, file)) == []
        assert os.isatty(far)
    finally:
        for fd in (near, far, read_end, write_end, file):
            os.close(fd)


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
