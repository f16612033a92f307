"""The sample services on the real lab: DNS server, Toxiproxy, DynamoDB Local.

Figures these tests measure are printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chaoskit.lab import LocalLab
from chaoskit.lab.health import wait_until
from chaoskit.services.resilience.settings import ServiceProfile

pytestmark = pytest.mark.lab

NAIVE = ServiceProfile()


@pytest.fixture
def stack(lab: LocalLab) -> Iterator[LocalLab]:
    """The session lab; afterwards every fault is lifted and every service is naive again."""
    yield lab
    with lab.dns_admin() as admin:
        admin.lift_all()
    lab.toxiproxy().reset()
    names = ("orders", "fleet", "status", "gateway")
    lab.up(profiles=dict.fromkeys(names, NAIVE))
    lab.restart("fleet")  # a collapsed naive fleet stays collapsed: start it afresh


def url(lab: LocalLab, service: str, path: str) -> str:
    return f"http://{lab.config.services.of(service)}{path}"


def metric(lab: LocalLab, service: str, name: str, **labels: str) -> float:
    text = httpx.get(url(lab, service, "/metrics")).text
    wanted = name + (
        "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else ""
    )
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    return 0.0


def _failed_deep_health_probes(lab: LocalLab) -> float:
    """Probes of orders' /health/deep that it answered with an error (DynamoDB unreachable)."""
    return metric(lab, "orders", "chaoskit_requests_total", route="/health/deep", outcome="error")


@contextlib.contextmanager
def dns_fault(lab: LocalLab, kind: str, name: str, **params: Any) -> Iterator[None]:
    with lab.dns_admin() as admin:
        admin.add_fault(kind, name, duration_s=120, **params)
    try:
        yield
    finally:
        with lab.dns_admin() as admin:
            admin.lift_all()


@contextlib.contextmanager
def dynamodb_unreachable(lab: LocalLab, region: str = "us-east-1") -> Iterator[None]:
    toxi = lab.toxiproxy()
    toxi.set_enabled(f"dynamodb-{region}", False)
    try:
        yield
    finally:
        toxi.set_enabled(f"dynamodb-{region}", True)


def east_record(lab: LocalLab) -> str:
    return lab.config.region("us-east-1").record


def create_order(lab: LocalLab, via: str = "orders") -> httpx.Response:
    return httpx.post(url(lab, via, "/orders"), json={"item": "widget", "quantity": 1}, timeout=10)


def test_blank_record_fails_naive_orders_at_once_with_retries_amplified(stack: LocalLab) -> None:
    order = create_order(stack, via="gateway")
    assert order.status_code == 201
    before_calls = metric(stack, "orders", "chaoskit_downstream_calls_total",
                          dependency="dynamodb-us-east-1", outcome="dns")  # fmt: skip
    before_probes = _failed_deep_health_probes(stack)
    with dns_fault(stack, "blank", east_record(stack)):
        started = time.monotonic()
        answer = httpx.get(url(stack, "gateway", f"/orders/{order.json()['id']}"), timeout=10)
        elapsed = time.monotonic() - started
    assert answer.status_code == 503
    assert answer.json()["error"] == "dns"
    assert elapsed < 1.0  # no waiting: the name resolves to nothing
    dns_calls = metric(stack, "orders", "chaoskit_downstream_calls_total",
                       dependency="dynamodb-us-east-1", outcome="dns") - before_calls  # fmt: skip
    # the status service probes orders' deep health every second; a probe that lands inside
    # the fault fails after its own 3 naive attempts (one before or after it succeeds and
    # adds none, so only the failed ones count)
    probes = _failed_deep_health_probes(stack) - before_probes
    # the gateway retried orders 3 times, and orders tried DynamoDB 3 times for each
    assert dns_calls == 9 + 3 * probes
    print(f"\nnaive orders under blank: 503 in {elapsed * 1000:.0f} ms, 9 DynamoDB attempts")


def test_serve_stale_keeps_orders_serving_through_a_blank_record(stack: LocalLab) -> None:
    stale_only = ServiceProfile(
        profile="resilient", overrides={"dns.cache": False, "multi_region.enabled": False}
    )
    stack.up(profiles={"orders": stale_only})
    order = create_order(stack)
    assert order.status_code == 201
    with dns_fault(stack, "blank", east_record(stack)):
        for _ in range(5):
            assert (
                httpx.get(url(stack, "orders", f"/orders/{order.json()['id']}")).status_code == 200
            )
            assert create_order(stack).status_code == 201
            time.sleep(0.3)
    assert metric(stack, "orders", "chaoskit_dns_lookups_total", result="stale") >= 2


