"""The incident replay on the real lab, shortened: the legacy automation's race empties the
record until the scripted repair, and the run recovers after it; the safe automation never
empties it. Both leave the record as the zone has it."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import pytest

from chaoskit.experiment.watchdog import restore_orphaned_record
from chaoskit.lab import LocalLab
from chaoskit.lab.health import wait_until
from tests.helpers import assert_lab_clean, run_cli, shortened

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("fresh_services_after")]


def incident(tmp_path: Path, automation: str) -> Path:
    """The incident replay, shortened, with the DNS automation in ``automation`` mode."""
    return shortened(
        "incident-2025-10-20.yaml", tmp_path,
        stack={"backend": "local", "profile": "naive", "automation": automation},
        load={"users": 5, "spawn_rate": 5, "warmup": "1s", "mix": {"read": 3, "write": 1}},
        method=[
            {"name": "enactor-delay", "at": "1s", "fault": "dns.enactor_delay",
             "target": "enactor-1", "duration": "9s", "params": {"seconds": 2}},
            {"name": "operators-repair", "at": "12s",
             "manual": {"prompt": "repair", "timeout": "5s", "unattended": "automation.repair"}},
            {"at": "13s", "wait": "2s"},
        ],
        stages=["enactor-delay", "operators-repair"],  # the third act has tests of its own
        recovery={"consecutive_samples": 10, "timeout": "30s"},
    )  # fmt: skip


def replay(lab: LocalLab, tmp_path: Path, automation: str) -> tuple[int, dict[str, Any]]:
    experiment = incident(tmp_path, automation)
    out = tmp_path / "reports"
    done = run_cli("--state-dir", str(lab.state_dir), "run", str(experiment), "--out", str(out),
                   timeout=240)  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    (run_dir,) = out.iterdir()
    journal = json.loads((run_dir / "journal.json").read_text())
    journal["_dir"], journal["_stdout"] = run_dir, done.stdout
    return done.returncode, journal


def answers(journal: dict[str, Any]) -> list[str]:
    with (journal["_dir"] / "timeline.csv").open() as source:
        return [row["dns_answer"] for row in csv.DictReader(source)]


def record_addresses(lab: LocalLab) -> list[str]:
    query = dns.message.make_query(lab.config.region("us-east-1").record, "A")
    reply = dns.query.udp(query, lab.config.dns.host, port=lab.config.dns.port, timeout=2)
    return [rr.address for rrset in reply.answer for rr in rrset]


def assert_record_as_the_zone_has_it(lab: LocalLab) -> None:
    assert record_addresses(lab) == [lab.config.region("us-east-1").proxy.host]


def test_legacy_automation_empties_the_record_until_the_repair(
    lab: LocalLab, tmp_path: Path
) -> None:
    code, journal = replay(lab, tmp_path, "legacy")
    assert journal["status"] == "completed", journal["verdict"]
    seen = answers(journal)
    assert "EMPTY" in seen  # the race emptied the record
    assert seen[-1] != "EMPTY"
    automation_log = journal["_dir"] / "logs" / "automation.log"
    status = json.loads((lab.state_dir / "automation-status.json").read_text())
    assert status["mode"] == "legacy"
    repair = next(s for s in journal["steps"] if s["name"] == "operators-repair")
    assert repair["outcome"] == "automated"
    assert "automation repaired by script" in journal["_stdout"]
    assert journal["metrics"]["recovered"] is True
    dns_stage, repair_stage = journal["stages"]
    assert dns_stage["name"] == "enactor-delay" and not dns_stage["recovered"]  # until repaired
    assert dns_stage["took_s"] == pytest.approx(repair["started_t"] - dns_stage["started_t"])
    assert dns_stage["outage_s"] > 0
    assert repair_stage["recovered"] and repair_stage["recovered_t"] >= repair["ended_t"]
    assert "## Stages" in (journal["_dir"] / "report.md").read_text()
    assert code in (0, 1)
    assert automation_log.exists()
    assert_lab_clean(lab)
    assert_record_as_the_zone_has_it(lab)


def test_safe_automation_never_empties_the_record(lab: LocalLab, tmp_path: Path) -> None:
    code, journal = replay(lab, tmp_path, "safe")
    assert journal["status"] == "completed", journal["verdict"]
    assert "EMPTY" not in answers(journal)
    assert journal["metrics"]["time_to_impact_s"] is None
    assert code == 0, journal["verdict"]
    assert_lab_clean(lab)
    assert_record_as_the_zone_has_it(lab)


def test_an_automation_killed_with_its_controller_has_its_record_restored_by_the_watchdog(
    lab: LocalLab, tmp_path: Path
) -> None:
    """The run and its automation SIGKILLed together (their process group, as a CI job
    cancelled without grace): the automation's parent-death signal never came, and the
    record stayed emptied until ``recover``. The watchdog puts it back, once."""
    run = subprocess.Popen(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(lab.state_dir), "run",
         str(incident(tmp_path, "legacy")), "--out", str(tmp_path / "reports"), "--no-fresh"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        assert wait_until(lambda: record_addresses(lab) == [], 120, interval_s=0.05)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(10)
    assert wait_until(lambda: record_addresses(lab) != [], 15)
    assert_record_as_the_zone_has_it(lab)
    status = json.loads((lab.state_dir / "automation-status.json").read_text())
    assert status["ended_by"] == "watchdog"
    assert restore_orphaned_record(lab.state_dir) is False  # once only
    done = run_cli("--state-dir", str(lab.state_dir), "recover", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_lab_clean(lab)
