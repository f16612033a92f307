"""One dependency as a service sees it: every call timed out, retried, and behind a breaker."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from chaoskit.services.metrics import ServiceMetrics
from chaoskit.services.resilience.breaker import STATE_GAUGE, BreakerState, CircuitBreaker
from chaoskit.services.resilience.retry import RetryBudget, backoff_delay_s
from chaoskit.services.resilience.settings import Resilience

__all__ = ["BreakerOpen", "Dependency", "DownstreamError"]

T = TypeVar("T")


class DownstreamError(Exception):
    """A failed call. ``kind``: dns, connect, timeout, throttled, server, client, breaker_open.

    Client errors (the request itself was wrong, or a condition failed) are not retried and do
    not count against the dependency's health.
    """

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail

    @property
    def retryable(self) -> bool:
        return self.kind not in ("client", "breaker_open")


class BreakerOpen(DownstreamError):
    def __init__(self, dependency: str) -> None:
        super().__init__("breaker_open", f"{dependency} breaker is open")


class Dependency:
    """Calls ``fn`` with the profile's timeout, retries, retry budget and circuit breaker."""

    def __init__(
        self,
        name: str,
        settings: Resilience,
        metrics: ServiceMetrics,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self.settings = settings
        self.metrics = metrics
        self._rng = rng or random.Random()
        self._sleep = sleep
        self.breaker = CircuitBreaker(settings.breaker, on_change=self._breaker_changed)
        retries = settings.retries
        self.budget = RetryBudget(retries.budget_ratio, retries.budget_min_per_s)
        metrics.breaker_state.labels(name).set(0)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        retries = self.settings.retries
        self.budget.deposit()
        attempt = 1
        while True:
            if not self.breaker.allow():
                self.metrics.breaker_rejections.labels(self.name).inc()
                raise BreakerOpen(self.name)
            try:
                async with asyncio.timeout(self.settings.timeout_s):
                    result = await fn()
            except TimeoutError:
                error = DownstreamError("timeout", f"no answer within {self.settings.timeout_s}s")
            except DownstreamError as exc:
                error = exc
            else:
                self.breaker.record_success()
                self.metrics.downstream_calls.labels(self.name, "ok").inc()
                return result
            self.metrics.downstream_calls.labels(self.name, error.kind).inc()
            if not error.retryable:
                self.breaker.record_success()  # the dependency answered
                raise error
            self.breaker.record_failure()
            if retries.mode == "none" or attempt >= retries.max_attempts:
                raise error
            if not self.budget.try_spend():
                self.metrics.retry_budget_exhausted.labels(self.name).inc()
                raise error
            delay = backoff_delay_s(retries, attempt, self._rng)
            if delay > 0:
                await self._sleep(delay)
            attempt += 1
            self.metrics.downstream_retries.labels(self.name).inc()

    def _breaker_changed(self, state: BreakerState) -> None:
        self.metrics.breaker_state.labels(self.name).set(STATE_GAUGE[state])
