from chaoskit.services.resilience.breaker import CircuitBreaker
from chaoskit.services.resilience.settings import BreakerSettings
from tests.services.fakes import FakeClock

SETTINGS = BreakerSettings(enabled=True, failure_threshold=3, open_s=2.0, half_open_probes=1)


def test_opens_after_threshold_consecutive_failures() -> None:
    breaker = CircuitBreaker(SETTINGS, FakeClock())
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_success()  # a success resets the count
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()


def test_half_opens_after_pause_and_lets_only_the_probes_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(SETTINGS, clock)
    for _ in range(3):
        breaker.record_failure()
    clock.advance(1.99)
    assert breaker.state == "open"
    clock.advance(0.02)
    assert breaker.state == "half_open"
    assert breaker.allow()
    assert not breaker.allow()  # one probe at a time


def test_half_open_success_closes_and_failure_reopens() -> None:
    clock = FakeClock()
    changes: list[str] = []
    breaker = CircuitBreaker(SETTINGS, clock, on_change=changes.append)
    for _ in range(3):
        breaker.record_failure()
    clock.advance(2.0)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.advance(2.0)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()
    assert changes == ["open", "half_open", "open", "half_open", "closed"]


def test_disabled_breaker_never_opens() -> None:
    breaker = CircuitBreaker(BreakerSettings(enabled=False, failure_threshold=1), FakeClock())
    for _ in range(10):
        breaker.record_failure()
    assert breaker.state == "closed"
    assert breaker.allow()
