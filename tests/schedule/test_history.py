"""Run history: a run's row from its start to its end, and a run whose controller is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from chaoskit.lab import process
from chaoskit.schedule.history import RunRecord, list_runs, record_run, record_start, trends


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
