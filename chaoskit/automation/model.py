"""The DNS automation that keeps an endpoint's record up to date, as a model small enough to
explore every interleaving of (``INCIDENT.md``).

A **Planner** writes numbered plans (a generation and the addresses the record should
have). Three **Enactors** each repeat: *pick* the newest plan, *apply* it to the record,
*clean up* plans much older than the one they applied. Each step is one atomic action; an
Enactor can be delayed between any two, which is where the race lives.

- ``legacy`` reproduces the incident. An Enactor checks that its plan is newer than the
  one in effect when it picks it, not when it applies it, so after a delay it can overwrite
  a newer plan with its stale one. Cleanup deletes every plan more than ``KEEP``
  generations older than the one the cleaning Enactor applied, even the plan now in
  effect, and deleting the plan in effect empties the record. From then on the record
  says it follows a plan that no longer exists, and every Enactor refuses to apply over
  that inconsistency until an operator repairs it.
- ``safe`` applies a plan only if its generation is newer than the one in effect, checked
  in the same atomic step as the write (compare-and-set), and never deletes the plan in
  effect. It never empties the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["KEEP", "STUCK", "Automation", "Enactor", "Mode", "Plan", "Record"]

KEEP = 2
"""Cleanup keeps the plan applied and the ``KEEP`` generations before it."""
Mode = Literal["legacy", "safe"]


@dataclass(frozen=True)
class Plan:
    generation: int
    addresses: tuple[str, ...]


@dataclass
class Record:
    """The DNS record and which plan it follows."""

    addresses: tuple[str, ...] = ()
    generation: int | None = None
    emptied: bool = False
    """The plan in effect was deleted: the record is empty and the automation is stuck."""


@dataclass
class Enactor:
    name: str
    step: Literal["pick", "apply", "cleanup"] = "pick"
    picked: Plan | None = None
    applied: int | None = None
    stale_checks_passed: int = 0


STUCK = "stuck: the record follows a deleted plan"


@dataclass
class Automation:
    mode: Mode
    addresses: tuple[str, ...] = ("127.0.10.11",)
    plans: dict[int, Plan] = field(default_factory=dict)
    record: Record = field(default_factory=Record)
    enactors: list[Enactor] = field(
        default_factory=lambda: [Enactor("enactor-1"), Enactor("enactor-2"), Enactor("enactor-3")]
    )
    next_generation: int = 1
    log: list[str] = field(default_factory=list)

    # ---- the Planner --------------------------------------------------------------------
    def plan(self, addresses: tuple[str, ...] | None = None) -> Plan:
        plan = Plan(self.next_generation, addresses or self.addresses)
        self.plans[plan.generation] = plan
        self.next_generation += 1
        self.log.append(f"planner: plan {plan.generation}")
        return plan

    # ---- an Enactor's next atomic action -------------------------------------------------
    def advance(self, index: int) -> str:
        """Run one step of Enactor ``index``; what it did."""
        enactor = self.enactors[index]
        if enactor.step == "pick":
            did = self._pick(enactor)
        elif enactor.step == "apply":
            did = self._apply(enactor)
        else:
            did = self._cleanup(enactor)
        self.log.append(f"{enactor.name}: {did}")
        return did

    def _pick(self, enactor: Enactor) -> str:
        if self.record.emptied and self.mode == "legacy":
            return STUCK
        if not self.plans:
            return "no plan"
        newest = self.plans[max(self.plans)]
        if self.mode == "legacy":
            # the staleness check happens here, long before the write
            current = self.record.generation
            if current is not None and newest.generation <= current:
                return f"plan {newest.generation} is not newer than {current}"
        enactor.picked, enactor.step = newest, "apply"
        return f"picked plan {newest.generation}"

    def _apply(self, enactor: Enactor) -> str:
        plan = enactor.picked
        assert plan is not None
        if self.record.emptied and self.mode == "legacy":
            # stuck for every Enactor, also one that picked before the record was emptied:
            # nothing but the operators' repair writes the record again
            enactor.step, enactor.picked, enactor.applied = "pick", None, None
            return STUCK
        enactor.step = "cleanup"
        if self.mode == "safe":
            current = self.record.generation
            if current is not None and plan.generation <= current:
                enactor.applied = None
                return f"skipped plan {plan.generation}: {current} is in effect"
        self.record.addresses, self.record.generation = plan.addresses, plan.generation
        self.record.emptied = False
        enactor.applied = plan.generation
        return f"applied plan {plan.generation}"

    def _cleanup(self, enactor: Enactor) -> str:
        enactor.step, enactor.picked = "pick", None
        if enactor.applied is None:
            return "nothing to clean"
        old = [g for g in self.plans if g < enactor.applied - KEEP]
        if self.mode == "safe":
            old = [g for g in old if g != self.record.generation]
        for generation in old:
            del self.plans[generation]
            if generation == self.record.generation:
                self.record.addresses, self.record.emptied = (), True
        deleted = ", ".join(str(g) for g in sorted(old)) or "none"
        return f"deleted plans {deleted}" + (
            " (the plan in effect!)" if self.record.emptied else ""
        )

    def repair(self) -> str:
        """What the operators did: write the newest plan by hand and clear the stuck state."""
        if not self.plans:
            self.plan()
        newest = self.plans[max(self.plans)]
        self.record = Record(newest.addresses, newest.generation)
        for enactor in self.enactors:
            enactor.step, enactor.picked, enactor.applied = "pick", None, None
        self.log.append(f"operator: repaired with plan {newest.generation}")
        return f"repaired with plan {newest.generation}"

    @property
    def empty(self) -> bool:
        """The incident: the record was written once and now has no addresses."""
        return self.record.generation is not None and not self.record.addresses
