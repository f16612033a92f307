"""The fault registry: every kind an experiment may name, one module per family."""

from __future__ import annotations

import difflib

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
    "FaultKind",
    "NoParams",
    "Params",
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


def unknown_kind_message(kind: str) -> str:
    close = difflib.get_close_matches(kind, REGISTRY, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown fault kind {kind!r}{hint}; known kinds: {', '.join(REGISTRY)}"
