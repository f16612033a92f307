"""Past runs: every ``chaoskit run`` (by hand, by the scheduler, in a game day) is recorded
with its verdict, key metrics and report path; ``trend`` gives time-to-recover per
experiment over its runs."""

from __future__ import annotations

import json
import sqlite3
import statistics
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from chaoskit.lab.process import Pid
from chaoskit.schedule.db import DB_NAME, DamagedRow, StoredRow, connect, first_problem

__all__ = [
    "DID_NOT_FINISH",
    "ERROR",
    "RUNNING",
    "History",
    "RunRecord",
    "Trend",
    "list_runs",
    "read_history",
    "record_run",
    "record_start",
    "trends",
]

RUNNING = "running"
"""A run's status from its start until it records its end."""
DID_NOT_FINISH = "did-not-finish"
"""A run still ``running`` whose controller is gone: killed or crashed before its end."""
ERROR = "error"
"""A run that stopped on an error before it had a result (its verdict says which)."""
UNFINISHED = (RUNNING, DID_NOT_FINISH, ERROR)
"""Runs with no verdict on their hypothesis, so in no trend."""


@dataclass
class RunRecord:
    """A run as history keeps it; a row read back is checked against these types."""

    __pydantic_config__ = ConfigDict(allow_inf_nan=False)
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
    time_to_recover_s: Annotated[float, Field(ge=0)] | None
    availability: Annotated[float, Field(ge=0, le=1)] | None
    metrics: dict[str, Any]


_RUN = TypeAdapter(RunRecord)


_INSERT = (
    f"INSERT INTO runs ({', '.join(RunRecord.__dataclass_fields__)}) "
    f"VALUES ({', '.join(f':{k}' for k in RunRecord.__dataclass_fields__)})"
)


def record_start(state_dir: Path, record: RunRecord, pid: int, start_time: float) -> None:
    """The run's row as it begins (``running``, with its controller's pid and start time),
    so that a run whose controller is killed is still in history: as one that did not
    finish, once that process is gone."""
    controller = {"pid": pid, "start_time": start_time}
    record = replace(record, status=RUNNING, metrics={"controller": controller})
    with connect(state_dir) as db:
        db.execute(_INSERT, _row(record))


def record_run(state_dir: Path, record: RunRecord) -> None:
    """The run's row as it ended: the one its start wrote, else a new one."""
    row = _row(record)
    with connect(state_dir) as db:
        updated = db.execute(
            f"UPDATE runs SET {', '.join(f'{k} = :{k}' for k in row)} "
            f"WHERE run_dir = :run_dir AND status = '{RUNNING}'",
            row,
        ).rowcount
        if not updated:
            db.execute(_INSERT, row)


def _row(record: RunRecord) -> dict[str, Any]:
    row = asdict(record)
    row["held"] = int(record.held)
    row["metrics"] = json.dumps(record.metrics, sort_keys=True, default=str)
    return row


class _Controller(StoredRow):
    """A ``running`` row's ``metrics.controller``: the process that runs it."""

    pid: Pid
    start_time: float


@dataclass
class History:
    runs: list[RunRecord]
    """Newest first."""
    damaged: list[DamagedRow] = field(default_factory=list)


def _not_finite(constant: str) -> float:
    raise ValueError(f"{constant} is not a number JSON has")


def _read_row(row: sqlite3.Row) -> RunRecord:
    """The row as a record; ValueError naming what is wrong with it."""
    data = dict(row)
    try:
        data["metrics"] = json.loads(data["metrics"], parse_constant=_not_finite)
    except RecursionError:
        raise ValueError("metrics: nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metrics: not JSON text: {exc}") from None
    try:
        record = _RUN.validate_python(data)
    except ValidationError as exc:
        raise ValueError(first_problem(exc)) from None
    controller = record.metrics.get("controller")
    if record.status != RUNNING or controller is None:
        return _as_found(record, None)
    try:
        return _as_found(record, _Controller.model_validate(controller))
    except ValidationError as exc:
        raise ValueError(first_problem(exc, "metrics.controller")) from None


def _as_found(record: RunRecord, controller: _Controller | None) -> RunRecord:
    """A ``running`` row whose controller is gone did not finish and never will."""
    from chaoskit.lab import process

    if record.status != RUNNING or (
        controller is not None and process.is_running(controller.pid, controller.start_time)
    ):
        return record
    pid = controller.pid if controller is not None else "unknown"
    return replace(
        record, status=DID_NOT_FINISH,
        verdict=f"did not finish: its controller (pid {pid}) is gone, killed or crashed; "
        f"see {record.run_dir}",
    )  # fmt: skip


def read_history(state_dir: Path, title: str | None = None, limit: int = 50) -> History:
    """The runs, newest first, and the rows that could not be read; ``title`` matches the
    experiment's title, its file's path, or the end of that path (a file name, or
    ``experiments/x.yaml``), as written: ``_`` and ``%`` were SQL wildcards there."""
    if not (state_dir / DB_NAME).exists():
        return History([])
    query = "SELECT * FROM runs"
    args: list[Any] = []
    if title:
        ending = "/" + title.removeprefix("/")  # a path's last parts, whole
        query += " WHERE title = ? OR source = ? OR substr(source, -?) = ?"
        args += [title, title, len(ending), ending]
    query += " ORDER BY started_at DESC, id DESC LIMIT ?"
    args.append(limit)
    with connect(state_dir) as db:
        rows = db.execute(query, args).fetchall()
    history = History([])
    path = state_dir / DB_NAME
    for row in rows:
        try:
            history.runs.append(_read_row(row))
        except ValueError as exc:
            history.damaged.append(DamagedRow(
                f"history: run {row['run_id']!r:.60} (row {row['id']} of {path})", str(exc),
                f"`sqlite3 {path} 'DELETE FROM runs WHERE id = {row['id']}'` removes it",
            ))  # fmt: skip
    return history


def list_runs(state_dir: Path, title: str | None = None, limit: int = 50) -> list[RunRecord]:
    """Newest first, the damaged rows left out (``read_history`` names them)."""
    return read_history(state_dir, title, limit).runs


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
    for record in reversed(records):  # oldest first; a run that has no end has no verdict
        if record.status not in UNFINISHED:
            by_title.setdefault(record.title, []).append(record)
    return [
        Trend(title, len(runs), sum(r.held for r in runs), [r.time_to_recover_s for r in runs])
        for title, runs in sorted(by_title.items())
    ]
