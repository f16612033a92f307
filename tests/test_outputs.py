"""An output whose far end has gone (a pipe's reader ended, a terminal hung up) is pointed at
/dev/null and reported to the writer's ``on_closed``; a live one, a file and any other error
are left as they are."""

from __future__ import annotations

import errno
import os
import pty
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoskit._outputs import guarded, let_go_of_closed_outputs


@pytest.fixture
def pipe_without_reader() -> Iterator[int]:
    read_end, write_end = os.pipe()
    os.close(read_end)
    yield write_end
    os.close(write_end)


@pytest.fixture
def hung_up_terminal() -> Iterator[int]:
    """A terminal's fd (a pty's far end) whose near end has closed, as when the terminal
    window closes or the ssh session drops."""
    near, far = pty.openpty()
    os.close(near)
    yield far
    os.close(far)


def _is_dev_null(fd: int) -> bool:
    return os.path.samefile(f"/proc/self/fd/{fd}", os.devnull)


@pytest.mark.parametrize("gone", ["pipe_without_reader", "hung_up_terminal"])
def test_an_output_whose_far_end_has_gone_is_pointed_at_dev_null(
    gone: str, request: pytest.FixtureRequest
) -> None:
    fd = request.getfixturevalue(gone)
    with pytest.raises(OSError):
        os.write(fd, b"lost")
    assert let_go_of_closed_outputs((fd,)) == [fd]
    assert os.write(fd, b"dropped quietly") == len(b"dropped quietly")
    assert _is_dev_null(fd)


def test_a_live_terminal_a_pipe_being_read_and_a_file_are_left_alone(tmp_path: Path) -> None:
    near, far = pty.openpty()
    read_end, write_end = os.pipe()
    file = os.open(tmp_path / "out", os.O_CREAT | os.O_WRONLY)
    try:
        assert let_go_of_closed_outputs((far, write_end, file)) == []
        assert os.isatty(far) and not _is_dev_null(write_end) and not _is_dev_null(file)
    finally:
        for fd in (near, far, read_end, write_end, file):
            os.close(fd)


def test_a_write_to_a_closed_output_calls_on_closed_instead_of_raising(
    pipe_without_reader: int,
) -> None:
    closed: list[str] = []
    write = guarded(lambda text: os.write(pipe_without_reader, text.encode()) and None,
                    lambda: closed.append("closed"), (pipe_without_reader,))  # fmt: skip
    write("first")
    assert closed == ["closed"] and _is_dev_null(pipe_without_reader)
    write("second")  # /dev/null now: nothing more to report
    assert closed == ["closed"]


def test_any_other_error_still_raises() -> None:
    def full(_text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        guarded(full, lambda: None)("text")
