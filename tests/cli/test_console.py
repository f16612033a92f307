"""The commands' consoles: no wrapping off a terminal, and a reader that has gone is an error
for whoever printed (Rich's own way ends the process, a run's teardown with it)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TextIO

import pytest

from chaoskit.cli._console import UNWRAPPED_WIDTH, console


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
