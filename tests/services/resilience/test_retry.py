import random

import pytest

from chaoskit.services.resilience.retry import RetryBudget, backoff_delay_s
from chaoskit.services.resilience.settings import RetrySettings
from tests.services.fakes import FakeClock

BACKOFF = RetrySettings(mode="backoff", base_ms=100, cap_ms=1000)


@pytest.mark.parametrize(("retry", "ceiling_s"), [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0)])
def test_full_jitter_stays_within_the_exponential_ceiling(retry: int, ceiling_s: float) -> None:
    rng = random.Random(7)
    delays = [backoff_delay_s(BACKOFF, retry, rng) for _ in range(2000)]
    assert min(delays) >= 0.0
    assert max(delays) <= ceiling_s + 1e-9
    # full jitter spreads retries over the whole interval, not around one point
    assert max(delays) > ceiling_s * 0.95
    assert min(delays) < ceiling_s * 0.05
    assert abs(sum(delays) / len(delays) - ceiling_s / 2) < ceiling_s * 0.05


@pytest.mark.parametrize("mode", ["none", "immediate"])
def test_no_wait_without_backoff(mode: str) -> None:
    settings = RetrySettings(mode=mode)  # type: ignore[arg-type]
    assert backoff_delay_s(settings, 3, random.Random()) == 0.0


def test_budget_allows_ratio_of_requests_then_refuses() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=0.1, min_per_s=0.0, clock=clock)
    for _ in range(50):
        budget.deposit()
    spent = sum(budget.try_spend() for _ in range(100))
    assert spent == 5
    assert not budget.try_spend()


def test_budget_refills_with_time_at_min_rate() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=0.1, min_per_s=2.0, clock=clock)
    while budget.try_spend():
        pass
    clock.advance(1.0)
    assert budget.try_spend()
    assert budget.try_spend()
    assert not budget.try_spend()


def test_no_ratio_means_unlimited() -> None:
    budget = RetryBudget(ratio=None)
    assert all(budget.try_spend() for _ in range(1000))
