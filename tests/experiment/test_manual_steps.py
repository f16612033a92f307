"""A manual step at a terminal: Enter confirms it; the end of the input (Ctrl-D) does not."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Literal, TextIO

import pytest

from chaoskit.experiment.manual_steps import ManualStepFailed, confirm_manual
from chaoskit.experiment.model import ManualStep


class Clock:
    """Time that passes only when the step waits."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep_until(self, t: float) -> None:
        self.t = max(self.t, t)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[TextIO]:
    """What the person types, as a pipe standing in for the terminal."""
    read_end, write_end = os.pipe()
    reader, writer = os.fdopen(read_end), os.fdopen(write_end, "w")
    monkeypatch.setattr("sys.stdin", reader)
    yield writer
    reader.close()
    if not writer.closed:
        writer.close()


def _confirm(step: ManualStep, said: list[str], clock: Clock) -> str:
    return confirm_manual(step, now=clock.now, sleep_until=clock.sleep_until, echo=said.append,
                          interactive=True, poll=None, unattended=lambda how: how)  # fmt: skip


def test_enter_confirms_the_step(terminal: TextIO) -> None:
    terminal.write("\n")
    terminal.flush()
    clock = Clock()
    assert _confirm(ManualStep(prompt="restore the record", timeout=30), [], clock) == "confirmed"
    assert clock.t < 1


@pytest.mark.parametrize("on_timeout", ["continue", "fail"])
def test_the_end_of_the_input_is_no_confirmation(
    terminal: TextIO, on_timeout: Literal["continue", "fail"]
) -> None:
    """Ctrl-D read as an empty line, and the step was 'confirmed'."""
    terminal.close()
    step = ManualStep(prompt="restore the record", timeout=30, on_timeout=on_timeout)
    said: list[str] = []
    clock = Clock()
    if on_timeout == "fail":
        with pytest.raises(ManualStepFailed, match="not confirmed"):
            _confirm(step, said, clock)
    else:
        assert _confirm(step, said, clock) == "timed_out_continued"
    assert "the input ended (Ctrl-D): the step is not confirmed" in said
    assert clock.t < 1  # at once, not at the timeout
