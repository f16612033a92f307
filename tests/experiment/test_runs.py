"""``chaoskit run`` end to end on the real lab: the examples (shortened), a controller killed
with SIGKILL during its faults, Ctrl-C, its output going away, a full disk, and a stop condition."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import termios
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chaoskit.experiment.drift import find_drift
from chaoskit.experiment.handles import DnsFaultHandle
from chaoskit.experiment.injection import KILL_AT_ENV
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab import LocalLab
from chaoskit.lab.health import wait_until
from chaoskit.lab.process import stopped_in_group
from chaoskit.schedule.history import list_runs
from tests.helpers import (
    assert_lab_clean,
    assert_silencers_ended_first,
    carriers_held_down,
    fleet_and_blank,
    fleet_and_blank_faults,
    injected,
    run_cli,
    shortened,
    start_run,
    wait_for_injections,
)

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("fresh_services_after")]


def run(lab: LocalLab, experiment: Path, out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    done = run_cli(
        "--state-dir", str(lab.state_dir), "run", str(experiment), "--out", str(out), *extra,
        timeout=240,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    run_dirs = sorted(out.iterdir())
    assert len(run_dirs) == 1, done.stdout + done.stderr
    journal = json.loads((run_dirs[0] / "journal.json").read_text())
    journal["_dir"] = run_dirs[0]
    journal["_stdout"] = done.stdout
    return done.returncode, journal


def timeline(journal: dict[str, Any]) -> list[dict[str, str]]:
    with (journal["_dir"] / "timeline.csv").open() as source:
        return list(csv.DictReader(source))


def test_dns_blackout_example(lab: LocalLab, tmp_path: Path, open_page: Any) -> None:
    experiment = shortened(
        "dns-blackout.yaml", tmp_path,
        load={"users": 5, "spawn_rate": 5, "warmup": "1s"},
        method=[
            {"name": "blackout", "at": "2s", "fault": "dns.blank",
             "target": "dynamodb.us-east-1.lab.test", "duration": "4s"},
            {"at": "3s", "manual": {"prompt": "look", "timeout": "1s"}},
        ],
        recovery={"consecutive_samples": 10, "timeout": "30s"},
    )  # fmt: skip
    code, journal = run(lab, experiment, tmp_path / "reports")
    assert code in (0, 1)
    assert journal["status"] == "completed"
    (fault,) = journal["faults"]
    assert fault["outcome"] == "reverted" and fault["verified"]
    assert 3.9 <= fault["reverted_t"] - fault["injected_t"] <= 4.5
    metrics = journal["metrics"]
    assert metrics["sample_hz"] >= 9.5
    assert metrics["time_to_impact_s"] is not None and metrics["time_to_impact_s"] < 1.0
    assert metrics["availability_during_fault"] < 0.2
    assert metrics["retry_amplification"] > 1.0
    rows = timeline(journal)
    during = [
        r for r in rows if fault["injected_t"] + 0.5 < float(r["t"]) < fault["reverted_t"] - 0.5
    ]
    assert during and all(r["dns_answer"] == "EMPTY" for r in during)
    assert [s["outcome"] for s in journal["steps"]] == ["done", "timed_out_continued"]
    assert "dns.blank" in journal["_stdout"]
    assert_lab_clean(lab)
    assert_reports_written(journal, code, open_page)


def assert_reports_written(journal: dict[str, Any], code: int, open_page: Any) -> None:
    """The run rendered its reports, the JUnit failures agree with the exit code, and the
    HTML draws in a real browser."""
    run_dir = journal["_dir"]
    for name in ("report.html", "report.md", "report-chart.png", "junit.xml", "metrics.json"):
        assert (run_dir / name).stat().st_size > 0, name
    suites = ET.parse(run_dir / "junit.xml").getroot()
    assert (suites.get("failures") == "0") == (code == 0)
    assert str(run_dir / "report.html") in journal["_stdout"].replace("\n", "")
    opened = open_page(run_dir / "report.html")
    assert opened.console_errors == []
    assert opened.page.locator("svg.chart path.series").count() >= 5
    assert opened.page.locator('svg[data-chart="dns"] rect.band').count() >= 3
    opened.screenshot("real-run-report.png")


def test_dynamodb_latency_example(lab: LocalLab, tmp_path: Path) -> None:
    experiment = shortened(
        "dynamodb-latency.yaml", tmp_path,
        load={"users": 5, "spawn_rate": 5, "warmup": "1s"},
        method=[
            {"at": "1s", "fault": "toxiproxy.latency", "target": "dynamodb-us-east-1",
             "duration": "4s", "params": {"latency": 400}},
            {"at": "5s", "wait": "1s"},
        ],
        recovery={"consecutive_samples": 10, "timeout": "30s"},
    )  # fmt: skip
    # naive fleet collapses under this latency and never recovers; resilient recovers
    code, journal = run(lab, experiment, tmp_path / "reports", "--profile", "resilient")
    assert journal["status"] == "completed", journal["verdict"]
    assert code == 0, journal["verdict"]
    fault = journal["faults"][0]
    slow = [
        float(r["p95_ms"]) for r in timeline(journal)
        if r["p95_ms"] and fault["injected_t"] + 1.5 < float(r["t"]) < fault["reverted_t"]
    ]  # fmt: skip
    assert slow and max(slow) >= 400
    assert journal["metrics"]["recovered"] is True
    assert_lab_clean(lab)


def test_retry_storm_example(lab: LocalLab, tmp_path: Path) -> None:
    experiment = shortened(
        "retry-storm.yaml", tmp_path,
        load={"users": 5, "spawn_rate": 5, "warmup": "1s", "mix": {"read": 1, "launch": 1}},
        method=[
            {"at": "1s", "fault": "toxiproxy.down", "target": "dynamodb-us-east-1",
             "duration": "6s"},
            {"at": "7s", "wait": "3s"},
        ],
        recovery={"consecutive_samples": 10, "timeout": "10s"},
    )  # fmt: skip
    code, journal = run(lab, experiment, tmp_path / "reports")
    assert code == 1  # naive: the fleet is still collapsed when the run ends
    assert "fleet-capacity" in journal["verdict"]
    metrics = journal["metrics"]
    assert metrics["retry_amplification"] >= 2.0  # naive: every layer retries
    assert metrics["backlog_peak"] > 100  # fleet's lease queue grew
    assert_lab_clean(lab)


def crash_experiment(tmp_path: Path, seconds: int) -> Path:
    path = tmp_path / "crash.yaml"
    path.write_text(
        f"""title: crash test
