"""A circuit breaker: closed, open after consecutive failures, half-open after a pause."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from chaoskit.services.resilience.settings import BreakerSettings

__all__ = ["BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]
STATE_GAUGE: dict[BreakerState, int] = {"closed": 0, "half_open": 1, "open": 2}


class CircuitBreaker:
    """Stops calls to a failing dependency, then lets a few probes through to test it.

    - closed: every call goes through; ``failure_threshold`` consecutive failures open it.
    - open: calls are refused without trying, for ``open_s``.
    - half-open: up to ``half_open_probes`` calls at once; a success closes the breaker,
      a failure opens it again for another ``open_s``.
    A disabled breaker is always closed.
    """

    def __init__(
        self,
        settings: BreakerSettings,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._on_change = on_change
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probes_in_flight = 0

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self._clock() - self._opened_at >= self.settings.open_s:
            self._move("half_open")
        return self._state

    def allow(self) -> bool:
        """Whether a call may go out now; a True in half-open takes a probe slot."""
        if not self.settings.enabled:
            return True
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and self._probes_in_flight < self.settings.half_open_probes:
            self._probes_in_flight += 1
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        if self._state != "closed":
            self._probes_in_flight = 0
            self._move("closed")

    def record_failure(self) -> None:
        if not self.settings.enabled:
            return
        if self._state == "half_open":
            self._open()
            return
        self._failures += 1
        if self._state == "closed" and self._failures >= self.settings.failure_threshold:
            self._open()

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._probes_in_flight = 0
        self._move("open")

    def _move(self, state: BreakerState) -> None:
        if state != self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)
