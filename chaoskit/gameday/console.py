"""The reporter's console during a game day: one line at a time, typed at any moment.

A reader thread takes lines from the input. While a question is open (a go/no-go
checkpoint, a manual step) an answer to it goes to the question; every other line is a
command:

    halt REASON        revert every fault now and end the game day
    action TEXT        an action item
    decision TEXT      a decision
    note TEXT | TEXT   a timestamped note (any line that is not a command)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

__all__ = ["Console", "LogEntry"]


@dataclass(frozen=True)
class LogEntry:
    at: str
    """UTC, ISO 8601."""
    kind: str
    """note, action, decision, halt, step."""
    text: str


def utc_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Console:
    def __init__(
        self,
        source: TextIO | None,
        echo: Callable[[str], None],
        on_halt: Callable[[str], None],
        clock: Callable[[], str] = utc_stamp,
    ) -> None:
        self.source = source
        self.echo = echo
        self.on_halt = on_halt
        self.clock = clock
        self.log: list[LogEntry] = []
        self.halted: str | None = None
        self._lock = threading.Lock()
        self._open: tuple[str, ...] = ()
        self._answers: queue.Queue[tuple[str, str]] = queue.Queue()
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._read, name="gameday-console", daemon=True)

    def start(self) -> None:
        if self.source is None:
            self.closed.set()
            return
        self._thread.start()

    def add(self, kind: str, text: str) -> LogEntry:
        entry = LogEntry(self.clock(), kind, text)
        with self._lock:
            self.log.append(entry)
        return entry

    def _read(self) -> None:
        assert self.source is not None
        for raw in self.source:
            self.handle(raw.strip())
        self.closed.set()

    def handle(self, line: str) -> None:
        if not line:
            return
        word, _, rest = line.partition(" ")
        command, rest = word.lower(), rest.strip()
        with self._lock:
            open_choices = self._open
        if command == "halt":
            reason = rest or "halt called"
            self.add("halt", reason)
            self.halted = reason
            self.echo(f"HALT: {reason}: reverting every fault")
            self.on_halt(reason)
        elif command in ("action", "decision") and rest:
            self.add(command, rest)
            self.echo(f"{command} recorded")
        elif command in open_choices:
            self._answers.put((command, rest))
        else:
            self.add("note", rest if command == "note" else line)
            self.echo("note recorded")

    def ask(self, question: str, choices: tuple[str, ...], timeout_s: float) -> tuple[str, str]:
        """Wait for one of ``choices`` (first word of a line) and the rest of that line.

        ("halt", reason) if the game day is halted first; ("timeout", "") when the time is up
        or the input ended.
        """
        self.echo(f"{question} [{'/'.join(choices)}]")
        self.close_question()  # an answer typed for an earlier question does not count
        with self._lock:
            self._open = choices
        try:
            waited = 0.0
            while waited < timeout_s:
                if self.halted is not None:
                    return "halt", self.halted
                try:
                    return self._answers.get(timeout=0.1)
                except queue.Empty:
                    waited += 0.1
                if self.closed.is_set() and self._answers.empty():
                    return "timeout", "the input ended"
            return "timeout", ""
        finally:
            with self._lock:
                self._open = ()

    def close_question(self) -> None:
        with self._lock:
            self._open = ()
        while not self._answers.empty():
            self._answers.get_nowait()

    def manual_poll(self) -> bool:
        """For a manual step inside an experiment: True once ``done`` is typed."""
        with self._lock:
            self._open = ("done",)
        try:
            self._answers.get_nowait()
        except queue.Empty:
            return False
        with self._lock:
            self._open = ()
        return True