method:
  - at: 1s
    fault: dns.blank
    target: dynamodb.us-east-1.lab.test
    duration: {seconds}s
  - at: 1s
    fault: toxiproxy.latency
    target: dynamodb-us-east-1
    duration: {seconds}s
    params: {{latency: 1000}}
stop_conditions:
  - name: everything-fails
    metric: error_rate
    above: 0.5
    for: 1s
"""
    )
    return path


def test_sigkilled_controller_faults_end_at_expiry_and_recover_clears(
    lab: LocalLab, tmp_path: Path
) -> None:
    experiment = crash_experiment(tmp_path, seconds=4)
    # no stop condition here: the controller must be killed while both faults are active
    experiment.write_text(experiment.read_text().split("stop_conditions")[0])
    proc = start_run(lab, experiment, tmp_path / "reports")
    wait_for_injections(proc, 2, tmp_path / "reports")
    proc.kill()
    proc.wait(10)
    entries = Ledger(lab.state_dir).entries()
    assert sorted(e.kind for e in entries) == ["dns.blank", "toxiproxy.latency"]
    with lab.dns_admin() as admin:
        assert len(admin.faults()) == 1  # still active: nothing has reverted it yet
    status = run_cli("--state-dir", str(lab.state_dir), "status")
    assert "may still be active" in status.stderr and "chaoskit recover" in status.stderr
    assert "fault in force: toxiproxy.latency on dynamodb-us-east-1" in status.stdout
    expires = max(e.expires_at for e in entries)

    def all_expired() -> bool:
        with lab.dns_admin() as admin:
            dns_clean = admin.faults() == []
        return dns_clean and lab.toxiproxy().toxics("dynamodb-us-east-1") == []

    def watchdog_recorded() -> bool:
        # the watchdog marks the ledger just after its revert is done, not atomically with it
        return any(e.reverted_by == "watchdog" for e in Ledger(lab.state_dir).entries())

    assert wait_until(all_expired, expires - time.time() + 3)
    assert time.time() <= expires + 3
    assert wait_until(watchdog_recorded, 5)
    watchdog_marked = [e for e in Ledger(lab.state_dir).entries() if e.reverted_by == "watchdog"]
    assert [e.kind for e in watchdog_marked] == ["toxiproxy.latency"]
    ended = run_cli("--state-dir", str(lab.state_dir), "status")
    assert "fault reverted by the watchdog, still in the ledger: toxiproxy.latency" in ended.stdout
    assert "fault past its expiry, still in the ledger: dns.blank" in ended.stdout
    assert "fault in force" not in ended.stdout and "may still be active" not in ended.stderr
    done = run_cli("--state-dir", str(lab.state_dir), "recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_lab_clean(lab)
    again = run_cli("--state-dir", str(lab.state_dir), "status")
    assert "may still be active" not in again.stderr
    history = run_cli("--state-dir", str(lab.state_dir), "history", "--json")
    (killed,) = [r for r in json.loads(history.stdout)["runs"]
                 if Path(r["run_dir"]).parent == (tmp_path / "reports").resolve()]  # fmt: skip
    assert killed["status"] == "did-not-finish", killed
    assert f"its controller (pid {proc.pid}) is gone" in killed["verdict"]


def gone_controller_entry(fault_id: str, **fields: Any) -> LedgerEntry:
    """A ledger entry of a controller killed 20 s ago, its fault due to end 5 s ago."""
    now = time.time()
    return LedgerEntry(
        run="killed-run", kind="dns.blank", target="dynamodb.us-east-1.lab.test",
        duration_s=12, written_at=now - 20, expires_at=now - 5, controller_pid=dead_pid(),
        handle=DnsFaultHandle(fault_id=fault_id, actor=f"chaoskit-run:killed-run:{fault_id}"),
        **fields,
    )  # fmt: skip


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_run_clears_what_a_killed_run_left_once_the_lab_shows_it_ended(
    lab: LocalLab, tmp_path: Path
) -> None:
    """The lab ended the first fault at its expiry: the next run clears it, says so, and
    runs. The second is past its expiry but still in force on the DNS server: the run is
    refused, names it, and changes nothing."""
    ledger = Ledger(lab.state_dir)
    ended = gone_controller_entry("ck-ended00")
    ledger.add(ended)
    experiment = tmp_path / "short.yaml"
    experiment.write_text("title: after a killed run\nmethod:\n  - wait: 1s\n")
    done = run_cli("--state-dir", str(lab.state_dir), "run", str(experiment),
                   "--out", str(tmp_path / "out"))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(
        r"cleared from the ledger, ended as the lab shows: dns\.blank on "
        r"dynamodb\.us-east-1\.lab\.test \(run killed-run, 2\ds ago, past its expiry\)",
        done.stdout,
    ), done.stdout
    assert ledger.entries() == []
    held = gone_controller_entry("ck-held000")
    with lab.dns_admin() as admin:
        admin.add_fault("blank", held.target, duration_s=60, fault_id="ck-held000")
    try:
        ledger.add(held)
        refused = run_cli("--state-dir", str(lab.state_dir), "run", str(experiment),
                          "--out", str(tmp_path / "refused"))  # fmt: skip
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert re.search(
            r"1 fault\(s\) left by a controller that is gone may still be active: dns\.blank "
            r"on dynamodb\.us-east-1\.lab\.test \(run killed-run, 2\ds ago, past its expiry, "
            r"the lab does not show it ended\)\. Run `chaoskit recover` to revert and clear them\.",
            " ".join(refused.stderr.split()),
        ), refused.stderr
        assert list((tmp_path / "refused").iterdir()) == []  # no run began
        assert [e.id for e in ledger.entries()] == [held.id]
        with lab.dns_admin() as admin:
            assert [f["id"] for f in admin.faults()] == ["ck-held000"]
    finally:
        recovered = run_cli("--state-dir", str(lab.state_dir), "recover")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert_lab_clean(lab)


def test_a_run_killed_the_instant_it_paused_a_service_leaves_nothing_frozen(
    lab: LocalLab, tmp_path: Path
) -> None:
    """The reported defect: five faults, the controller SIGKILLed right after SIGSTOP."""
    experiment = tmp_path / "five.yaml"
    experiment.write_text(
        """title: five faults
