"""The lease work queue of fleet: where congestive collapse happens, or does not.

Every host's lease is renewed by a heartbeat request. A request becomes queued work items;
workers take items and talk to DynamoDB. The caller of a request waits ``deadline_s`` for
each attempt; past that, the attempt has *timed out* and the caller may retry — whether or
not the old item is still in the queue. Work that completes after its caller gave up is
wasted: the lease is not granted.

``naive``: FIFO, unbounded, no TTL on queued work, one request per host per heartbeat,
immediate retries, and, when DynamoDB comes back, every lapsed lease re-established at once.
Once the queue delay passes the deadline, every attempt times out, is retried and queued
again, and arrivals outgrow the workers for good: a metastable collapse.

``resilient``: LIFO (fresh work first), bounded, expired work dropped unprocessed, at most
one request per host, retries with backoff inside a budget, and re-establishment
rate-limited from ``ramp_start_per_s`` doubling each second.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from chaoskit.lab.config import FleetSettings
from chaoskit.services.resilience.retry import RetryBudget, backoff_delay_s
from chaoskit.services.resilience.settings import Resilience

__all__ = ["LeaseQueue", "LeaseRequest", "RampLimiter", "WorkItem", "WorkKind", "sleep_ms"]

WorkKind = Literal["renew", "establish"]
Outcome = Literal["useful", "late", "failed", "expired", "overflow"]


@dataclass(eq=False)
class LeaseRequest:
    host: int
    kind: WorkKind
    attempts: int = 0
    done: bool = False


@dataclass(eq=False)
class WorkItem:
    request: LeaseRequest
    attempt: int
    enqueued_at: float
    deadline: float
    seq: int = field(default=0)


class RampLimiter:
    """A token bucket whose rate starts low after an outage and doubles every second."""

    def __init__(
        self, start_per_s: float, max_per_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.start_per_s = start_per_s
        self.max_per_s = max_per_s
        self._clock = clock
        self.rate = max_per_s
        self._tokens = 1.0
        self._last = clock()
        self._last_raise = self._last

    def restart(self) -> None:
        """Back to the starting rate: called when the dependency starts failing."""
        self.rate = self.start_per_s
        self._tokens = min(self._tokens, 1.0)
        self._last_raise = self._clock()

    def take(self) -> float:
        """0 if a token was taken now, else seconds to wait before asking again."""
        now = self._clock()
        if now - self._last_raise >= 1.0:
            self.rate = min(self.max_per_s, self.rate * 2)
            self._last_raise = now
        self._tokens = min(max(1.0, self.rate / 10), self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


class LeaseQueue:
    """The queue, the callers' deadlines and retries, and the counts the metrics show."""

    def __init__(
        self,
        fleet: FleetSettings,
        resilience: Resilience,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.fleet = fleet
        self.resilience = resilience
        self.policy = resilience.queue
        self._clock = clock
        self._rng = rng or random.Random()
        self._items: collections.deque[WorkItem] = collections.deque()
        self._deadlines: list[tuple[float, int, WorkItem]] = []
        self._seq = itertools.count()
        self._outstanding: dict[int, LeaseRequest] = {}
        self._available = asyncio.Event()
        retries = resilience.retries
        self.budget = RetryBudget(retries.budget_ratio, retries.budget_min_per_s)
        self.counts: collections.Counter[str] = collections.Counter()
        self.ramp = (
            RampLimiter(self.policy.ramp_start_per_s, self.policy.ramp_max_per_s)
            if self.policy.ramp_start_per_s is not None
            else None
        )

    def __len__(self) -> int:
        return len(self._items)

    def oldest_age_s(self) -> float:
        if not self._items:
            return 0.0
        return self._clock() - min(self._items[0].enqueued_at, self._items[-1].enqueued_at)

    def submit(self, host: int, kind: WorkKind) -> bool:
        """A new request for ``host``; False if coalesced into one already outstanding."""
        if self.policy.coalesce and host in self._outstanding:
            return False
        request = LeaseRequest(host, kind)
        self._outstanding[host] = request
        self.budget.deposit()
        self.counts["requests"] += 1
        self._enqueue(request)
        return True

    def _enqueue(self, request: LeaseRequest) -> None:
        request.attempts += 1
        now = self._clock()
        item = WorkItem(request, request.attempts, now, now + self.fleet.deadline_s)
        item.seq = next(self._seq)
        if self.policy.bound is not None and len(self._items) >= self.policy.bound:
            dropped = self._items.popleft()  # shed the oldest: it is the least likely useful
            self._finish(dropped.request, "overflow")
        self._items.append(item)
        heapq.heappush(self._deadlines, (item.deadline, item.seq, item))
        self._available.set()

    async def take(self) -> WorkItem:
        """The next item to work on: FIFO or LIFO; expired items dropped when work_ttl is on."""
        while True:
            while not self._items:
                self._available.clear()
                await self._available.wait()
            item = self._items.pop() if self.policy.order == "lifo" else self._items.popleft()
            if self.policy.work_ttl and self._clock() > item.deadline:
                self.counts["expired"] += 1
                continue
            return item

    def expire_overdue(self, schedule: Callable[[float, Callable[[], None]], object]) -> None:
        """Time out attempts whose caller stopped waiting; retry them as the policy says."""
        now = self._clock()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, _, item = heapq.heappop(self._deadlines)
            request = item.request
            if request.done or item.attempt != request.attempts:
                continue
            self.counts["timeouts"] += 1
            self._retry_or_fail(request, schedule)

    def completed(self, item: WorkItem, ok: bool, schedule: Callable[..., object]) -> Outcome:
        """Record a worker's result; returns what it was worth."""
        request = item.request
        if not ok:
            self.counts["failed"] += 1
            if not request.done and item.attempt == request.attempts:
                self._retry_or_fail(request, schedule)
            return "failed"
        if request.done or self._clock() > item.deadline:
            self.counts["late"] += 1  # the caller gave up on this attempt: wasted work
            return "late"
        self._finish(request, "useful")
        return "useful"

    def _retry_or_fail(
        self, request: LeaseRequest, schedule: Callable[[float, Callable[[], None]], object]
    ) -> None:
        retries = self.resilience.retries
        if retries.mode == "none" or request.attempts >= retries.max_attempts:
            self._finish(request, "gave_up")
            return
        if not self.budget.try_spend():
            self.counts["budget_exhausted"] += 1
            self._finish(request, "gave_up")
            return
        self.counts["retries"] += 1
        delay = backoff_delay_s(retries, request.attempts, self._rng)
        if delay <= 0:
            self._enqueue(request)
        else:
            schedule(delay, lambda: None if request.done else self._enqueue(request))

    def _finish(self, request: LeaseRequest, outcome: str) -> None:
        request.done = True
        self.counts[outcome] += 1
        if self._outstanding.get(request.host) is request:
            del self._outstanding[request.host]

    def drain(self) -> int:
        """Operator throttle: drop every queued item and outstanding request."""
        dropped = len(self._items)
        for item in self._items:
            item.request.done = True
        self._items.clear()
        self._deadlines.clear()
        self._outstanding.clear()
        return dropped


async def sleep_ms(ms: float, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    if ms > 0:
        await sleep(ms / 1000.0)
