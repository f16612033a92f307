"""The service resolver against the real lab DNS server (tests/dns/fixtures.py)."""

import asyncio

import pytest

from chaoskit.services.metrics import ServiceMetrics
from chaoskit.services.resilience.resolver import DnsFailure, StaleServingResolver
from chaoskit.services.resilience.settings import DnsSettings
from tests.dns.fixtures import DnsServer

NAME = "www.zone.test."


def resolver(server: DnsServer, **settings: object) -> StaleServingResolver:
    return StaleServingResolver(
        server.host,
        server.port,
        DnsSettings(**settings),
        ServiceMetrics("test"),  # type: ignore[arg-type]
    )


def lookups(r: StaleServingResolver, result: str) -> float:
    return (
        r._metrics.registry.get_sample_value(  # type: ignore[union-attr]
            "chaoskit_dns_lookups_total", {"result": result}
        )
        or 0.0
    )


def test_without_cache_a_blank_record_fails_the_next_lookup(server: DnsServer) -> None:
    r = resolver(server)
    assert asyncio.run(r.address(NAME)) == "127.0.0.10"
    with server.admin() as admin:
        admin.add_fault("blank", NAME, duration_s=30)
    with pytest.raises(DnsFailure) as failure:
        asyncio.run(r.address(NAME))
    assert failure.value.reason == "empty"
    assert lookups(r, "failure") == 1


def test_serve_stale_answers_with_last_good_address(server: DnsServer) -> None:
    r = resolver(server, serve_stale=True, stale_refresh_s=0)
    assert asyncio.run(r.address(NAME)) == "127.0.0.10"
    with server.admin() as admin:
        admin.add_fault("blank", NAME, duration_s=30)
    assert asyncio.run(r.address(NAME)) == "127.0.0.10"
    with server.admin() as admin:
        admin.lift_all()
        admin.add_fault("servfail", NAME, duration_s=30)
    assert asyncio.run(r.address(NAME)) == "127.0.0.10"
    assert lookups(r, "stale") == 2


def test_serve_stale_has_nothing_to_serve_before_a_good_answer(server: DnsServer) -> None:
    r = resolver(server, serve_stale=True)
    with server.admin() as admin:
        admin.add_fault("nxdomain", NAME, duration_s=30)
    with pytest.raises(DnsFailure, match="nxdomain"):
        asyncio.run(r.address(NAME))


def test_cache_honours_ttl_floor(server: DnsServer) -> None:
    r = resolver(server, cache=True, ttl_floor_s=60)
    assert asyncio.run(r.address(NAME)) == "127.0.0.10"
    with server.admin() as admin:
        admin.add_fault("wrong_ip", NAME, duration_s=30, address="127.0.0.99")
    assert asyncio.run(r.address(NAME)) == "127.0.0.10"  # still fresh in the cache
    assert lookups(r, "hit") == 1
    fresh = resolver(server, cache=True)
    assert asyncio.run(fresh.address(NAME)) == "127.0.0.99"


def test_dropped_query_is_a_timeout(server: DnsServer) -> None:
    r = resolver(server, timeout_s=0.3)
    with server.admin() as admin:
        admin.add_fault("drop", NAME, duration_s=30)
    with pytest.raises(DnsFailure, match="timeout"):
        asyncio.run(r.address(NAME))
