"""Past runs: every ``chaoskit run`` (by hand, by the scheduler, in a game day) is recorded
with its verdict, key metrics and report path; ``trend`` gives time-to-recover per
experiment over its runs."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chaoskit.schedule.db import connect

__all__ = ["RunRecord", "Trend", "list_runs", "record_run", "trends"]


@dataclass
class RunRecord:
    run_id: str
    title: str
    source: str
    started_at: str
    status: str
    verdict: str
    held: bool
    exit_code: int
    profile: str
    trigger: str
    run_dir: str
    report: str | None
    time_to_recover_s: float | None
    availability: float | None
    metrics: dict[str, Any]


def record_run(state_dir: Path, record: RunRecord) -> None:
    row = asdict(record)
    row["held"] = int(record.held)
    row["metrics"] = json.dumps(record.metrics, sort_keys=True, default=str)
    columns = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    with connect(state_dir) as db:
        db.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", row)


def list_runs(state_dir: Path, title: str | None = None, limit: int = 50) -> list[RunRecord]:
    """Newest first; ``title`` matches the experiment's title or file name."""
    if not (state_dir / "chaoskit.db").exists():
        return []
    query = "SELECT * FROM runs"
    args: list[Any] = []
    if title:
        query += " WHERE title = ? OR source LIKE ?"
        args += [title, f"%/{title}" if "/" not in title else title]
    query += " ORDER BY started_at DESC, id DESC LIMIT ?"
    args.append(limit)
    with connect(state_dir) as db:
        rows = db.execute(query, args).fetchall()
    fields = RunRecord.__dataclass_fields__
    return [
        RunRecord(**{
            **{k: row[k] for k in fields},
            "held": bool(row["held"]),
            "metrics": json.loads(row["metrics"]),
        })
        for row in rows
    ]  # fmt: skip


@dataclass
class Trend:
    title: str
    runs: int
    held: int
    recover_s: list[float | None]
    """Oldest first."""

    @property
    def direction(self) -> str:
        known = [v for v in self.recover_s if v is not None]
        if len(known) < 2:
            return "not enough runs"
        half = len(known) // 2
        before, after = statistics.median(known[:half]), statistics.median(known[half:])
        if after < before * 0.9:
            return "improving"
        if after > before * 1.1:
            return "worsening"
        return "steady"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "direction": self.direction}


def trends(records: list[RunRecord]) -> list[Trend]:
    by_title: dict[str, list[RunRecord]] = {}
    for record in reversed(records):  # oldest first
        by_title.setdefault(record.title, []).append(record)
    return [
        Trend(title, len(runs), sum(r.held for r in runs), [r.time_to_recover_s for r in runs])
        for title, runs in sorted(by_title.items())
    ]
