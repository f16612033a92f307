"""Which targets serve: health-check thresholds, the velocity control and fail-open.

Pure logic, no I/O: the ``lb`` component feeds it check results and applies its decisions
to HAProxy and to DNS.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from chaoskit.services.resilience.settings import HealthCheckSettings, LoadBalancerSettings

__all__ = ["VELOCITY_WINDOW_S", "CapacityPolicy", "Decision", "HealthState", "TargetHealth"]

VELOCITY_WINDOW_S = 60.0
HealthState = Literal["initial", "healthy", "unhealthy"]


@dataclass
class TargetHealth:
    """One target's checks: healthy after ``healthy_threshold`` passes in a row, unhealthy
    after ``unhealthy_threshold`` failures in a row; ``initial`` until either."""

    state: HealthState = "initial"
    passes: int = 0
    failures: int = 0
    last_error: str = ""

    def record(self, ok: bool, settings: HealthCheckSettings, error: str = "") -> bool:
        """Count one check; True when the state changed."""
        before = self.state
        if ok:
            self.passes, self.failures = self.passes + 1, 0
            if self.passes >= settings.healthy_threshold:
                self.state = "healthy"
        else:
            self.failures, self.passes = self.failures + 1, 0
            self.last_error = error
            if self.failures >= settings.unhealthy_threshold:
                self.state = "unhealthy"
        return self.state != before


@dataclass(frozen=True)
class Decision:
    """What one round decided: the targets in service and how they got there."""

    in_service: frozenset[str]
    removed: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    """Unhealthy targets kept in service by the velocity control."""
    failed_open: bool = False


@dataclass
class CapacityPolicy:
    """Decides, round by round, which of ``targets`` serve."""

    targets: tuple[str, ...]
    settings: LoadBalancerSettings
    in_service: set[str] = field(default_factory=set)
    removals: deque[float] = field(default_factory=deque)
    failed_open: bool = False

    def removal_allowance(self, now: float) -> int | None:
        """How many more targets health checks may take out now (None: no limit)."""
        share = self.settings.max_removed_share_per_min
        if share is None:
            return None
        while self.removals and self.removals[0] <= now - VELOCITY_WINDOW_S:
            self.removals.popleft()
        cap = max(1, math.floor(share * len(self.targets) + 1e-9))
        return max(0, cap - len(self.removals))

    def decide(self, health: dict[str, HealthState], now: float) -> Decision:
        """One round: targets that passed go back at once; targets that failed come out,
        as many as the velocity control allows; below the fail-open share, all serve."""
        healthy = [t for t in self.targets if health.get(t) == "healthy"]
        threshold = self.settings.fail_open_below
        self.failed_open = threshold is not None and len(healthy) < threshold * len(self.targets)
        if self.failed_open:
            restored = tuple(t for t in self.targets if t not in self.in_service)
            self.in_service = set(self.targets)
            return Decision(frozenset(self.in_service), restored=restored, failed_open=True)
        restored = tuple(t for t in healthy if t not in self.in_service)
        self.in_service.update(restored)
        failing = [t for t in self.targets
                   if health.get(t) == "unhealthy" and t in self.in_service]  # fmt: skip
        allowance = self.removal_allowance(now)
        removed = failing if allowance is None else failing[:allowance]
        for target in removed:
            self.in_service.discard(target)
            self.removals.append(now)
        held = tuple(t for t in failing if t not in removed)
        return Decision(frozenset(self.in_service), tuple(removed), restored, held)

    def capacity_removed(self) -> float:
        """The share of the targets out of service now."""
        return 1 - len(self.in_service) / len(self.targets) if self.targets else 0.0
