"""The fault ledger: every fault is written here (fsync'd) before it is injected and cleared
only after its revert is verified, so a killed controller leaves a record of what to undo.

One JSON file in the lab's state directory, guarded by an flock so the controller, the
watchdog and ``chaoskit recover`` can share it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaoskit._errors import ChaoskitError, describe_validation_error
from chaoskit.experiment.handles import Handle
from chaoskit.lab.process import Pid

__all__ = [
    "Ledger",
    "LedgerCorrupt",
    "LedgerEntry",
    "describe_entry",
    "held_by_the_run_in_progress",
    "ledger_notice",
    "unended_past_expiry",
]


class LedgerCorrupt(ChaoskitError):
    """The ledger file is not what chaoskit writes (edited or damaged by hand)."""


class LedgerEntry(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)
    id: str = Field(default_factory=lambda: secrets.token_hex(4))
    run: str
    kind: str
    target: str
    params: dict[str, Any] = Field(default_factory=dict)
    probability: float = 1.0
    duration_s: float
    written_at: float = Field(default_factory=time.time)
    expires_at: float
    """Wall-clock time at which something other than the controller ends the fault."""
    handle: Handle | None = None
    """Everything the revert needs, read before the fault exists; never written later."""
    reverted_by: str | None = None
    reverted_at: float | None = None
    controller_pid: Pid = Field(default_factory=os.getpid)


class Ledger:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "ledger.json"
        self._lock_path = state_dir / "ledger.lock"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, LedgerEntry]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                entries = self._read()
                before = {k: v.model_dump_json() for k, v in entries.items()}
                yield entries
                if {k: v.model_dump_json() for k, v in entries.items()} != before:
                    self._write(entries)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, LedgerEntry]:
        try:
            raw = json.loads(self.path.read_bytes())
            entries = [LedgerEntry.model_validate(e) for e in raw["entries"]]
        except FileNotFoundError:
            return {}
        except ValidationError as exc:
            raise LedgerCorrupt(f"{self.path}: {describe_validation_error(exc)}") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise LedgerCorrupt(f"{self.path}: not a chaoskit ledger ({exc})") from None
        return {e.id: e for e in entries}

    def quarantine(self) -> Path | None:
        """Move an unreadable ledger aside (kept for a post-mortem); its path, if any."""
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.path.exists():
                return None
            aside = self.path.with_name(f"ledger.corrupt-{time.strftime('%Y%m%dT%H%M%S')}.json")
            self.path.replace(aside)
            return aside

    def _write(self, entries: dict[str, LedgerEntry]) -> None:
        tmp = self.path.with_suffix(".tmp")
        payload = {"entries": [e.model_dump(mode="json") for e in entries.values()]}
        with tmp.open("w") as sink:
            json.dump(payload, sink, indent=2)
            sink.flush()
            os.fsync(sink.fileno())
        tmp.replace(self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def entries(self) -> list[LedgerEntry]:
        if not self.path.parent.is_dir():
            return []  # no lab has been here: nothing to read, and nothing is made to read it
        with self._locked() as entries:
            return list(entries.values())

    def add(self, entry: LedgerEntry) -> None:
        """Write ``entry`` durably; it must already hold its handle (what its revert needs)."""
        if entry.handle is None:
            raise ValueError(f"ledger entry {entry.id} ({entry.kind}) has no handle")
        with self._locked() as entries:
            entries[entry.id] = entry

    def update(self, entry_id: str, **changes: Any) -> None:
        with self._locked() as entries:
            if entry_id in entries:
                entries[entry_id] = entries[entry_id].model_copy(update=changes)

    def remove(self, entry_id: str) -> None:
        with self._locked() as entries:
            entries.pop(entry_id, None)

    def forget(self, ended: Callable[[LedgerEntry], bool]) -> list[LedgerEntry]:
        """Remove, in one write, the entries ``ended`` says are over; those removed."""
        with self._locked() as entries:
            gone = [entry for entry in entries.values() if ended(entry)]
            for entry in gone:
                del entries[entry.id]
            return gone


def held_by_the_run_in_progress(state_dir: Path, entries: list[LedgerEntry]) -> set[str]:
    """The ids of the entries whose controller holds the lab lock now (a run, a game day),
    or was started by its holder (the scheduler's runs)."""
    import psutil

    from chaoskit.lab.lock import LabLock

    holder = LabLock(state_dir).holder_pid()
    if holder is None:
        return set()
    held = set()
    for entry in entries:
        try:
            controller = psutil.Process(entry.controller_pid)
            if holder in (controller.pid, controller.ppid()):
                held.add(entry.id)
        except psutil.Error:
            continue
    return held


def describe_entry(entry: LedgerEntry, now: float, also: str = "", unended: bool = False) -> str:
    """``KIND on TARGET (run R, Ns ago, STATE[, also])``; ``unended``: past its expiry with
    nothing running that ends it (``unended_past_expiry``)."""
    ago = now - entry.written_at
    state = (
        f"reverted by the {entry.reverted_by}"
        if entry.reverted_by
        else (
            ("past its expiry, and the watchdog that ends it is not running" if unended
             else "past its expiry")
            if entry.expires_at <= now
            else f"expires in {entry.expires_at - now:.0f}s"
        )
    )  # fmt: skip
    if also:
        state = f"{state}, {also}"
    return f"{entry.kind} on {entry.target} (run {entry.run}, {ago:.0f}s ago, {state})"


def ledger_notice(state_dir: Path) -> str | None:
    """A warning naming the faults a controller left in the ledger, or None."""
    if not (state_dir / "ledger.json").exists():
        return None
    try:
        entries = Ledger(state_dir).entries()
    except LedgerCorrupt as exc:
        return f"the fault ledger is damaged ({exc}). Run `chaoskit recover` to repair the lab."
    if entries:  # a run in progress holds its own faults: those were not left behind
        running = held_by_the_run_in_progress(state_dir, entries)
        entries = [e for e in entries if e.id not in running]
    if not entries:
        return None
    now = time.time()
    unended = unended_past_expiry(state_dir, entries, now)
    listed = "; ".join(describe_entry(e, now, unended=e.id in unended) for e in entries)
    if unended or any(e.reverted_by is None and e.expires_at > now for e in entries):
        return (
            f"{len(entries)} fault(s) from an earlier run may still be active: {listed}. "
            "Run `chaoskit recover` to revert and clear them."
        )
    return (
        f"{len(entries)} fault(s) from an earlier run, each reverted or past its expiry, are "
        f"still in the ledger: {listed}. The next run checks they ended and clears them; "
        "`chaoskit recover` does it now."
    )


def unended_past_expiry(state_dir: Path, entries: list[LedgerEntry], now: float) -> set[str]:
    """The ids of the entries past their expiry that nothing has ended: faults the watchdog
    ends at their expiry (a toxic, a disabled proxy, a paused process) while a lab is up
    and its watchdog is not running. The DNS server ends its own faults, and takes them
    with it when it stops; a lab that is down holds no fault. (Whether a fault past its
    expiry ended is for a run or ``recover`` to check.)"""
    overdue = [e for e in entries if e.reverted_by is None and e.expires_at <= now]
    if not overdue:
        return set()
    from chaoskit.experiment.faults import REGISTRY
    from chaoskit.experiment.watchdog import watchdog_alive
    from chaoskit.lab.state import LabState

    if watchdog_alive(state_dir) or not LabState.path(state_dir).exists():
        return set()
    by_watchdog = {name for name, kind in REGISTRY.items() if kind.expiry == "watchdog"}
    return {e.id for e in overdue if e.kind in by_watchdog}
