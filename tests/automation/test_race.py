"""Interleavings of the Planner and three Enactors, explored by hypothesis: the legacy
automation can empty the record (the incident), the safe one never does.

An interleaving is the list of who takes the next step (an enactor's index, or the
planner); the record is checked after every step, so a list also checks each of its
prefixes. At least 10 steps: the incident needs 11, and shorter lists are prefixes of
longer ones. (A list costs hypothesis a tenth of what a ``RuleBasedStateMachine`` step
sequence costs: 10,000 of them in ~13 s rather than ~80 s.)
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaoskit.automation.model import STUCK, Automation, Mode

PLANNER = 3
"""In an interleaving, the planner's turn; 0, 1 and 2 are the enactors'."""

INTERLEAVINGS = st.lists(st.integers(min_value=0, max_value=PLANNER), min_size=10, max_size=25)


def play(mode: Mode, interleaving: list[int]) -> None:
    automation = Automation(mode)
    for turn in interleaving:
        if turn == PLANNER:
            automation.plan()
        else:
            automation.advance(turn)
        assert not automation.empty, "\n".join(automation.log)


def explore(mode: Mode, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(INTERLEAVINGS)
    def the_record_is_never_empty(interleaving: list[int]) -> None:
        play(mode, interleaving)

    the_record_is_never_empty()


def test_legacy_automation_can_empty_the_record() -> None:
    with pytest.raises(AssertionError) as found:
        explore("legacy", 2000)
    log = str(found.value)
    # the incident's order: a newer plan applied, a stale one applied over it, then the
    # newer plan's cleanup deletes the stale plan that is now in effect
    assert "(the plan in effect!)" in log


def test_safe_automation_never_empties_the_record_in_10000_interleavings() -> None:
    explore("safe", 10_000)


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
