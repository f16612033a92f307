"""The scheduler on the real lab: a due job waits for the lab, runs, lands in history; SIGTERM
stops it with every fault reverted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chaoskit.lab import LocalLab
from chaoskit.lab.health import wait_until
from chaoskit.lab.lock import LabLock
from chaoskit.schedule.history import list_runs
from chaoskit.schedule.jobs import job_events, remove_job
from tests.helpers import assert_lab_clean, injected, run_cli, short_blackout

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("fresh_services_after")]


def schedule_soon(lab: LocalLab, experiment: Path, out: Path) -> tuple[str, datetime]:
    """A one-off job a few seconds from now (the command itself takes a moment)."""
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    at = due.isoformat()
    done = run_cli("--state-dir", str(lab.state_dir), "schedule", "add", "--at", at,
                   "--out", str(out), str(experiment))  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.split(":")[0].strip(), due


def start_scheduler(lab: LocalLab) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(lab.state_dir), "scheduler",
         "--max-runs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_a_due_job_waits_for_the_lab_then_runs_and_is_recorded(
    lab: LocalLab, tmp_path: Path
) -> None:
    # a title outside ASCII: the run's id (its slug) reached the DNS server's admin API in a
    # header, could not be encoded, and the run ended in a traceback with its fault not made
    experiment = short_blackout(tmp_path, 2, title="Panne DNS à Zürich, 東京")
    job, due = schedule_soon(lab, experiment, tmp_path / "reports")
    holding = LabLock(lab.state_dir).claim("the test holding the lab")
    scheduler = start_scheduler(lab)
    try:
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 3)
        # due for 3 s, but the lab is held: nothing started
        assert job_events(lab.state_dir, job) == []
        by_hand = run_cli("--state-dir", str(lab.state_dir), "run", str(experiment),
                          "--out", str(tmp_path / "by-hand"))  # fmt: skip
        assert by_hand.returncode == 4
        assert "the lab is busy: the test holding the lab (pid" in by_hand.stderr
    finally:
        holding.release()
    output, _ = scheduler.communicate(timeout=240)
    assert scheduler.returncode == 0, output
    assert [event for _, event, _ in job_events(lab.state_dir, job)] == ["started", "finished"]
    (record,) = [r for r in list_runs(lab.state_dir) if r.trigger == f"schedule:{job}"]
    assert record.status == "completed" and record.exit_code in (0, 1)
    assert record.run_id.endswith("-panne-dns-à-zürich-東京")
    assert record.report is not None and Path(record.report).exists()
    assert Path(record.run_dir).parent == tmp_path / "reports"
    history = run_cli("--state-dir", str(lab.state_dir), "history", "--json",
                      "--experiment", record.title)  # fmt: skip
    document = json.loads(history.stdout)
    assert record.run_id in [r["run_id"] for r in document["runs"]]
    assert document["trends"][0]["title"] == record.title
    assert_lab_clean(lab)
    remove_job(lab.state_dir, job)


def test_sigterm_stops_the_scheduler_and_the_running_experiment_reverts(
    lab: LocalLab, tmp_path: Path
) -> None:
    job, _ = schedule_soon(lab, short_blackout(tmp_path, 30), tmp_path / "reports")
    scheduler = start_scheduler(lab)
    deadline = time.monotonic() + 90
    log: Path | None = None
    while time.monotonic() < deadline:
        started = [
            detail for _, event, detail in job_events(lab.state_dir, job) if event == "started"
        ]
        log = Path(started[0]) if started else None
        if [e["kind"] for e in injected(tmp_path / "reports")] == ["dns.blank"]:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the scheduled run never injected its fault; log {log}")
    scheduler.send_signal(signal.SIGTERM)
    output, _ = scheduler.communicate(timeout=120)
    assert scheduler.returncode == 0, output
    assert "stopping; the running experiment reverts its faults" in output
    assert_lab_clean(lab)
    (record,) = [r for r in list_runs(lab.state_dir) if r.trigger == f"schedule:{job}"]
    assert record.status == "interrupted" and record.exit_code == 3
    remove_job(lab.state_dir, job)


def test_a_killed_schedulers_run_ends_on_its_own_and_the_job_shows_it_began(
    lab: LocalLab, tmp_path: Path
) -> None:
    """SIGKILL of the scheduler mid-run: the run it started keeps the lab (the lock is
    inherited), ends and reverts as usual, and lands in history; the job shows when its
    last run began, its exit unknown (``-``)."""
    job, _ = schedule_soon(lab, short_blackout(tmp_path, 3), tmp_path / "reports")
    scheduler = start_scheduler(lab)
    assert wait_until(lambda: len(injected(tmp_path / "reports")) == 1, 90), "never injected"
    scheduler.kill()
    scheduler.communicate(timeout=10)

    def recorded() -> bool:
        return any(
            r.trigger == f"schedule:{job}" and r.status == "completed"
            for r in list_runs(lab.state_dir)
        )

    assert wait_until(recorded, 60), "the orphaned run never finished"
    assert_lab_clean(lab)
    listed = run_cli("--state-dir", str(lab.state_dir), "schedule", "list", "--json")
    (entry,) = [j for j in json.loads(listed.stdout) if j["id"] == job]
    assert entry["last_run_at"] is not None and entry["last_exit"] is None, entry
    remove_job(lab.state_dir, job)
