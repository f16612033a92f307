"""The history database when it is not one chaoskit can use: one error naming the file, what
SQLite said and what to do, from every command that reads it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from chaoskit.schedule.db import DB_NAME, HistoryUnusable, connect
from chaoskit.schedule.history import list_runs
from chaoskit.schedule.jobs import get_jobs
from tests.helpers import run_cli


def not_sqlite(path: Path) -> None:
    path.write_text("these are notes, not a database\n")


def a_directory(path: Path) -> None:
    path.mkdir()


def another_schema(path: Path) -> None:
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, note TEXT)")
    other.close()


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (not_sqlite, "file is not a database"),
        (a_directory, "unable to open database file"),
        (another_schema, "no such column"),
    ],
)
def test_a_database_chaoskit_cannot_use_is_named_with_what_to_do(
    tmp_path: Path, damage: Callable[[Path], None], said: str
) -> None:
    path = tmp_path / DB_NAME
    damage(path)
    for read in (list_runs, get_jobs):
        with pytest.raises(HistoryUnusable) as caught:
            read(tmp_path)
        assert str(caught.value).startswith(
            f"the history database {path} (runs and schedules) cannot be used ({said}"
        )
        assert f"move it aside (`mv {path} {path}.damaged`)" in str(caught.value)
    for command in (["history"], ["schedule", "list"]):
        done = run_cli("--state-dir", str(tmp_path), *command)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("error: the history database "), done.stderr
        assert "Traceback" not in done.stderr


def test_a_database_locked_too_long_says_who_may_hold_it(tmp_path: Path) -> None:
    locked = HistoryUnusable(tmp_path / DB_NAME, sqlite3.OperationalError("database is locked"))
    assert str(locked).endswith(
        "(database is locked): another chaoskit process (a scheduler, a run) holds it; try again"
    )


def test_a_good_database_is_left_as_it_is(tmp_path: Path) -> None:
    with connect(tmp_path) as db:
        db.execute("INSERT INTO job_events (job_id, at, event) VALUES ('j', 'now', 'e')")
    with connect(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM job_events").fetchone()[0] == 1


def test_a_job_table_of_an_older_chaoskit_gets_the_columns_added_since(tmp_path: Path) -> None:
    """Its jobs are read as before, for the sample stack, and a new job keeps its lab file."""
    with sqlite3.connect(tmp_path / DB_NAME) as old:
        old.execute(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, target TEXT NOT NULL, kind TEXT NOT NULL, "
            "cron TEXT, at TEXT, tz TEXT NOT NULL, missed TEXT NOT NULL, out_dir TEXT NOT NULL, "
            "created_at TEXT NOT NULL, next_due TEXT, last_run_at TEXT, last_exit INTEGER)"
        )
        old.execute(
            "INSERT INTO jobs VALUES ('a1b2c3', '/x.yaml', 'experiment', '0 3 * * *', NULL, "
            "'UTC', 'skip', '/reports', '2026-01-01T00:00:00+00:00', "
            "'2026-01-01T03:00:00+00:00', NULL, NULL)"
        )
    old.close()
    (job,) = get_jobs(tmp_path)
    assert (job.id, job.lab_file) == ("a1b2c3", None)
    with connect(tmp_path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(jobs)")]
    assert columns[-1] == "lab_file"
