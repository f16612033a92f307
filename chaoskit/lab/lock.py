"""One run at a time against a lab: an exclusive ``flock`` on ``STATE_DIR/run.lock``.

The kernel drops the lock when its holder dies, so a killed run never leaves the lab locked.
A holder may hand its lock to a child process by passing the descriptor and naming it in
``CHAOSKIT_LAB_LOCK_FD`` (the scheduler does this for the runs it starts). Within one
process, ``held`` is re-entrant for the thread that holds the lock: a suite or a game day
holds it across its runs, and each run (``chaoskit.run_experiment``) keeps it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from chaoskit._errors import ChaoskitError

__all__ = ["LOCK_FD_ENV", "LabBusy", "LabLock"]

LOCK_FD_ENV = "CHAOSKIT_LAB_LOCK_FD"
INTERRUPT_GRACE_S = 30.0
"""How long ``take_over`` gives an interrupted holder to revert its faults and let go."""
_HELD_HERE: dict[str, tuple[int, int]] = {}
"""Lock file -> (pid, thread) that holds it through ``held`` in this process."""


class LabBusy(ChaoskitError):
    """Another run holds the lab."""

    exit_code = 4


class LabLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "run.lock"
        self.fd: int | None = None

    def _locked_fd(self, how: int) -> int | None:
        """A descriptor of the lock file holding it ``how`` (LOCK_EX or LOCK_SH), or None
        when another process holds it otherwise."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, how | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    def _try(self, holder: str) -> bool:
        fd = self._locked_fd(fcntl.LOCK_EX)
        if fd is None:
            return False
        pid = os.getpid()
        note = json.dumps(
            {"pid": pid, "what": holder, "since": time.time(), "start": _started(pid)}
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, note.encode(), 0)
        self.fd = fd
        return True

    def _note(self) -> dict[str, Any] | None:
        """The holder's note; {} when shared holders have the lock, None when unreadable."""
        try:
            note = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return None
        return note if isinstance(note, dict) else None

    def holder(self) -> str:
        """Who holds the lock, as its note says."""
        note = self._note()
        if note is None:
            return "another process"
        if not note:  # shared holders leave no note
            return "faults put in from Python (chaoskit.Lab.fault), or another process"
        since = time.strftime("%H:%M:%S", time.localtime(note.get("since", 0)))
        return f"{note.get('what', 'a run')} (pid {note.get('pid', '?')}, since {since})"

    def claim(self, holder: str) -> LabLock:
        """Take the lock now, or raise LabBusy naming who has it."""
        if not self._try(holder):
            raise LabBusy(f"the lab is busy: {self.holder()}; one run at a time per lab")
        return self

    def holder_pid(self) -> int | None:
        """The process the note names, while it runs: the very process that wrote it (its
        start time), not a later one given the same pid; None for shared holders."""
        note = self._note() or {}
        pid, start = note.get("pid"), note.get("start")
        if not isinstance(pid, int) or not isinstance(start, int | float) or pid == os.getpid():
            return None
        return pid if _started(pid) == start else None

    def take_over(
        self, holder: str, grace_s: float = INTERRUPT_GRACE_S, echo: Callable[[str], None] = print
    ) -> bool:
        """Take the lock even from its holder (``chaoskit down --force``): the process its
        note names is interrupted as Ctrl-C would (SIGINT: a run reverts its faults, then
        ends), and killed if it has not let go within ``grace_s``. False if the lock is
        still held after that: by faults put in from Python, which name no process, or by
        a process the holder handed it to."""
        if self._try(holder):
            return True
        pid = self.holder_pid()
        if pid is None:
            return False
        echo(f"interrupting {self.holder()}: it reverts its faults and ends")
        for sig, within_s in ((signal.SIGINT, grace_s), (signal.SIGKILL, 5.0)):
            if sig == signal.SIGKILL:
                echo(f"pid {pid} still holds the lab after {grace_s:g} s: killing it")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + within_s
            while time.monotonic() < deadline:
                if self._try(holder):
                    return True
                time.sleep(0.1)
        return False

    def wait(self, holder: str, should_stop: Callable[[], bool], poll_s: float = 0.5) -> bool:
        """Take the lock when it is free; False if ``should_stop`` said so first."""
        while not self._try(holder):
            if should_stop():
                return False
            time.sleep(poll_s)
        return True

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """Held by faults put in from Python (``chaoskit.Lab.fault``) while they are in force:
        any number of them at once (pytest-xdist workers), never beside a run, which holds
        the lock alone. LabBusy when a run has it."""
        fd = self._locked_fd(fcntl.LOCK_SH)
        if fd is None:
            raise LabBusy(f"the lab is busy: {self.holder()}; no fault beside a run")
        try:
            yield
        finally:
            os.close(fd)

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            os.close(self.fd)
            self.fd = None

    @classmethod
    def inherited(cls, state_dir: Path) -> LabLock | None:
        """The lock a parent handed down, if ``CHAOSKIT_LAB_LOCK_FD`` names a descriptor that
        holds this lab's lock."""
        raw = os.environ.get(LOCK_FD_ENV)
        if not raw or not raw.isdigit():
            return None
        fd = int(raw)
        lock = cls(state_dir)
        try:
            same = os.fstat(fd).st_ino == lock.path.stat().st_ino
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours already: succeeds at once
        except OSError:
            return None
        if not same:
            return None
        lock.fd = fd
        return lock

    @contextlib.contextmanager
    def held(self, holder: str) -> Iterator[LabLock]:
        """The inherited lock if there is one, else the lock claimed now; released after.
        Already held through ``held`` by this thread, it is simply kept."""
        key = str(self.path.resolve())
        here = (os.getpid(), threading.get_ident())
        if _HELD_HERE.get(key) == here:
            yield self
            return
        inherited = LabLock.inherited(self.path.parent)
        lock = inherited or self.claim(holder)
        _HELD_HERE[key] = here
        try:
            yield lock
        finally:
            _HELD_HERE.pop(key, None)
            if inherited is None:
                lock.release()


def _started(pid: int) -> float | None:
    """When ``pid`` started, None when no such process runs."""
    import psutil

    from chaoskit.lab import process

    try:
        return process.start_time(pid)
    except (psutil.Error, OSError):
        return None
