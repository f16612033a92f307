"""The run's event bus: typed subscriptions, order, unsubscribing, and a failing subscriber
that is reported once and never stops the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.experiment.events import (
    FaultInjected,
    FaultReverted,
    PhaseChanged,
    ProbeResult,
    RunEvents,
    RunFinished,
    event_json,
)  # fmt: skip
from chaoskit.experiment.run_result import RunResult


def test_a_subscriber_gets_only_the_types_it_asked_for_in_order() -> None:
    bus = RunEvents()
    faults: list[object] = []
    everything: list[object] = []
    bus.subscribe(faults.append, FaultInjected, FaultReverted)
    bus.subscribe(everything.append)
    events = [
        PhaseChanged(0.5, "method", "warmup"),
        FaultInjected(1.0, "dns.blank", "x.lab.test"),
        ProbeResult("p", "method", 1.5, True, ""),
        FaultReverted(2.0, "dns.blank", "x.lab.test", True),
    ]
    for event in events:
        bus.emit(event)
    assert faults == [events[1], events[3]]
    assert everything == events


def test_unsubscribing_stops_the_events() -> None:
    bus = RunEvents()
    seen: list[object] = []
    stop = bus.subscribe(seen.append, PhaseChanged)
    bus.emit(PhaseChanged(0.0, "method", "setup"))
    stop()
    bus.emit(PhaseChanged(1.0, "recovery", "method"))
    assert len(seen) == 1


def test_a_failing_subscriber_is_reported_once_and_the_next_still_runs() -> None:
    errors: list[str] = []
    bus = RunEvents(on_error=errors.append)
    seen: list[object] = []

    def broken(event: object) -> None:
        raise RuntimeError("bug")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    for t in range(3):
        bus.emit(PhaseChanged(float(t), "method", "setup"))
    assert len(seen) == 3
    (message,) = errors
    assert "broken failed on PhaseChanged: RuntimeError: bug" in message


def test_only_run_events_can_be_subscribed_to() -> None:
    with pytest.raises(TypeError, match="not a run event"):
        RunEvents().subscribe(print, str)


def test_events_as_json_name_their_type() -> None:
    injected = FaultInjected(1.25, "toxiproxy.latency", "redis", {"latency": 200}, ledger_id="a")
    assert event_json(injected) == {
        "event": "FaultInjected", "t": 1.25, "kind": "toxiproxy.latency", "target": "redis",
        "params": {"latency": 200}, "step": None, "name": None, "ledger_id": "a",
        "revert_due_t": None, "expires_at": None,
    }  # fmt: skip
    result = RunResult("completed", "hypothesis held", True, 0, Path("r"), {"samples": 3})
    finished = event_json(RunFinished(9.0, result))
    assert finished["event"] == "RunFinished" and finished["held"] is True
    assert finished["metrics"] == {"samples": 3}
