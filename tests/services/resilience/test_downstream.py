import asyncio
import random

import pytest

from chaoskit.services.metrics import ServiceMetrics
from chaoskit.services.resilience.downstream import BreakerOpen, Dependency, DownstreamError
from chaoskit.services.resilience.settings import resolve_resilience


class Flaky:
    """Fails the first ``failures`` calls with ``kind``, then answers."""

    def __init__(self, failures: int, kind: str = "connect") -> None:
        self.failures = failures
        self.kind = kind
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise DownstreamError(self.kind)
        return "ok"


def metric(metrics: ServiceMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0


def make(profile: str, sleeps: list[float] | None = None, **overrides: object) -> Dependency:
    async def record_sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    settings = resolve_resilience(profile, overrides)
    return Dependency("db", settings, ServiceMetrics("test"), random.Random(1), record_sleep)


def test_immediate_retries_until_success_and_count_every_attempt() -> None:
    sleeps: list[float] = []
    dependency = make("naive", sleeps)
    flaky = Flaky(failures=2)
    assert asyncio.run(dependency.call(flaky)) == "ok"
    assert flaky.calls == 3
    assert sleeps == []
    m = dependency.metrics
    assert metric(m, "chaoskit_downstream_calls_total", dependency="db", outcome="connect") == 2
    assert metric(m, "chaoskit_downstream_calls_total", dependency="db", outcome="ok") == 1
    assert metric(m, "chaoskit_downstream_retries_total", dependency="db") == 2


def test_gives_up_after_max_attempts() -> None:
    dependency = make("naive", **{"retries.max_attempts": 4})
    flaky = Flaky(failures=10)
    with pytest.raises(DownstreamError, match="connect"):
        asyncio.run(dependency.call(flaky))
    assert flaky.calls == 4


def test_backoff_sleeps_between_attempts_within_bounds() -> None:
    sleeps: list[float] = []
    dependency = make("resilient", sleeps, **{"retries.base_ms": 100, "retries.budget_ratio": None})
    asyncio.run(dependency.call(Flaky(failures=2)))
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.1 and 0 <= sleeps[1] <= 0.2


def test_client_errors_are_not_retried() -> None:
    dependency = make("naive")
    flaky = Flaky(failures=5, kind="client")
    with pytest.raises(DownstreamError):
        asyncio.run(dependency.call(flaky))
    assert flaky.calls == 1


def test_budget_exhaustion_stops_retries() -> None:
    dependency = make(
        "resilient",
        **{"retries.budget_ratio": 0.5, "retries.budget_min_per_s": 0, "breaker.enabled": False},
    )
    calls = 0
    for _ in range(20):
        flaky = Flaky(failures=100)
        with pytest.raises(DownstreamError):
            asyncio.run(dependency.call(flaky))
        calls += flaky.calls
    # 20 requests may bring about 10 retries in all, not 40
    assert 20 <= calls <= 31
    exhausted = metric(dependency.metrics, "chaoskit_retry_budget_exhausted_total", dependency="db")
    assert exhausted >= 9


def test_open_breaker_refuses_without_calling() -> None:
    dependency = make("resilient", **{"retries.mode": "none", "breaker.failure_threshold": 3})
    for _ in range(3):
        with pytest.raises(DownstreamError):
            asyncio.run(dependency.call(Flaky(failures=1)))
    flaky = Flaky(failures=0)
    with pytest.raises(BreakerOpen):
        asyncio.run(dependency.call(flaky))
    assert flaky.calls == 0
    assert metric(dependency.metrics, "chaoskit_breaker_state", dependency="db") == 2


def test_timeout_is_a_retryable_failure() -> None:
    dependency = make("naive", **{"timeout_s": 0.05, "retries.max_attempts": 2})
    calls = 0

    async def hang() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(10)
        return "never"

    with pytest.raises(DownstreamError, match="timeout"):
        asyncio.run(dependency.call(hang))
    assert calls == 2


def test_a_call_cancelled_as_its_answer_arrives_is_cancelled() -> None:
    """The caller's cancellation wins even when the dependency answers in the same turn of the
    loop (Python 3.11's ``asyncio.wait_for`` returned the answer instead: a fleet worker then
    outlived its cancellation and the service its SIGTERM)."""

    async def scenario() -> None:
        answer = asyncio.Event()

        async def answered() -> str:
            await answer.wait()
            return "ok"

        call = asyncio.create_task(make("naive").call(answered))
        await asyncio.sleep(0)  # the call waits for its answer
        answer.set()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    asyncio.run(scenario())