def test_breaker_opens_fails_fast_then_closes_after_recovery(stack: LocalLab) -> None:
    breaker_only = ServiceProfile(
        profile="resilient",
        overrides={"multi_region.enabled": False, "degrade.cached_reads": False},
    )
    stack.up(profiles={"orders": breaker_only})
    gauge = {"dependency": "dynamodb-us-east-1"}
    with dynamodb_unreachable(stack):
        for _ in range(6):
            httpx.get(url(stack, "orders", "/orders/missing"))
        assert metric(stack, "orders", "chaoskit_breaker_state", **gauge) == 2
        started = time.monotonic()
        refused = httpx.get(url(stack, "orders", "/orders/missing"))
        assert refused.json()["error"] == "breaker_open"
        assert time.monotonic() - started < 0.2
    time.sleep(2.1)  # open_s: the next call is a half-open probe
    # the probe is ours or the status page's (it asks orders' /health/deep every second,
    # through the same breaker): while its probe is out ours is refused, and then answered
    deadline = time.monotonic() + 1.0
    answer = httpx.get(url(stack, "orders", "/orders/missing"))
    while answer.status_code != 404 and time.monotonic() < deadline:
        assert answer.json()["error"] == "breaker_open"
        time.sleep(0.05)
        answer = httpx.get(url(stack, "orders", "/orders/missing"))
    assert answer.status_code == 404
    assert metric(stack, "orders", "chaoskit_breaker_state", **gauge) == 0


def launch_success(lab: LocalLab, seconds: float) -> float:
    ok = total = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        total += 1
        ok += httpx.post(url(lab, "gateway", "/launch"), timeout=5).status_code == 201
        time.sleep(0.05)
    return ok / total


def outage_then_recovery(lab: LocalLab, outage_s: float, observe_s: float) -> list[float]:
    """Launch success per second for ``observe_s`` seconds after ``outage_s`` of no DynamoDB."""
    assert wait_until(lambda: launch_success(lab, 0.3) == 1.0, 10)
    with dynamodb_unreachable(lab):
        time.sleep(outage_s)
    return [launch_success(lab, 1.0) for _ in range(int(observe_s))]


def test_naive_fleet_collapses_and_stays_down_after_dynamodb_returns(stack: LocalLab) -> None:
    per_second = outage_then_recovery(stack, outage_s=6, observe_s=15)
    leases = httpx.get(url(stack, "fleet", "/leases")).json()
    print(f"\nnaive fleet launch success per second after recovery: {per_second}")
    print(f"naive fleet 15 s after recovery: {leases}")
    # leases come back for a moment, then the retried backlog buries them: from 5 s after
    # recovery on, launches keep failing although DynamoDB is healthy
    assert max(per_second[5:]) < 0.05
    assert leases["leases_held"] == 0
    assert leases["work"]["late"] > 0  # work done after its caller gave up
    assert leases["queue_oldest_age_s"] > 5


def test_resilient_fleet_recovers_within_bounded_time(stack: LocalLab) -> None:
    stack.up(profiles={"fleet": ServiceProfile(profile="resilient")})
    per_second = outage_then_recovery(stack, outage_s=6, observe_s=8)
    print(f"\nresilient fleet launch success per second after recovery: {per_second}")
    first_good = next(i for i, rate in enumerate(per_second) if rate >= 0.9)
    assert first_good <= 3
    assert min(per_second[first_good:]) >= 0.9
    leases = httpx.get(url(stack, "fleet", "/leases")).json()
    assert leases["leases_held"] == leases["hosts"]


def test_failover_keeps_orders_writable_while_us_east_1_is_blanked(stack: LocalLab) -> None:
    failover_only = ServiceProfile(
        profile="resilient", overrides={"dns.cache": False, "dns.serve_stale": False}
    )
    stack.up(profiles={"orders": failover_only})
    with dns_fault(stack, "blank", east_record(stack)):
        assert wait_until(lambda: create_order(stack).json().get("region") == "us-west-2", 10)
        written = [create_order(stack) for _ in range(10)]
        assert all(w.status_code == 201 and w.json()["region"] == "us-west-2" for w in written)
    health = url(stack, "orders", "/health")
    assert wait_until(lambda: httpx.get(health).json()["active_region"] == "us-east-1", 15)
    assert wait_until(lambda: metric(stack, "orders", "chaoskit_replication_backlog") == 0, 15)
    # written in us-west-2 during the failover, read back from us-east-1 after it
    for w in written:
        answer = httpx.get(url(stack, "orders", f"/orders/{w.json()['id']}"))
        assert answer.status_code == 200 and answer.json()["region"] == "us-west-2"


def status_of(lab: LocalLab) -> dict[str, Any]:
    return dict(httpx.get(url(lab, "status", "/status"), timeout=10).json())


def test_status_page_misreports_while_its_dependency_is_down(stack: LocalLab) -> None:
    assert wait_until(lambda: status_of(stack)["overall"] == "operational", 10)
    with dns_fault(stack, "blank", east_record(stack)):
        time.sleep(2.5)
        deep = httpx.get(url(stack, "gateway", "/health/deep"))
        assert deep.status_code == 503
        page = status_of(stack)
        assert page["overall"] == "operational"  # the lie
        assert page["components"]["orders"]["state"] == "operational"
    stack.up(profiles={"status": ServiceProfile(profile="resilient")})
    with dns_fault(stack, "blank", east_record(stack)):
        assert wait_until(lambda: status_of(stack)["components"]["orders"]["state"] == "outage", 10)
        page = status_of(stack)
        assert page["overall"] != "operational"
        assert page["source"] == "probes"
