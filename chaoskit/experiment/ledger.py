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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["Ledger", "LedgerEntry"]


class LedgerEntry(BaseModel):
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
    handle: dict[str, Any] = Field(default_factory=dict)
    """What the injection returned that the revert needs (e.g. a pid)."""
    reverted_by: str | None = None
    reverted_at: float | None = None
    controller_pid: int = Field(default_factory=os.getpid)


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
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return {e["id"]: LedgerEntry.model_validate(e) for e in raw.get("entries", [])}

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
        with self._locked() as entries:
            return list(entries.values())

    def add(self, entry: LedgerEntry) -> None:
        with self._locked() as entries:
            entries[entry.id] = entry

    def update(self, entry_id: str, **changes: Any) -> None:
        with self._locked() as entries:
            if entry_id in entries:
                entries[entry_id] = entries[entry_id].model_copy(update=changes)

    def remove(self, entry_id: str) -> None:
        with self._locked() as entries:
            entries.pop(entry_id, None)
