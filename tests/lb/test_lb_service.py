"""The load balancer's control plane (``lb``) against the real HAProxy and DNS server: it
takes targets out and puts them back as its thresholds say, caps how much capacity it
removes, fails open, and keeps the LB's name at the nodes that serve."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dns.message
import dns.query
import dns.rcode
import pytest

from chaoskit.lab.health import wait_until
from chaoskit.lb.haproxy import HaproxyRuntime
from tests.lb.fixtures import ControlPlane, LabDns, Target, lb_config

# xdist: the load balancer's addresses on 127.0.27, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.27")

StartLb = Callable[..., ControlPlane]


Summary = dict[str, Any]


def _watch(
    plane: ControlPlane, until: Callable[[Summary], bool], timeout_s: float = 10
) -> list[Summary]:
    """The control plane's summaries, read every 20 ms until ``until`` holds for one."""
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seen.append(plane.summary())
        if until(seen[-1]):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"not reached in {timeout_s}s; last: {seen[-1]}")


def _lb_addresses(lab_dns: LabDns) -> list[str] | str:
    """The A records of the LB's name, or the rcode when there are none."""
    config = lab_dns.config
    query = dns.message.make_query(config.lb.record, "A")
    reply = dns.query.udp(query, config.dns.host, port=config.dns.port, timeout=2)
    found = sorted(rr.address for rrset in reply.answer for rr in rrset)
    return found or dns.rcode.to_text(reply.rcode())


def test_removal_and_restoration_follow_the_thresholds(
    start_lb: StartLb, targets: dict[str, Target], haproxy: HaproxyRuntime
) -> None:
    plane = start_lb(**{
        "lb.health_check.unhealthy_threshold": 3, "lb.health_check.healthy_threshold": 2,
    })  # fmt: skip
    _watch(plane, lambda s: all(t["health"] == "healthy" for t in s["targets"].values()))
    targets["gateway-2"].ready = False
    seen = _watch(plane, lambda s: not s["targets"]["gateway-2"]["in_service"])
    removed_at = [s["targets"]["gateway-2"] for s in seen]
    assert all(t["failures"] >= 3 for t in removed_at if not t["in_service"])
    assert any(0 < t["failures"] < 3 and t["in_service"] for t in removed_at), "never saw 1-2"
    assert haproxy.in_service() == {"gateway", "gateway-3"}

    targets["gateway-2"].ready = True
    seen = _watch(plane, lambda s: s["targets"]["gateway-2"]["in_service"])
    assert seen[-1]["targets"]["gateway-2"]["passes"] >= 2
    assert any(s["targets"]["gateway-2"]["passes"] == 1 for s in seen), "restored on 1 pass"
    assert haproxy.in_service() == set(targets)
    assert plane.metric("lb_removals_total") == 1
    assert plane.metric("lb_restorations_total") == 1


def test_the_velocity_cap_holds_when_every_target_fails_at_once(
    start_lb: StartLb, targets: dict[str, Target], haproxy: HaproxyRuntime
) -> None:
    plane = start_lb(**{"lb.max_removed_share_per_min": 0.34})  # one target of three a minute
    _watch(plane, lambda s: all(t["health"] == "healthy" for t in s["targets"].values()))
    for target in targets.values():
        target.ready = False
    _watch(plane, lambda s: len(plane.in_service()) < 3)
    deadline = time.monotonic() + 2.0  # ten rounds, each wanting to remove the other two
    while time.monotonic() < deadline:
        summary = plane.summary()
        assert sum(t["in_service"] for t in summary["targets"].values()) == 2, summary
        assert all(t["health"] != "healthy" for t in summary["targets"].values())
        time.sleep(0.05)
    assert len(haproxy.in_service()) == 2
    assert plane.metric("lb_removals_total") == 1
    assert plane.metric("lb_removals_held_total") >= 10
    assert plane.metric("lb_capacity_removed") == pytest.approx(1 / 3)
    assert plane.summary()["removal_allowance"] == 0


