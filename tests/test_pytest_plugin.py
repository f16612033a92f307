"""The pytest plugin, driving real pytest sessions (pytester, each in its own process) on the
real session lab: every fault reverted whatever the test does, the marker, the JUnit
properties and reports, xdist workers on one lab, a terminated session and a SIGKILLed one."""

from __future__ import annotations

import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil
import pytest

from chaoskit.api import Lab
from chaoskit.experiment.ledger import Ledger
from chaoskit.lab import LocalLab
from chaoskit.lab.health import wait_until
from chaoskit.paths import cache_dir
from tests.helpers import shortened

# xdist: a lab of its own on 127.0.18, one worker at a time
pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("127.0.18")]

EAST = "dynamodb-us-east-1"
CACHE = cache_dir()
"""This session's cache, read before pytester moves ``HOME`` (which would move it too)."""


@pytest.fixture(autouse=True)
def installed_components(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner sessions use what this one installed: under pytester's ``HOME`` a lab
    would build Toxiproxy again from the Go module proxy (~30 s, and network)."""
    monkeypatch.setenv("CHAOSKIT_CACHE_DIR", str(CACHE))


HELPERS = """
EAST = "dynamodb-us-east-1"

def toxics(chaos):
    return [t["name"] for t in chaos.lab.backend_lab.toxiproxy().toxics(EAST)]
"""


def _tests(pytester: pytest.Pytester, body: str) -> None:
    """The inner session's test file: the helpers above, then ``body``."""
    pytester.makepyfile(HELPERS + body)


def _run(pytester: pytest.Pytester, state_dir: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        f"--chaoskit-state-dir={state_dir}", "-p", "no:cacheprovider", *args, timeout=180
    )


def _clean(lab: LocalLab) -> None:
    assert lab.toxiproxy().toxics(EAST) == []


def _passed_but_the_bad_target(pytester: pytest.Pytester, lab: LocalLab, passed: int) -> None:
    """The inner session: ``passed`` tests pass, the one marked with the target 'nowhere' is
    an error naming it, and no toxic is left."""
    result = _run(pytester, lab.state_dir, "-rA")
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("errors")) == (passed, 1), result.stdout.str()
    result.stdout.fnmatch_lines(["*'nowhere' is not a target of toxiproxy.latency*"])
    _clean(lab)
    assert Ledger(lab.state_dir).entries() == []


def test_a_failing_test_and_an_interrupted_one_leave_no_fault(
    pytester: pytest.Pytester, lab: LocalLab
) -> None:
    _tests(
        pytester,
        """
def test_fails(chaos):
    with chaos.fault("toxiproxy.latency", EAST, duration="30s", latency=200):
        assert len(toxics(chaos)) == 1
        assert False, "the service was too slow"

def test_interrupted(chaos):
    with chaos.fault("toxiproxy.latency", EAST, duration="30s", latency=200):
        raise KeyboardInterrupt
""",
    )
    result = _run(pytester, lab.state_dir)
    result.stdout.fnmatch_lines(["*the service was too slow*", "*KeyboardInterrupt*"])
    assert result.parseoutcomes().get("failed") == 1
    _clean(lab)


def test_the_marker_runs_the_test_under_the_fault(pytester: pytest.Pytester, lab: LocalLab) -> None:
    _tests(
        pytester,
        """
import pytest

@pytest.mark.chaos(fault="toxiproxy.latency", target=EAST, duration="30s", latency=250)
def test_under_latency(chaos):
    assert len(toxics(chaos)) == 1

@pytest.mark.chaos(fault="toxiproxy.latency", target="nowhere")
def test_bad_target():
    pass

def test_no_fault_no_lab_touched():
    pass
""",
    )
    _passed_but_the_bad_target(pytester, lab, passed=2)


