"""The load balancer's decisions: thresholds, the velocity control and fail-open."""

from __future__ import annotations

import pytest

from chaoskit.lb.policy import VELOCITY_WINDOW_S, CapacityPolicy, HealthState, TargetHealth
from chaoskit.services.resilience.settings import HealthCheckSettings, LoadBalancerSettings

TARGETS = ("a", "b", "c")


def test_a_target_turns_unhealthy_only_after_the_threshold_of_failures_in_a_row() -> None:
    settings = HealthCheckSettings(unhealthy_threshold=3, healthy_threshold=2)
    health = TargetHealth()
    assert [health.record(ok, settings) for ok in (True, True)] == [False, True]
    assert health.state == "healthy"
    health.record(False, settings, "HTTP 503")
    health.record(False, settings, "HTTP 503")
    health.record(True, settings)  # a pass breaks the run of failures
    health.record(False, settings, "HTTP 503")
    health.record(False, settings, "HTTP 503")
    assert health.state == "healthy"
    assert health.record(False, settings, "timeout") is True
    assert (health.state, health.failures, health.last_error) == ("unhealthy", 3, "timeout")


def test_an_unhealthy_target_comes_back_after_the_healthy_threshold() -> None:
    settings = HealthCheckSettings(unhealthy_threshold=1, healthy_threshold=3)
    health = TargetHealth()
    states = []
    for ok in (False, True, True, True):
        health.record(ok, settings)
        states.append(health.state)
    assert states == ["unhealthy", "unhealthy", "unhealthy", "healthy"]


def test_without_a_velocity_control_every_failing_target_is_removed_at_once() -> None:
    policy = CapacityPolicy(TARGETS, LoadBalancerSettings(), in_service=set(TARGETS))
    decision = policy.decide({t: "unhealthy" for t in TARGETS}, now=0.0)
    assert decision.in_service == frozenset()
    assert sorted(decision.removed) == list(TARGETS)
    assert policy.capacity_removed() == 1.0


def test_the_velocity_control_holds_removals_beyond_its_share_per_minute() -> None:
    settings = LoadBalancerSettings(max_removed_share_per_min=0.34)  # one of three a minute
    policy = CapacityPolicy(TARGETS, settings, in_service=set(TARGETS))
    failing: dict[str, HealthState] = {t: "unhealthy" for t in TARGETS}
    first = policy.decide(failing, now=0.0)
    assert (first.removed, first.held) == (("a",), ("b", "c"))
    for now in (1.0, 30.0, VELOCITY_WINDOW_S - 0.1):
        later = policy.decide(failing, now=now)
        assert later.removed == () and later.in_service == {"b", "c"}
    after_a_minute = policy.decide(failing, now=VELOCITY_WINDOW_S + 0.1)
    assert after_a_minute.removed == ("b",)
    assert policy.capacity_removed() == pytest.approx(2 / 3)


def test_the_velocity_control_always_allows_one_removal() -> None:
    settings = LoadBalancerSettings(max_removed_share_per_min=0.1)
    policy = CapacityPolicy(TARGETS, settings, in_service=set(TARGETS))
    assert policy.removal_allowance(0.0) == 1


def test_healthy_targets_come_back_at_once_whatever_the_velocity_control() -> None:
    settings = LoadBalancerSettings(max_removed_share_per_min=0.34)
    policy = CapacityPolicy(TARGETS, settings, in_service={"c"})
    decision = policy.decide({"a": "healthy", "b": "healthy", "c": "healthy"}, now=0.0)
    assert decision.restored == ("a", "b")
    assert decision.in_service == set(TARGETS)


def test_a_target_not_yet_checked_keeps_its_place() -> None:
    policy = CapacityPolicy(TARGETS, LoadBalancerSettings(), in_service={"a"})
    decision = policy.decide({"a": "initial", "b": "initial", "c": "initial"}, now=0.0)
    assert decision.in_service == {"a"} and decision.removed == decision.restored == ()


def test_fail_open_engages_below_the_healthy_share_and_ends_when_targets_recover() -> None:
    settings = LoadBalancerSettings(fail_open_below=0.5)
    policy = CapacityPolicy(TARGETS, settings, in_service=set(TARGETS))
    one_down = policy.decide({"a": "unhealthy", "b": "healthy", "c": "healthy"}, now=0.0)
    assert one_down.removed == ("a",) and not one_down.failed_open  # 2 of 3 healthy
    two_down = policy.decide({"a": "unhealthy", "b": "unhealthy", "c": "healthy"}, now=1.0)
    assert two_down.failed_open and two_down.in_service == set(TARGETS)
    assert two_down.restored == ("a",) and policy.capacity_removed() == 0.0
    back = policy.decide({"a": "healthy", "b": "healthy", "c": "healthy"}, now=2.0)
    assert not back.failed_open and back.in_service == set(TARGETS)


def test_without_fail_open_every_target_can_be_removed() -> None:
    policy = CapacityPolicy(TARGETS, LoadBalancerSettings(), in_service=set(TARGETS))
    assert not policy.decide({t: "unhealthy" for t in TARGETS}, now=0.0).failed_open
    assert policy.in_service == set()
