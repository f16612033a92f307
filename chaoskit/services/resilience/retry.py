"""Retry spacing (none, immediate, exponential backoff with full jitter) and a retry budget."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from chaoskit.services.resilience.settings import RetrySettings

__all__ = ["RetryBudget", "backoff_delay_s"]


def backoff_delay_s(settings: RetrySettings, retry_number: int, rng: random.Random) -> float:
    """Seconds to wait before retry ``retry_number`` (1 for the first retry).

    Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform draw
    from [0, min(cap, base * 2**(n-1))], so retries of many clients spread out.
    """
    if settings.mode != "backoff":
        return 0.0
    ceiling_ms = min(settings.cap_ms, settings.base_ms * 2 ** (retry_number - 1))
    return rng.uniform(0.0, ceiling_ms) / 1000.0


class RetryBudget:
    """Retries may be at most ``ratio`` of requests, plus ``min_per_s`` so rare callers can retry.

    A token bucket: each request deposits ``ratio`` tokens, time adds ``min_per_s``, and a
    retry spends one. Without a ratio the budget is unlimited.
    """

    def __init__(
        self,
        ratio: float | None,
        min_per_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ratio = ratio
        self.min_per_s = min_per_s
        self._clock = clock
        self._capacity = max(10.0, min_per_s * 10)
        self._tokens = min_per_s
        self._last = clock()

    def deposit(self) -> None:
        if self.ratio is not None:
            self._refill()
            self._tokens = min(self._capacity, self._tokens + self.ratio)

    def try_spend(self) -> bool:
        if self.ratio is None:
            return True
        self._refill()
        if self._tokens >= 1.0 - 1e-9:  # ten deposits of 0.1 make one retry
            self._tokens -= 1.0
            return True
        return False

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self.min_per_s)
        self._last = now
