"""A timestamped log of every change to the DNS server's records and faults."""

from __future__ import annotations

import json
import time
from collections import deque
from pathlib import Path
from typing import Any

__all__ = ["EventLog"]


class EventLog:
    """Numbered events in memory (bounded) and, when a path is given, appended as JSON lines."""

    def __init__(self, path: Path | None = None, keep: int = 10_000) -> None:
        self._events: deque[dict[str, Any]] = deque(maxlen=keep)
        self._next_seq = 1
        self._path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, event_type: str, actor: str, /, **details: Any) -> dict[str, Any]:
        """Append one event: what happened (``fault.applied``...), who did it, and its details."""
        event = {**details, "seq": self._next_seq, "ts": time.time()}
        event.update(event=event_type, actor=actor)
        self._next_seq += 1
        self._events.append(event)
        if self._path is not None:
            with self._path.open("a") as sink:
                sink.write(json.dumps(event, sort_keys=True) + "\n")
        return event

    def since(self, seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Events numbered above ``seq``, oldest first, at most ``limit`` of them."""
        return [e for e in self._events if e["seq"] > seq][:limit]

    @property
    def last_seq(self) -> int:
        return self._next_seq - 1
