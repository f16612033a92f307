"""Run history: a run's row from its start to its end, a run whose controller is gone, and
rows that chaoskit did not write as they stand."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from chaoskit.lab import process
from chaoskit.schedule.history import (
    RunRecord,
    list_runs,
    read_history,
    record_run,
    record_start,
    trends,
)
from tests.helpers import run_cli


def _record(run_dir: Path, status: str = "completed", held: bool = True) -> RunRecord:
    return RunRecord(
        run_id=run_dir.name, title="blackout", source="blackout.yaml",
        started_at="2026-12-06T10:00:00Z", status=status, verdict="hypothesis held",
        held=held, exit_code=0, profile="naive", trigger="manual", run_dir=str(run_dir),
        report=None, time_to_recover_s=1.5, availability=1.0, metrics={"samples": 3},
    )  # fmt: skip


def test_a_run_is_one_row_from_its_start_to_its_end(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "one"
    pid = os.getpid()
    record_start(tmp_path, _record(run_dir), pid, process.start_time(pid))
    (running,) = list_runs(tmp_path)
    assert running.status == "running"  # this process is its controller, and it runs
    assert trends([running]) == []  # no verdict yet
    record_run(tmp_path, _record(run_dir))
    (finished,) = list_runs(tmp_path)
    assert (finished.status, finished.held, finished.metrics) == ("completed", True, {"samples": 3})


def test_a_run_whose_controller_is_gone_did_not_finish(tmp_path: Path) -> None:
    controller = subprocess.Popen([sys.executable, "-c", "pass"])
    started = process.start_time(controller.pid)
    controller.wait()
    run_dir = tmp_path / "runs" / "killed"
    record_start(tmp_path, _record(run_dir), controller.pid, started)
    record_run(tmp_path, _record(tmp_path / "runs" / "later"))
    killed, later = sorted(list_runs(tmp_path), key=lambda r: r.run_id)
    assert killed.status == "did-not-finish", killed
    assert f"its controller (pid {controller.pid}) is gone" in killed.verdict
    assert str(run_dir) in killed.verdict
    (trend,) = trends([later, killed])
    assert (trend.runs, trend.held) == (1, 1)  # only the run that has a verdict


def test_a_run_that_stopped_on_an_error_is_in_no_trend(tmp_path: Path) -> None:
    errored = _record(tmp_path / "runs" / "errored", status="error", held=False)
    record_run(tmp_path, errored)
    record_run(tmp_path, _record(tmp_path / "runs" / "held"))
    (trend,) = trends(list_runs(tmp_path))
    assert (trend.runs, trend.held) == (1, 1)


DAMAGES = {  # column: a value SQLite stores that chaoskit never wrote, and what is said of it
    "metrics": ("not json", "metrics: not JSON text: Expecting value"),
    "time_to_recover_s": (float("inf"), "time_to_recover_s: input should be a finite number"),
    "availability": (1e308, "availability: input should be less than or equal to 1"),
    "held": (5, "held: input should be a valid boolean"),
    "title": (b"\xff\xfe", "title: input should be a valid string"),
}


def _damage(state_dir: Path, run_id: str, column: str, value: object) -> None:
    with sqlite3.connect(state_dir / "chaoskit.db") as db:
        db.execute(f"UPDATE runs SET {column} = ? WHERE run_id = ?", (value, run_id))


def test_a_damaged_row_is_left_out_and_named_and_the_rest_is_read(tmp_path: Path) -> None:
    """A row edited by hand or by another program ended ``history`` on a traceback
    (JSONDecodeError, AttributeError, a TypeError in psutil, rich's NotRenderableError)."""
    record_run(tmp_path, _record(tmp_path / "runs" / "whole"))
    for column, (value, _) in DAMAGES.items():
        record_run(tmp_path, _record(tmp_path / "runs" / column))
        _damage(tmp_path, column, column, value)
    controller = '{"controller": {"pid": "x", "start_time": 1.0}}'
    record_start(tmp_path, _record(tmp_path / "runs" / "running"), os.getpid(), 1.0)
    _damage(tmp_path, "running", "metrics", controller)
    history = read_history(tmp_path)
    assert [r.run_id for r in history.runs] == ["whole"]
    said = {d.where.split("'")[1]: d.problem for d in history.damaged}  # by run id
    for column, (_, expected) in DAMAGES.items():
        assert said[column].startswith(expected), said[column]
    assert said["running"].startswith("metrics.controller.pid: input should be a valid integer")
    assert list_runs(tmp_path) == history.runs

    done = run_cli("--state-dir", str(tmp_path), "history", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout, parse_constant=lambda c: pytest.fail(c))
    assert [r["run_id"] for r in document["runs"]] == ["whole"]
    assert len(document["damaged"]) == len(DAMAGES) + 1
    assert done.stderr.count("warning: history: run ") == len(DAMAGES) + 1
    assert "DELETE FROM runs WHERE id = " in done.stderr and "Traceback" not in done.stderr


def test_history_prints_titles_and_verdicts_as_written(tmp_path: Path) -> None:
    titled = replace(_record(tmp_path / "runs" / "one"), title="DNS [/prod] [eu] blackout",
                     verdict="stopped on an error: [Errno 28] [disk] full")  # fmt: skip
    record_run(tmp_path, titled)
    done = run_cli("--state-dir", str(tmp_path), "history")
    assert done.returncode == 0, done.stderr  # was a MarkupError on '[/prod]'
    assert "DNS [/prod] [eu] blackout" in done.stdout
    assert "[Errno 28] [disk] full" in done.stdout


def test_an_experiment_is_picked_by_title_path_or_the_end_of_its_path_as_written(
    tmp_path: Path,
) -> None:
    for source in ("/w/experiments/dns_blackout.yaml", "/w/experiments/dnsXblackout.yaml",
                   "/w/other/DNS_blackout.yaml"):  # fmt: skip
        run_dir = tmp_path / "runs" / source.replace("/", "-")
        record_run(tmp_path, replace(_record(run_dir), source=source, title=source))

    def picked(name: str) -> list[str]:
        return sorted(r.source for r in read_history(tmp_path, name).runs)

    assert picked("dns_blackout.yaml") == ["/w/experiments/dns_blackout.yaml"]  # '_' matched X
    assert picked("experiments/dns_blackout.yaml") == ["/w/experiments/dns_blackout.yaml"]
    assert picked("/w/other/DNS_blackout.yaml") == ["/w/other/DNS_blackout.yaml"]
    assert picked("%") == [] and picked("blackout.yaml") == []  # '%' matched every run