def test_fail_open_engages_at_the_threshold_and_ends_when_targets_recover(
    start_lb: StartLb, targets: dict[str, Target], haproxy: HaproxyRuntime
) -> None:
    plane = start_lb(**{"lb.fail_open_below": 0.5})
    _watch(plane, lambda s: all(t["health"] == "healthy" for t in s["targets"].values()))
    targets["gateway-3"].ready = False  # two of three healthy: above the threshold
    _watch(plane, lambda s: not s["targets"]["gateway-3"]["in_service"])
    assert not plane.summary()["failed_open"]
    assert haproxy.in_service() == {"gateway", "gateway-2"}

    targets["gateway-2"].ready = False  # one of three: below half, so every target serves
    summary = _watch(plane, lambda s: s["failed_open"])[-1]
    assert all(t["in_service"] for t in summary["targets"].values())
    assert wait_until(lambda: haproxy.in_service() == set(targets), 2)
    assert plane.metric("lb_failed_open") == 1

    targets["gateway-2"].ready = targets["gateway-3"].ready = True
    summary = _watch(plane, lambda s: not s["failed_open"])[-1]
    assert all(t["in_service"] for t in summary["targets"].values())
    assert haproxy.in_service() == set(targets)
    assert plane.metric("lb_failed_open") == 0
    assert plane.metric("lb_failed_open_seconds_total") > 0


def test_the_lb_name_follows_the_nodes_with_a_target_in_service(
    start_lb: StartLb, targets: dict[str, Target], lab_dns: LabDns
) -> None:
    nodes = [n.host for n in lb_config().lb.nodes]  # gateway in zone 0, gateway-2 in 1...
    plane = start_lb()
    _watch(plane, lambda s: s["nodes_in_dns"] == nodes)
    assert _lb_addresses(lab_dns) == nodes
    targets["gateway-2"].ready = False
    _watch(plane, lambda s: s["nodes_in_dns"] == [nodes[0], nodes[2]])
    assert _lb_addresses(lab_dns) == [nodes[0], nodes[2]]
    for target in targets.values():  # naive: no fail-open, so the name goes
        target.ready = False
    _watch(plane, lambda s: s["nodes_in_dns"] == [])
    assert _lb_addresses(lab_dns) == "NXDOMAIN"
    for target in targets.values():
        target.ready = True
    _watch(plane, lambda s: s["nodes_in_dns"] == nodes)
    assert _lb_addresses(lab_dns) == nodes


def test_the_profiles_check_deep_or_shallow(start_lb: StartLb, targets: dict[str, Target]) -> None:
    """Naive checks /health/deep (its dependencies too), resilient only /health."""
    for target in targets.values():
        target.ready = False  # dependencies down, processes serving
    naive = start_lb("naive")
    _watch(naive, lambda s: all(t["health"] == "unhealthy" for t in s["targets"].values()))
    naive.process.terminate()
    naive.process.wait(timeout=10)
    resilient = start_lb("resilient")
    summary = _watch(
        resilient, lambda s: all(t["health"] == "healthy" for t in s["targets"].values())
    )[-1]
    assert all(t["in_service"] for t in summary["targets"].values())


def test_a_restarted_control_plane_takes_over_what_haproxy_serves(
    start_lb: StartLb, targets: dict[str, Target], haproxy: HaproxyRuntime
) -> None:
    haproxy.set_in_service("gateway-3", False)  # as a control plane before it left it
    targets["gateway-3"].ready = False
    plane = start_lb()
    summary = _watch(plane, lambda s: s["rounds"] >= 3)[-1]
    assert not summary["targets"]["gateway-3"]["in_service"]
    assert plane.metric("lb_restorations_total") == 0  # gateway-3 never put back on a whim
    assert haproxy.in_service() == {"gateway", "gateway-2"}
