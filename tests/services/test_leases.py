"""The lease queue's policies, on a fake clock (no I/O: the real fleet is in test_stack.py)."""

import asyncio
import random
from collections.abc import Callable

from chaoskit.lab.config import FleetSettings
from chaoskit.services.leases import LeaseQueue, RampLimiter
from chaoskit.services.resilience.settings import resolve_resilience
from tests.services.fakes import FakeClock

FLEET = FleetSettings(deadline_s=1.0)


def make(profile: str, clock: FakeClock, **overrides: object) -> LeaseQueue:
    return LeaseQueue(FLEET, resolve_resilience(profile, overrides), clock, random.Random(3))


def run_now(_delay: float, fn: Callable[[], None]) -> None:
    fn()


def test_naive_timeout_retries_while_the_old_item_stays_queued() -> None:
    clock = FakeClock()
    queue = make("naive", clock)
    queue.submit(1, "renew")
    clock.advance(1.5)
    queue.expire_overdue(run_now)
    assert len(queue) == 2  # the original is still there, and its retry
    assert queue.counts["timeouts"] == 1 and queue.counts["retries"] == 1
    first = asyncio.run(queue.take())
    assert first.attempt == 1
    assert queue.completed(first, True, run_now) == "late"  # its caller had given up


def test_naive_submits_one_request_per_heartbeat_even_when_one_is_outstanding() -> None:
    queue = make("naive", FakeClock())
    assert queue.submit(1, "renew") and queue.submit(1, "renew")
    assert len(queue) == 2


def test_naive_attempts_stop_at_max_attempts() -> None:
    clock = FakeClock()
    queue = make("naive", clock)
    queue.submit(1, "establish")
    for _ in range(5):
        clock.advance(1.1)
        queue.expire_overdue(run_now)
    assert len(queue) == 3
    assert queue.counts["gave_up"] == 1


def test_resilient_coalesces_requests_for_the_same_host() -> None:
    queue = make("resilient", FakeClock())
    assert queue.submit(1, "renew")
    assert not queue.submit(1, "renew")
    assert len(queue) == 1


def test_resilient_drops_expired_work_and_takes_fresh_work_first() -> None:
    clock = FakeClock()
    queue = make("resilient", clock)
    queue.submit(1, "renew")
    clock.advance(2.0)  # host 1's caller has given up
    queue.submit(2, "renew")
    clock.advance(0.1)
    queue.submit(3, "renew")
    taken = [asyncio.run(queue.take()).request.host for _ in range(2)]
    assert taken == [3, 2]  # LIFO
    assert len(queue) == 1
    assert queue.counts["expired"] == 0
    queue.submit(4, "renew")
    assert asyncio.run(queue.take()).request.host == 4
    clock.advance(5.0)
    queue.submit(5, "renew")
    assert asyncio.run(queue.take()).request.host == 5
    assert len(queue) == 1  # host 1 still queued until a worker reaches it...
    clock.advance(1.5)
    queue.submit(6, "renew")
    assert asyncio.run(queue.take()).request.host == 6
    done = asyncio.Event()

    async def take_with_timeout() -> None:
        try:
            await asyncio.wait_for(queue.take(), 0.05)
        except TimeoutError:
            done.set()

    asyncio.run(take_with_timeout())
    assert done.is_set() and queue.counts["expired"] == 1  # ...which drops it unprocessed


def test_resilient_bound_sheds_the_oldest() -> None:
    queue = make("resilient", FakeClock(), **{"queue.bound": 3})
    for host in range(5):
        queue.submit(host, "renew")
    assert len(queue) == 3
    assert queue.counts["overflow"] == 2


def test_drain_clears_everything() -> None:
    queue = make("naive", FakeClock())
    for host in range(10):
        queue.submit(host, "renew")
    assert queue.drain() == 10
    assert len(queue) == 0


def test_ramp_starts_slow_and_doubles_each_second() -> None:
    clock = FakeClock()
    ramp = RampLimiter(start_per_s=10, max_per_s=100, clock=clock)
    ramp.restart()
    granted = 0
    for _ in range(1010):  # a little over one second in 1 ms steps
        clock.advance(0.001)
        granted += ramp.take() == 0.0
    assert 9 <= granted <= 14
    assert ramp.rate == 20
    for _ in range(5):
        clock.advance(1.0)
        ramp.take()
    assert ramp.rate == 100
