"""Every interleaving of the Planner and three Enactors, explored by hypothesis: the legacy
automation can empty the record (the incident), the safe one never does."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from chaoskit.automation.model import STUCK, Automation, Mode


def machine(mode: Mode) -> type[RuleBasedStateMachine]:
    class DnsAutomation(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.automation = Automation(mode)

        @rule()
        def planner_writes_a_plan(self) -> None:
            self.automation.plan()

        @rule(enactor=st.integers(min_value=0, max_value=2))
        def an_enactor_takes_one_step(self, enactor: int) -> None:
            self.automation.advance(enactor)

        @invariant()
        def the_record_is_never_empty(self) -> None:
            assert not self.automation.empty, "\n".join(self.automation.log)

    return DnsAutomation


def test_legacy_automation_can_empty_the_record() -> None:
    with pytest.raises(AssertionError) as found:
        run_state_machine_as_test(
            machine("legacy"),
            settings=settings(max_examples=2000, stateful_step_count=25, deadline=None,
                              suppress_health_check=list(HealthCheck), database=None),
        )  # fmt: skip
    log = str(found.value)
    # the incident's order: a newer plan applied, a stale one applied over it, then the
    # newer plan's cleanup deletes the stale plan that is now in effect
    assert "(the plan in effect!)" in log


def test_safe_automation_never_empties_the_record_in_10000_interleavings() -> None:
    run_state_machine_as_test(
        machine("safe"),
        settings=settings(max_examples=10_000, stateful_step_count=25, deadline=None,
                          suppress_health_check=list(HealthCheck), database=None),
    )  # fmt: skip


def test_the_incident_sequence_step_by_step() -> None:
    legacy = Automation("legacy")
    legacy.plan()
    legacy.advance(0)  # enactor-1 picks plan 1 ... and is delayed
    for _ in range(4):
        legacy.plan()  # plans 2..5
    legacy.advance(1)  # enactor-2 picks plan 5
    legacy.advance(1)  # and applies it
    legacy.advance(0)  # enactor-1, late, applies plan 1 over plan 5
    assert legacy.record.generation == 1
    legacy.advance(2)  # enactor-3 picks plan 5, its write still to come
    legacy.advance(1)  # enactor-2 cleans up plans older than 3: 1 and 2
    assert legacy.empty and legacy.record.emptied
    assert legacy.advance(2) == STUCK  # a write picked before the emptying is refused too
    assert legacy.advance(2) == STUCK  # and it picks nothing new either
    assert legacy.empty  # until the operators repair it
    legacy.repair()
    assert legacy.record.addresses and not legacy.empty

    safe = Automation("safe")
    safe.plan()
    safe.advance(0)
    for _ in range(4):
        safe.plan()
    safe.advance(1)
    safe.advance(1)
    assert safe.advance(0) == "skipped plan 1: 5 is in effect"
    safe.advance(1)
    assert safe.record.generation == 5 and not safe.empty
