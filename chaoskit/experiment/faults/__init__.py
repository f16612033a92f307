"""The fault registry: every kind an experiment may name, one module per family."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

from chaoskit.experiment.faults.automation import AUTOMATION_FAULTS
from chaoskit.experiment.faults.base import AnyKind, FaultKind, NoParams, Params, registry_of
from chaoskit.experiment.faults.container import CONTAINER_FAULTS
from chaoskit.experiment.faults.dns import DNS_FAULTS
from chaoskit.experiment.faults.lb import LB_FAULTS
from chaoskit.experiment.faults.load import LOAD_FAULTS
from chaoskit.experiment.faults.process import PROCESS_FAULTS
from chaoskit.experiment.faults.resolver import RESOLVER_FAULTS
from chaoskit.experiment.faults.toxiproxy import TOXIPROXY_FAULTS

__all__ = [
    "REGISTRY",
    "AnyKind",
    "Described",
    "FaultKind",
    "InForce",
    "NoParams",
    "Params",
    "carrier_held_down",
    "carrier_of",
    "in_revert_order",
    "revert_order",
    "unknown_kind_message",
]

REGISTRY: dict[str, AnyKind] = registry_of(
    [
        *DNS_FAULTS,
        *AUTOMATION_FAULTS,
        *TOXIPROXY_FAULTS,
        *PROCESS_FAULTS,
        *RESOLVER_FAULTS,
        *CONTAINER_FAULTS,
        *LB_FAULTS,
        *LOAD_FAULTS,
    ]
)


RESTARTING_FAMILIES = ("process", "container")
"""Faults whose revert starts a component again."""


def revert_order(kind: str) -> bool:
    """Sort key for faults reverted together (due at one moment, at the end of a run, by
    the watchdog or ``recover``): those that start a component again go last, so that it
    starts with its dependencies back (a fleet takes no lease while its database's name is
    blanked), and no fault stays in force while a start-up waits."""
    known = REGISTRY.get(kind)
    return known is not None and known.family in RESTARTING_FAMILIES


class Described(Protocol):
    """A fault as the revert order sees it (a run's record, a ledger entry, a test's fault)."""

    @property
    def kind(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def params(self) -> Mapping[str, Any]: ...


class InForce(NamedTuple):
    """A fault described by hand (an experiment's step, before it runs)."""

    kind: str
    target: str
    params: Mapping[str, Any] = {}


def carrier_of(fault: Described) -> str | None:
    """The lab component ``fault`` is put in and taken out through: the DNS server for a DNS
    fault, Toxiproxy for a toxic, and for a process or container fault the component it
    acts on; None when it needs none (a control file in the state directory)."""
    known = REGISTRY.get(fault.kind)
    if known is None:
        return None
    if known.carried_by is not None:
        return known.carried_by
    return fault.target if known.family in RESTARTING_FAMILIES else None


def carrier_held_down(fault: Described, others: Iterable[Described]) -> bool:
    """Whether the component that carries ``fault`` (``carrier_of``) is held down by one of
    ``others``, faults in force: killed, stopped, paused or cut off, it cannot take the
    fault (a pause of a killed process finds nothing to pause) nor its revert until that
    fault ends, and a revert tried meanwhile waits out its timeouts and fails."""
    carrier = carrier_of(fault)
    if carrier is None:
        return False
    return any(
        other.target == carrier and (holder := REGISTRY.get(other.kind)) is not None
        and holder.silences(other.params)
        for other in others
    )  # fmt: skip


D = TypeVar("D", bound=Described)


def in_revert_order(faults: Sequence[D]) -> list[D]:
    """``faults``, to be reverted together, in the order to revert them: those that start
    a component again last (``revert_order``), and one whose carrier another of them holds
    down after that one (a DNS fault after the pause of the DNS server)."""
    ordered: list[D] = []

    def place(fault: D) -> None:
        if any(fault is done for done in ordered):
            return
        for other in faults:
            if other is not fault and carrier_held_down(fault, [other]):
                place(other)
        ordered.append(fault)

    for fault in sorted(faults, key=lambda f: revert_order(f.kind)):
        place(fault)
    return ordered


def unknown_kind_message(kind: str) -> str:
    close = difflib.get_close_matches(kind, REGISTRY, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown fault kind {kind!r}{hint}; known kinds: {', '.join(REGISTRY)}"