def test_a_test_marked_twice_runs_under_both_faults(
    pytester: pytest.Pytester, lab: LocalLab
) -> None:
    """Only the closest ``@pytest.mark.chaos`` was read: the test ran without the others'
    faults and passed as if it had survived them. Marked with a pause of the DNS server
    and (on its module) a blank that server holds, the pause used to go in first, and the
    blank then could not (its server paused): faults go in in the reverse of the order
    they are reverted in (``in_revert_order``), so the pause goes in last and ends first."""
    _tests(
        pytester,
        """
import dns.message, dns.query, psutil, pytest

pytestmark = pytest.mark.chaos(fault="dns.blank", target="dynamodb.us-east-1.lab.test",
                               duration="30s")

def east_addresses(chaos):
    dns_server = chaos.lab.config.dns
    reply = dns.query.udp(dns.message.make_query("dynamodb.us-east-1.lab.test", "A"),
                          dns_server.host, port=dns_server.port, timeout=2)
    return [r.to_text() for rrset in reply.answer for r in rrset]

@pytest.mark.chaos(fault="toxiproxy.latency", target=EAST, duration="30s", latency=250)
def test_under_both(chaos):
    assert len(toxics(chaos)) == 1
    assert east_addresses(chaos) == []

@pytest.mark.chaos(fault="process.pause", target="dns", duration="30s")
def test_under_a_pause_of_the_server_that_holds_the_blank(chaos):
    server = chaos.lab.backend_lab.state.components["dns"]
    assert psutil.Process(server.pid).status() == psutil.STATUS_STOPPED

@pytest.mark.chaos(fault="toxiproxy.latency", target="nowhere")
def test_one_bad_puts_in_none(chaos):
    pass
""",
    )
    _passed_but_the_bad_target(pytester, lab, passed=2)
    with lab.dns_admin() as admin:
        assert admin.faults() == []


def test_junit_properties_and_the_report_of_a_measured_test(
    pytester: pytest.Pytester, lab: LocalLab, tmp_path: Path
) -> None:
    pytester.makepyfile("""
import time

def test_orders_recovers_from_a_blank(chaos):
    with chaos.measure(chaos.url("orders") + "/health/deep", hz=20) as measured:
        time.sleep(0.3)
        with chaos.fault("dns.blank", "dynamodb.us-east-1.lab.test", duration="10s"):
            time.sleep(1.0)
        time.sleep(1.5)
    measured.assert_recovered(within="2s")
""")
    junit, reports = tmp_path / "junit.xml", tmp_path / "reports"
    result = _run(pytester, lab.state_dir, f"--junitxml={junit}", f"--chaoskit-report={reports}")
    assert result.ret == 0, result.stdout.str()
    found = {p.get("name"): p.get("value") for p in ET.parse(junit).iter("property")}
    assert found["chaoskit.faults"] == "dns.blank on dynamodb.us-east-1.lab.test"
    assert float(found["chaoskit.time_to_impact_s"]) < 1.0
    assert found["chaoskit.recovered"] == "True"
    (report,) = reports.glob("*/report.html")
    assert "dns.blank on dynamodb.us-east-1.lab.test" in report.read_text()
    assert (report.parent / "timeline.json").is_file()


@pytest.mark.usefixtures("fresh_services_after")  # the run leaves the services resilient
def test_a_whole_run_from_a_test_goes_through_run_experiment(
    pytester: pytest.Pytester, lab: LocalLab, tmp_path: Path
) -> None:
    experiment = shortened(
        "dynamodb-latency.yaml", tmp_path,
        load={"users": 5, "spawn_rate": 5, "warmup": "1s"},
        method=[{"at": "1s", "fault": "toxiproxy.latency", "target": EAST, "duration": "2s",
                 "params": {"latency": 300}}],
        recovery={"consecutive_samples": 5, "timeout": "20s"},
    )  # fmt: skip
    pytester.makepyfile(f"""
def test_latency_run(chaos):
    result = chaos.run({str(experiment)!r}, profile="resilient", fresh=False)
    assert result.status == "completed", result.verdict
    assert [f.outcome for f in result.faults] == ["reverted"]
""")
    junit, reports = tmp_path / "junit.xml", tmp_path / "reports"
    result = _run(pytester, lab.state_dir, f"--junitxml={junit}", f"--chaoskit-report={reports}")
    assert result.ret == 0, result.stdout.str()
    found = {p.get("name"): p.get("value") for p in ET.parse(junit).iter("property")}
    assert found["chaoskit.run.status"] == "completed"
    assert float(found["chaoskit.run.time_to_impact_s"]) < 2.0  # 300 ms on every read
    (journal,) = reports.glob("*/runs/*/journal.json")
    assert Path(found["chaoskit.run.run_dir"]) == journal.parent
    _clean(lab)


def test_xdist_workers_share_the_lab_and_clash_clearly_on_one_target(
    pytester: pytest.Pytester, lab: LocalLab
) -> None:
    """One worker holds a toxic on the target; the other, while it does, is refused."""
    _tests(
        pytester,
        """
import pathlib, time
import pytest
from chaoskit import FaultConflict

HELD = pathlib.Path(__file__).with_name("held.flag")
TRIED = pathlib.Path(__file__).with_name("tried.flag")

def _wait_for(flag):
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert time.monotonic() < deadline, f"the other worker never wrote {flag.name}"
        time.sleep(0.05)

def test_holder(chaos):
    with chaos.fault("toxiproxy.latency", EAST, duration="60s", latency=100):
        HELD.write_text("held")
        _wait_for(TRIED)
        assert len(toxics(chaos)) == 1

def test_clasher(chaos):
    _wait_for(HELD)
    second = chaos.fault("toxiproxy.timeout", EAST, duration="60s", timeout=100)
    with pytest.raises(FaultConflict, match="already under a fault"), second:
        pass
    TRIED.write_text("tried")
""",
    )
    result = _run(pytester, lab.state_dir, "-n", "2")
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes().get("passed") == 2
    _clean(lab)


