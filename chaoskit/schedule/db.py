"""The state directory's SQLite database: jobs, job events and run history.

WAL mode and a busy timeout let the scheduler and the runs it starts write at once.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from chaoskit._errors import ChaoskitError

__all__ = ["DB_NAME", "DamagedRow", "HistoryUnusable", "StoredRow", "connect", "first_problem"]

DB_NAME = "chaoskit.db"


class StoredRow(BaseModel):
    """A row as chaoskit writes it: SQLite keeps whatever type it is given, so each column's
    type is checked, and numbers are finite."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, frozen=True, extra="ignore")


@dataclass(frozen=True)
class DamagedRow:
    """A row that is not as chaoskit writes it (edited by hand, or by another program):
    left out of what is read, and named, rather than ending the reader on a traceback."""

    where: str
    """e.g. ``history: run 'r3' (row 12)``."""
    problem: str
    remedy: str
    """How to remove it."""

    def describe(self) -> str:
        return f"{self.where} is damaged and left out: {self.problem}; {self.remedy}"


def first_problem(exc: ValidationError, within: str = "") -> str:
    """A stored row's first problem as one line: ``column: what was expected, got value``
    (``within.key: …`` for a value inside a column)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in ([within] if within else []) + list(first["loc"]))
    if first["type"] == "value_error":  # a check of ours: its message names the value
        said = first["msg"].removeprefix("Value error, ")
        said = said[:1].lower() + said[1:]
        return f"{where}: {said}" if where else said
    expected = first["msg"][:1].lower() + first["msg"][1:]
    if first["type"] == "model_type":
        expected = "input should be an object"
    return f"{where}: {expected}, got {first['input']!r:.60}"


SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    status TEXT NOT NULL,
    verdict TEXT NOT NULL,
    held INTEGER NOT NULL,
    exit_code INTEGER NOT NULL,
    profile TEXT NOT NULL,
    trigger TEXT NOT NULL,
    run_dir TEXT NOT NULL,
    report TEXT,
    time_to_recover_s REAL,
    availability REAL,
    metrics TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_title ON runs (title, started_at);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('experiment', 'gameday')),
    cron TEXT,
    at TEXT,
    tz TEXT NOT NULL,
    missed TEXT NOT NULL CHECK (missed IN ('skip', 'run-once')),
    out_dir TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_due TEXT,
    last_run_at TEXT,
    last_exit INTEGER,
    lab_file TEXT
);
CREATE TABLE IF NOT EXISTS job_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
"""


ADDED_COLUMNS = {"jobs": {"lab_file": "TEXT"}}
"""Columns added since a table was first made: a database of an older chaoskit gets them."""


def _add_missing_columns(db: sqlite3.Connection) -> None:
    for table, columns in ADDED_COLUMNS.items():
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, declared in columns.items():
            if name in present:
                continue
            try:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declared}")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):  # another process added it first
                    raise


class HistoryUnusable(ChaoskitError):
    """The database is not one chaoskit can use: damaged, not SQLite, not a file, or held
    locked by another process for longer than the busy timeout."""

    def __init__(self, path: Path, error: sqlite3.Error) -> None:
        if "locked" in str(error):
            advice = "another chaoskit process (a scheduler, a run) holds it; try again"
        else:
            advice = (
                f"move it aside (`mv {path} {path}.damaged`) and a new one is started; each "
                "run's directory keeps its journal and report"
            )
        super().__init__(
            f"the history database {path} (runs and schedules) cannot be used ({error}): {advice}"
        )


@contextlib.contextmanager
def connect(state_dir: Path) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode (use ``BEGIN IMMEDIATE`` for a transaction), closed
    on exit. Any SQLite error, opening it or in the block, is a HistoryUnusable."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / DB_NAME
    try:
        connection = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    except sqlite3.Error as exc:
        raise HistoryUnusable(path, exc) from None
    try:
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=10000")
        connection.executescript(SCHEMA)
        _add_missing_columns(connection)
        yield connection
    except sqlite3.Error as exc:
        raise HistoryUnusable(path, exc) from None
    finally:
        connection.close()
