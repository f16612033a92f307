"""A team's own tests with chaoskit's pytest plugin: the sample gateway under a DNS blank of
its database's name and under a slow database.

    pytest examples/pytest                          # brings the sample lab up, then down
    pytest examples/pytest -n 2 --dist loadgroup    # two workers on one lab

The two faulted tests act on one dependency (DynamoDB us-east-1) through two targets (its
DNS name, its proxy): chaoskit refuses two faults on one *target* at once, but only you know
that two targets are one dependency, so they share an xdist group and never overlap.
"""

from __future__ import annotations

import time

import httpx
import pytest

from chaoskit.pytest_plugin import Chaos

ORDER = {"item": "widget", "quantity": 1}


@pytest.fixture
def order_url(chaos: Chaos) -> str:
    created = httpx.post(chaos.url("gateway") + "/orders", json=ORDER, timeout=10)
    assert created.status_code == 201, created.text
    return chaos.url("gateway") + f"/orders/{created.json()['id']}"


@pytest.mark.xdist_group("dynamodb-us-east-1")
def test_reads_fail_under_a_blank_and_recover_once_it_is_lifted(
    chaos: Chaos, order_url: str
) -> None:
    with chaos.measure(order_url, hz=20) as measured:
        time.sleep(0.5)
        with chaos.fault("dns.blank", "dynamodb.us-east-1.lab.test", duration="10s"):
            time.sleep(2.0)
        time.sleep(3.0)
    assert measured.metrics["availability_during_fault"] < 0.5  # naive: no stale answers
    measured.assert_recovered(within="3s")


@pytest.mark.xdist_group("dynamodb-us-east-1")
@pytest.mark.chaos(
    fault="toxiproxy.latency", target="dynamodb-us-east-1", duration="30s", latency=300
)
def test_a_slow_database_slows_reads_but_they_succeed(order_url: str) -> None:
    started = time.monotonic()
    answer = httpx.get(order_url, timeout=10)
    assert answer.status_code == 200, answer.text
    assert time.monotonic() - started >= 0.3


def test_the_gateway_serves_without_faults(chaos: Chaos) -> None:
    assert httpx.get(chaos.url("gateway") + "/health", timeout=5).status_code == 200