method:
  - {at: 0.5s, fault: dns.blank, target: dynamodb.us-west-2.lab.test, duration: 3s}
  - {at: 0.5s, fault: toxiproxy.latency, target: dynamodb-us-east-1, duration: 3s,
     params: {latency: 200}}
  - {at: 0.5s, fault: toxiproxy.down, target: dynamodb-us-west-2, duration: 3s}
  - {at: 0.5s, fault: process.kill, target: fleet, duration: 3s}
  - {at: 1s, fault: process.pause, target: status, duration: 3s}
"""
    )
    proc = start_run(
        lab, experiment, tmp_path / "reports", {KILL_AT_ENV: "after-effect:process.pause"}
    )
    assert proc.wait(90) == -signal.SIGKILL
    entries = Ledger(lab.state_dir).entries()
    assert sorted(e.kind for e in entries) == [
        "dns.blank", "process.kill", "process.pause", "toxiproxy.down", "toxiproxy.latency"
    ]  # fmt: skip
    status = lab.state.components["status"]
    assert stopped_in_group(status.pid, status.create_time)  # killed while it is frozen
    expires = max(e.expires_at for e in entries)
    assert wait_until(lambda: not find_drift(lab, []) or time.time() > expires + 20, 40)
    assert find_drift(lab, []) == [], "the lab did not end every fault by itself"
    assert not stopped_in_group(status.pid, status.create_time)
    done = run_cli("--state-dir", str(lab.state_dir), "recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_lab_clean(lab)
    assert all(c["healthy"] for c in lab.status()["components"].values())


def test_ctrl_c_reverts_everything_and_exits_3(lab: LocalLab, tmp_path: Path) -> None:
    experiment = crash_experiment(tmp_path, seconds=60)
    experiment.write_text(experiment.read_text().split("stop_conditions")[0])
    proc = start_run(lab, experiment, tmp_path / "reports")
    wait_for_injections(proc, 2, tmp_path / "reports")
    interrupted_at = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 3
    assert time.monotonic() - interrupted_at < 15
    assert_lab_clean(lab)
    (run_dir,) = (tmp_path / "reports").iterdir()
    journal = json.loads((run_dir / "journal.json").read_text())
    assert journal["status"] == "interrupted"
    assert all(f["outcome"] == "reverted" for f in journal["faults"])


@pytest.mark.parametrize("cut", ["terminal hangs up", "pipe reader ends"])
def test_a_run_whose_output_goes_away_reverts_everything_and_exits_3(
    cut: str, lab: LocalLab, tmp_path: Path
) -> None:
    """The terminal closes (an ssh session drops) mid-run, or the reader of its pipe ends
    (``chaoskit run … | head``). It used to die there: of SIGHUP, its faults in force until
    their expiry; of Rich's exit on a broken pipe, with no journal and no report. Now it
    reverts as on Ctrl-C, though what it writes from then on goes nowhere."""
    experiment = crash_experiment(tmp_path, seconds=600)
    experiment.write_text(experiment.read_text().split("stop_conditions")[0])
    command = [sys.executable, "-m", "chaoskit", "--state-dir", str(lab.state_dir), "run",
               str(experiment), "--out", str(tmp_path / "reports"), "--no-fresh"]  # fmt: skip
    if cut == "terminal hangs up":
        near, far = pty.openpty()
        proc = subprocess.Popen(
            command, stdin=far, stdout=far, stderr=far, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the terminal is its own
        )  # fmt: skip
        os.close(far)
        cut_its_output = _drained_until_closed(near)
        verdict = "interrupted by SIGHUP"
    else:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.stdout is not None
        cut_its_output = proc.stdout.close  # the next progress line is at most 5 s away
        verdict = ("interrupted as its output was closed (the terminal hung up or the reader of "
                   "its pipe ended)")  # fmt: skip
    try:
        assert wait_until(lambda: len(injected(tmp_path / "reports")) == 2 or proc.poll(), 120)
        assert proc.poll() is None
        cut_its_output()
        assert proc.wait(30) == 3
    finally:
        proc.kill()  # if it hangs: not beyond the test
    assert_lab_clean(lab)
    (run_dir,) = (tmp_path / "reports").iterdir()
    journal = json.loads((run_dir / "journal.json").read_text())
    assert (journal["status"], journal["verdict"]) == ("interrupted", verdict)
    assert all(f["outcome"] == "reverted" for f in journal["faults"])
    assert (run_dir / "report.html").exists()


def _drained_until_closed(terminal: int) -> Callable[[], None]:
    """Read what the run writes to ``terminal`` (else it blocks once the pty's buffer is
    full) until the returned function closes it. Not by closing it under a blocked read:
    the read holds the terminal open and it does not hang up until something is written."""
    closing = threading.Event()

    def drain() -> None:
        with contextlib.suppress(OSError):
            while not closing.is_set():
                if select.select([terminal], [], [], 0.05)[0] and not os.read(terminal, 65536):
                    return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()

    def close() -> None:
        closing.set()
        reader.join()
        os.close(terminal)

    return close


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A directory on a filesystem with no space left (a tmpfs, filled)."""
    mount = tmp_path / "full"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        with contextlib.suppress(OSError), (mount / "filler").open("wb") as filler:
            while True:
                filler.write(b"x" * 4096)
                filler.flush()
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_run_on_a_full_disk_reverts_says_what_it_could_not_write_and_exits_1(
    lab: LocalLab, tmp_path: Path, full_disk: Path
) -> None:
    """It exited 0 with no journal, no report and no JUnit file, which a CI job would take
    as a pass (and history as a run that never finished)."""
    experiment = crash_experiment(tmp_path, seconds=2)
    experiment.write_text(experiment.read_text().split("stop_conditions")[0])
    done = run_cli("--state-dir", str(lab.state_dir), "run", str(experiment),
                   "--out", str(full_disk / "reports"), "--no-fresh", timeout=240)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert ("journal not written: OSError: [Errno 28] No space left on device (the hypothesis "
            "held; exit 1, as the run's files are incomplete)") in done.stdout  # fmt: skip
    assert_lab_clean(lab)
    (record,) = [r for r in list_runs(lab.state_dir) if r.run_dir.startswith(str(full_disk))]
    assert (record.status, record.held, record.exit_code) == ("completed", True, 1)
    (run_dir,) = (full_disk / "reports").iterdir()
    assert not [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")]


def test_stop_condition_aborts_and_reverts(lab: LocalLab, tmp_path: Path) -> None:
    experiment = crash_experiment(tmp_path, seconds=60)
    code, journal = run(lab, experiment, tmp_path / "reports", "--no-fresh")
    assert code == 3
    assert journal["status"] == "aborted"
    assert "stop condition everything-fails" in journal["verdict"]
    for fault in journal["faults"]:
        assert fault["outcome"] == "reverted"
        assert fault["reverted_t"] - fault["injected_t"] < 10
    assert_lab_clean(lab)


def test_distributed_load_streams_from_every_worker(lab: LocalLab, tmp_path: Path) -> None:
    experiment = tmp_path / "distributed.yaml"
    experiment.write_text(
        "title: distributed load\n"
        "load: {users: 10, spawn_rate: 10, warmup: 2s}\n"
        "method:\n  - wait: 4s\n"
        "recovery: {consecutive_samples: 5, timeout: 10s}\n"
    )
    code, journal = run(lab, experiment, tmp_path / "reports", "--load-workers", "2", "--no-fresh")
    assert code == 0, journal["verdict"]
    logs = journal["_dir"] / "logs"
    assert (logs / "locust-master.log").exists()
    for worker in (0, 1):
        assert "Starting Locust" in (logs / f"locust-worker-{worker}.log").read_text()
    assert journal["metrics"]["client_requests"] > 100
    assert journal["experiment"]["load"]["workers"] == 2


def test_load_workers_needs_a_load_section(lab: LocalLab, tmp_path: Path) -> None:
    experiment = tmp_path / "noload.yaml"
    experiment.write_text("title: no load\nmethod:\n  - wait: 1s\n")
    done = run_cli("--state-dir", str(lab.state_dir), "run", str(experiment), "--load-workers", "2")
    assert done.returncode == 2
    assert "has no load section" in done.stderr


def test_a_load_surge_runs_more_paced_users_for_its_duration_only(
    lab: LocalLab, tmp_path: Path
) -> None:
    experiment = tmp_path / "surge.yaml"
    experiment.write_text(
        "title: a paced load, surged\n"
        "load: {users: 4, spawn_rate: 10, warmup: 2s, pacing: 0.5s}\n"
        "method:\n"
        "  - {name: surge, at: 2s, fault: load.surge, target: load, duration: 4s,\n"
        "     params: {users: 20, spawn_rate: 50}}\n"
        "  - {at: 6s, wait: 5s}\n"
        "recovery: {consecutive_samples: 5, timeout: 10s}\n"
    )
    code, journal = run(lab, experiment, tmp_path / "reports", "--no-fresh")
    assert code == 0, journal["verdict"]
    (fault,) = journal["faults"]
    start, end = fault["injected_t"], fault["reverted_t"]

    def requests(since: float, until: float) -> int:
        return sum(int(r["requests"]) for r in timeline(journal) if since <= float(r["t"]) < until)

    surged = requests(start + 1.5, end) / (end - start - 1.5)  # ramped and paced: 40/s
    before = requests(start - 2, start) / 2  # 4 users every 0.5 s: 8/s
    # the shape reads its file each second: the surge's users are gone within about 1.5 s
    after = requests(end + 2.0, end + 4.0) / 2.0  # the method goes on 5 s after the revert
    assert surged > 3 * max(before, after), (before, surged, after)
    assert 28 <= surged <= 50 and 5 <= before <= 11 and 5 <= after <= 11, (before, surged, after)
    assert journal["metrics"]["goodput_during_fault_rps"] > 20
    assert not (lab.state_dir / "load-surge.json").exists()


@pytest.mark.parametrize(
    ("fault", "at_s", "fault_s", "blank_s"),
    [("process.kill", 1, 3, 3), ("process.kill", 1, 2, 7), ("process.restart", 2, 1, 7)],
    ids=["kill-together", "kill-apart", "restart-during"],
)
def test_a_killed_or_restarted_service_runs_again_on_time_even_while_it_cannot_serve(
    lab: LocalLab, tmp_path: Path, fault: str, at_s: int, fault_s: int, blank_s: int
) -> None:
    """fleet killed or restarted while its database's name is blanked: each fault starts
    and ends on time. fleet cannot take a lease with the name blanked, so neither the
    kill's revert nor the restart waits for it to serve (its recovery is the run's to
    measure); ending together, the blank is lifted first. Both used to wait for fleet to be
    healthy: the blank was held past its time; with the blank longer than the kill, fleet
    was stopped after each 15 s start-up timeout and stayed down until the blank was
    lifted; the restart returned (and was journaled) 11 s late."""
    experiment = tmp_path / "fleet-and-blank.yaml"
    experiment.write_text(fleet_and_blank(fault, at_s, fault_s, blank_s))
    _, journal = run(lab, experiment, tmp_path / "reports", "--no-fresh")
    faulted, blank = fleet_and_blank_faults(journal, fault, at_s)
    assert faulted["reverted_t"] - faulted["injected_t"] < fault_s + 1, faulted
    assert blank["reverted_t"] - blank["injected_t"] < blank_s + 1, blank
    if fault_s == blank_s:
        assert blank["reverted_t"] <= faulted["reverted_t"], (blank, faulted)
    assert journal["metrics"]["recovered"] is True
    assert_lab_clean(lab)


def test_a_fault_whose_carrier_another_holds_down_is_reverted_as_that_one_ends(
    lab: LocalLab, tmp_path: Path
) -> None:
    """A blank on the DNS server and a toxic on Toxiproxy, each due while another fault
    holds its carrier down (the DNS server paused, Toxiproxy killed): each silencer ends on
    time and the fault it carried right after it. The blank's revert used to be tried while
    the server was paused, and waited out its timeouts until the watchdog thawed the server
    at the pause's expiry: both the pause and the kill were held 3 s past their time; with
    the DNS server killed instead, the blank's revert failed and the run exited 1, the blank
    left in the ledger."""
    experiment = tmp_path / "carriers.yaml"
    experiment.write_text(carriers_held_down("process"))
    code, journal = run(lab, experiment, tmp_path / "reports", "--no-fresh")
    assert code == 0, journal["_stdout"]
    assert_silencers_ended_first(journal)
    assert_lab_clean(lab)
