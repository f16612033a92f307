"""fleet's two starts on the real lab: ``leased`` (what the lab uses whenever it starts fleet
itself) is the state a ``cold`` start reaches once it has established every lease, minus
the work of getting there; and a fleet that died comes back cold."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import httpx
import pytest

from chaoskit.lab import LocalLab
from chaoskit.lab.clients import dynamodb_client
from chaoskit.lab.health import wait_until
from chaoskit.lab.process import is_running

pytestmark = pytest.mark.lab


def _leases(lab: LocalLab) -> dict[str, Any]:
    summary: dict[str, Any] = httpx.get(f"http://{lab.config.services.fleet}/leases").json()
    return summary


def _lease_table(lab: LocalLab) -> dict[str, tuple[str, float]]:
    """The lease table read from DynamoDB directly: owner and expiry by host."""
    region = lab.config.region("us-east-1")
    client = dynamodb_client(f"http://{region.server}", "us-east-1")
    items = client.scan(TableName="fleet-leases")["Items"]
    return {i["id"]["S"]: (i["owner"]["S"], float(i["expires_at"]["N"])) for i in items}


def _every_host_leased(lab: LocalLab, summary: dict[str, Any]) -> None:
    hosts = summary["hosts"]
    # held by every host, nothing backlogged (a few renewals may be queued at any time)
    backlog = 2 * lab.config.fleet.workers
    assert summary["leases_held"] == hosts and summary["queue_depth"] < backlog, summary
    table = _lease_table(lab)
    assert sorted(table) == [f"host-{h:05d}" for h in range(hosts)]
    now = time.time()
    assert all(owner == "fleet" and expiry > now for owner, expiry in table.values()), table


def _settled(lab: LocalLab) -> dict[str, Any]:
    """The fleet's summary once every host holds a lease and the start's work is done."""
    found: dict[str, Any] = {}

    def every_lease_held() -> bool:
        found.update(_leases(lab))
        backlog = 2 * lab.config.fleet.workers
        return bool(found["leases_held"] == found["hosts"] and found["queue_depth"] < backlog)

    assert wait_until(every_lease_held, 20, interval_s=0.1), found
    return found


def _launches(lab: LocalLab) -> None:
    answer = httpx.post(f"http://{lab.config.services.fleet}/launch", timeout=5)
    assert answer.status_code == 201, answer.text


def test_a_leased_start_is_where_a_cold_start_arrives(lab: LocalLab) -> None:
    record = lab.state.components["fleet"]
    os.kill(record.pid, signal.SIGKILL)  # fleet dies: the lab brings it back cold
    assert wait_until(lambda: not is_running(record.pid, record.create_time), 5)
    lab.up()  # at once: the dead fleet's port is still held for a few ms (lab/ports.py)
    cold_at_health = _leases(lab)
    # it got there through its queue: at least half the fleet established, lease by lease
    assert cold_at_health["work"]["useful"] * 2 >= cold_at_health["hosts"], cold_at_health
    cold = _settled(lab)
    _every_host_leased(lab, cold)
    _launches(lab)

    lab.stop_services()  # the lab starts fleet itself: leased
    lab.up()
    leased = _leases(lab)
    _every_host_leased(lab, leased)  # at once, not through its queue (only renewals so far)
    assert leased["work"].get("useful", 0) < leased["hosts"], leased
    _launches(lab)
    same = ("service", "profile", "hosts", "leases_held")
    assert {k: leased[k] for k in same} == {k: cold[k] for k in same}
