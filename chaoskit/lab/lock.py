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
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from chaoskit._errors import ChaoskitError

__all__ = ["LOCK_FD_ENV", "LabBusy", "LabLock"]

LOCK_FD_ENV = "CHAOSKIT_LAB_LOCK_FD"
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
        note = json.dumps({"pid": os.getpid(), "what": holder, "since": time.time()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, note.encode(), 0)
        self.fd = fd
        return True

    def holder(self) -> str:
        """Who holds the lock, as its note says."""
        try:
            note = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
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
