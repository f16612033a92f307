"""Stop conditions on the sample stream: a breach must last ``for`` seconds, only counts in
the method and recovery, and trips once."""

from __future__ import annotations

from chaoskit.experiment.events import RunEvents, Sampled, StopConditionTripped
from chaoskit.experiment.model import StopCondition
from chaoskit.experiment.recorder import Sample
from chaoskit.experiment.stop_conditions import StopConditionWatch


def _sample(t: float, error_rate: float, requests: int = 10) -> Sample:
    return Sample(
        t=t, wall=t, phase="method", requests=requests, ok=requests, failures={},
        window_requests=requests, error_rate=error_rate, rps=10.0, p50_ms=1.0, p95_ms=2.0,
        p99_ms=3.0, dns_answer="", active_faults=1, good=error_rate == 0,
    )  # fmt: skip


def _watch(phase: str = "method") -> tuple[RunEvents, list[StopConditionTripped]]:
    bus = RunEvents()
    tripped: list[StopConditionTripped] = []
    bus.subscribe(tripped.append, StopConditionTripped)
    condition = StopCondition.model_validate(
        {"name": "errors", "metric": "error_rate", "above": 0.5, "for": 1.0}
    )
    StopConditionWatch([condition], bus, lambda: phase)
    return bus, tripped


def test_a_breach_that_lasts_trips_once_with_its_reason() -> None:
    bus, tripped = _watch()
    for i in range(30):
        bus.emit(Sampled(_sample(i * 0.1, 0.9)))
    (event,) = tripped
    assert event.t == 1.0 and event.name == "errors" and event.value == 0.9
    assert event.reason == "stop condition errors: error_rate 0.9 above 0.5 for 1s"


def test_a_breach_that_ends_in_time_starts_over() -> None:
    bus, tripped = _watch()
    for i in range(30):
        bus.emit(Sampled(_sample(i * 0.1, 0.0 if i % 8 == 7 else 0.9)))
    assert tripped == []


def test_no_requests_is_no_error_rate_and_warm_up_is_not_watched() -> None:
    bus, tripped = _watch()
    for i in range(30):
        bus.emit(Sampled(_sample(i * 0.1, 1.0, requests=0)))
    assert tripped == []
    bus, tripped = _watch(phase="warmup")
    for i in range(30):
        bus.emit(Sampled(_sample(i * 0.1, 0.9)))
    assert tripped == []