def test_a_sigkilled_session_leaves_nothing_once_the_duration_has_passed(
    pytester: pytest.Pytester, lab: LocalLab
) -> None:
    _tests(
        pytester,
        """
import os, signal

def test_killed(chaos):
    with chaos.fault("toxiproxy.latency", EAST, duration="2s", latency=200):
        assert len(toxics(chaos)) == 1
        os.kill(os.getpid(), signal.SIGKILL)
""",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", f"--chaoskit-state-dir={lab.state_dir}",
         "-p", "no:cacheprovider", str(pytester.path)],
        cwd=pytester.path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert wait_until(lambda: lab.toxiproxy().toxics(EAST) == [], 15)  # the watchdog ended it
    with Lab.open(state_dir=lab.state_dir) as reopened:  # the dead session's entry is cleared
        assert reopened.started is False
    assert Ledger(lab.state_dir).entries() == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_session_reverts_its_fault_at_once(
    pytester: pytest.Pytester, lab: LocalLab, sig: signal.Signals
) -> None:
    """A CI job cancelled (SIGTERM) or a terminal closed (SIGHUP) mid-test: at their default
    action the session died with the fault in force until its expiry (here 10 minutes)."""
    _tests(
        pytester,
        """
import time

def test_terminated(chaos):
    with chaos.fault("toxiproxy.latency", EAST, duration="10m", latency=200):
        time.sleep(120)
""",
    )
    session = subprocess.Popen(
        [sys.executable, "-m", "pytest", f"--chaoskit-state-dir={lab.state_dir}",
         "-p", "no:cacheprovider", str(pytester.path)],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert wait_until(lambda: lab.toxiproxy().toxics(EAST) or session.poll() is not None, 60)
        session.send_signal(sig)
        output, _ = session.communicate(timeout=30)
    finally:
        session.kill()
    assert session.returncode == pytest.ExitCode.INTERRUPTED, output
    assert f"KeyboardInterrupt: {sig.name}" in output
    _clean(lab)


def test_a_lab_file_or_state_dir_that_cannot_be_used_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """It was an error in the setup of every test that asked for the lab."""
    pytester.makepyfile("def test_plain(chaos):\n    pass\n")
    (pytester.path / "bad.yaml").write_text("subnet: 127.0.300\n")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for options, expected in (
        (["--chaoskit-lab", "bad.yaml"], "bad.yaml:1:1: subnet: expected 127.X.Y with X and Y"),
        (["--chaoskit-lab", "none.yaml"], "none.yaml:1:1: (file): cannot read"),
        ([f"--chaoskit-state-dir={blocker}"], "is a file; expected a directory"),
        (["--chaoskit-state-dir="], "--chaoskit-state-dir: expected a directory, got an empty"),
        (["--chaoskit-lab="], "--chaoskit-lab: expected a lab file, got an empty string"),
    ):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *options)
        assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
        assert expected in result.stderr.str()


def test_no_chaoskit_disables_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(chaos):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:chaoskit", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*fixture 'chaos' not found*"])


def test_a_session_that_brings_the_lab_up_takes_it_down(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """A lab file of its own (a small lab on 127.0.18, no sample services): up for the
    session, down at its end; ``--chaoskit-keep`` leaves it."""
    (pytester.path / "chaoskit.yaml").write_text(
        "subnet: 127.0.18\nsample_services: false\n"
        "dependencies:\n  cache:\n    upstream: 127.0.18.61:6390\n"
    )
    pytester.makepyfile("""
def test_endpoint(chaos):
    cache = chaos.endpoint("cache")
    assert (cache.host, cache.port, cache.address) == ("cache.lab.test", 6390, "127.0.18.100")
    with chaos.fault("toxiproxy.down", "cache", duration="10s"):
        pass
""")
    state = tmp_path / "state"
    kept = _run(pytester, state, "--chaoskit-keep")
    assert kept.ret == 0, kept.stdout.str()
    assert (state / "state.json").is_file() and (state / "api-started").is_file()
    result = _run(pytester, state)
    assert result.ret == 0, result.stdout.str()
    assert not (state / "state.json").exists()
    assert not [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(state) in " ".join(p.info["cmdline"] or [])
    ]
