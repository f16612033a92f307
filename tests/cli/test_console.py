"""The commands' consoles: no wrapping off a terminal, a reader that has gone is an error
for whoever printed (Rich's own way ends the process, a run's teardown with it), and what
users wrote is printed as text, never read as Rich markup."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from chaoskit.cli._console import UNWRAPPED_WIDTH, console, styled
from tests.helpers import run_cli, shortened


@pytest.fixture
def pipe_without_reader() -> Iterator[TextIO]:
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = os.fdopen(write_end, "w")
    yield stream
    with contextlib.suppress(BrokenPipeError):  # what it holds has nowhere to go
        stream.close()


def test_off_a_terminal_nothing_is_wrapped(
    pipe_without_reader: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout", pipe_without_reader)  # here: pytest's capture sets it
    assert console().width == UNWRAPPED_WIDTH  # again between a fixture and the test


def test_a_reader_that_has_gone_is_a_broken_pipe_for_the_printer(
    pipe_without_reader: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout", pipe_without_reader)
    out = console()
    with pytest.raises(BrokenPipeError):
        out.print("a progress line")
    assert out.quiet  # what it would print next goes nowhere, without another error
    out.print("the next line")


def test_what_users_wrote_is_printed_as_written_not_read_as_markup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = io.StringIO()
    monkeypatch.setattr("sys.stdout", written)
    out = console()
    out.print("DNS [prod] blackout, step [/x], [Errno 28]")  # [/x] was a MarkupError
    out.print(styled(("error:", "bold red"), " [red]as typed"))
    assert written.getvalue().splitlines() == [
        "DNS [prod] blackout, step [/x], [Errno 28]",
        "error: [red]as typed",
    ]


def test_a_title_and_a_path_with_brackets_reach_the_terminal_whole(tmp_path: Path) -> None:
    experiment = shortened("dns-blackout.yaml", tmp_path, title="DNS [/prod] [eu] blackout")
    done = run_cli("run", "--dry-run", str(experiment))
    assert done.returncode == 0, done.stderr  # was a MarkupError traceback
    assert "DNS [/prod] [eu] blackout (dry run: nothing is injected)" in done.stdout
    missing = tmp_path / "[old]"
    done = run_cli("report", str(missing))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {missing}: not a run directory")  # "[old]" vanished
