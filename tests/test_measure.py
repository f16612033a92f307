"""The measurement's metrics from a probe's timeline (a callable probe, no lab; the faults
arrive as events on a bus, as the lab's do)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chaoskit.experiment.events import FaultInjected, FaultReverted, RunEvents
from chaoskit.measure import Measurement
from chaoskit.report import load_run

ORIGIN = time.monotonic()


class Switch:
    """A probe that fails while ``bad`` is set."""

    def __init__(self) -> None:
        self.bad = False

    def __call__(self) -> bool:
        return not self.bad


def _outage(bus: RunEvents, probe: Switch, before: float, during: float, after: float) -> None:
    time.sleep(before)
    bus.emit(FaultInjected(time.monotonic() - ORIGIN, "dns.blank", "x.lab.test", ledger_id="f1"))
    probe.bad = True
    time.sleep(during)
    bus.emit(FaultReverted(time.monotonic() - ORIGIN, "dns.blank", "x.lab.test", True,
                           ledger_id="f1"))  # fmt: skip
    probe.bad = False
    time.sleep(after)


def _measured(probe: Switch, bus: RunEvents | None = None) -> Measurement:
    return Measurement(probe, hz=50, events=bus or RunEvents(), origin=ORIGIN)


def test_an_outage_between_the_fault_events_is_impact_and_then_recovery() -> None:
    probe, bus = Switch(), RunEvents()
    with _measured(probe, bus) as m:
        _outage(bus, probe, 0.2, 0.4, 0.3)
    metrics = m.metrics
    assert metrics["faults_injected"] == 1
    assert metrics["time_to_impact_s"] is not None and metrics["time_to_impact_s"] < 0.1
    assert metrics["recovered"] is True
    assert metrics["time_to_recover_from_revert_s"] < 0.1
    assert metrics["availability_during_fault"] < 0.2
    assert metrics["client_failures"] >= 10
    m.assert_recovered(within="1s")


def _relapse(down_s: float, up_s: float) -> Measurement:
    """A short outage, then the probe fails again after the revert for ``down_s`` and comes
    back for ``up_s``."""
    probe, bus = Switch(), RunEvents()
    with _measured(probe, bus) as m:
        _outage(bus, probe, 0.1, 0.1, 0.0)
        probe.bad = True
        time.sleep(down_s)
        probe.bad = False
        time.sleep(up_s)
    return m


def test_a_probe_that_stays_down_fails_assert_recovered_saying_what_it_saw() -> None:
    m = _relapse(0.3, 0.0)
    assert m.metrics["recovered"] is False
    with pytest.raises(AssertionError, match=r"did not recover: no 3 good probes in a row"):
        m.assert_recovered(within="5s")


def test_a_slow_recovery_is_refused_with_its_time() -> None:
    m = _relapse(0.3, 0.3)
    took = m.metrics["time_to_recover_from_revert_s"]
    assert 0.25 < took < 0.5
    with pytest.raises(
        AssertionError, match=r"recovered 0\.\d+s after the revert, not within 0.1s"
    ):
        m.assert_recovered(within="100ms")


def test_no_fault_nothing_to_recover_from() -> None:
    with Measurement(lambda: True, hz=50) as m:
        time.sleep(0.1)
    assert m.metrics["faults_injected"] == 0 and m.metrics["samples"] >= 3
    with pytest.raises(AssertionError, match="no fault was put in"):
        m.assert_recovered()


def test_a_probe_that_raises_is_a_failed_probe_and_the_report_says_so(tmp_path: Path) -> None:
    def broken() -> bool:
        raise ConnectionError("refused")

    with Measurement(broken, hz=50) as m:
        time.sleep(0.1)
    assert m.metrics["client_failures"] == m.metrics["samples"]
    report = m.write(tmp_path, "broken probe")
    assert "ConnectionError" in report.read_text()
    assert (tmp_path / "timeline.json").is_file()


def test_a_fault_after_the_block_is_not_marked() -> None:
    probe, bus = Switch(), RunEvents()
    with _measured(probe, bus) as m:
        time.sleep(0.05)
    bus.emit(FaultInjected(time.monotonic() - ORIGIN, "dns.blank", "x.lab.test"))
    assert m.marks == [] and m.metrics["faults_injected"] == 0


def test_the_measurement_is_a_run_directory_the_run_report_reads(tmp_path: Path) -> None:
    probe, bus = Switch(), RunEvents()
    with _measured(probe, bus) as m:
        _outage(bus, probe, 0.1, 0.3, 0.2)
    report = m.write(tmp_path, "tests/test_x.py::test_blank: dns.blank on x.lab.test")
    run = load_run(tmp_path)  # what `chaoskit report` reads
    (fault,) = run.journal.faults
    assert (fault.kind, fault.target, fault.verified) == ("dns.blank", "x.lab.test", True)
    assert 0.25 < fault.reverted_t - fault.injected_t < 0.4
    assert run.journal.held and run.journal.metrics["recovered"] is True
    assert len(run.timeline) == m.metrics["samples"]
    page = report.read_text()
    assert "dns.blank on x.lab.test" in page and "Time to recover" in page
    assert (tmp_path / "report.md").is_file()


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="hz"):
        Measurement(lambda: True, hz=0)
