"""A controller SIGKILLed at each boundary of each fault kind leaves nothing behind.

The boundaries (``chaoskit.experiment.injection``): before the ledger write, between the
ledger write and the effect, after the effect, and after the revert but before the ledger
is cleared. For each, deterministically (the ``CHAOSKIT_KILL_AT`` hook, not luck): what
the ledger holds, that the lab ends the fault by itself once it expires (the DNS server,
the automation or the watchdog; no controller is left), and that ``recover`` then finds
the lab exactly as it should be.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaoskit.automation.process import AutomationProcess
from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.injection import BOUNDARIES
from chaoskit.lab import LocalLab
from tests.experiment.kill_checks import (
    DNS_CASES,
    LB_CASES,
    LOAD_CASES,
    RESOLVER_CASES,
    TOXIPROXY_CASES,
    check_boundary,
)

pytestmark = pytest.mark.lab

PROCESS_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("process.pause", "status", {}),
    ("process.pause", "dns", {}),  # the lab's own infrastructure frozen: its API cannot answer
    ("process.pause", "toxiproxy", {}),
    ("process.pause", "resolver", {}),
    ("process.kill", "status", {}),
    ("process.restart", "status", {}),
]
LOCAL_CASES = DNS_CASES + TOXIPROXY_CASES + PROCESS_CASES + RESOLVER_CASES + LOAD_CASES


def test_every_local_kind_is_covered() -> None:
    local = {k for k, kind in REGISTRY.items() if "local" in kind.backends}
    cases = LOCAL_CASES + LB_CASES
    assert local - {"dns.enactor_delay"} == {kind for kind, _, _ in cases}


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize(
    ("kind", "target", "params"), LOCAL_CASES, ids=[f"{c[0]}-{c[1]}" for c in LOCAL_CASES]
)
def test_a_controller_killed_at_a_boundary_leaves_nothing(
    lab: LocalLab, boundary: str, kind: str, target: str, params: dict[str, Any]
) -> None:
    check_boundary(lab, boundary, kind, target, params)


@pytest.fixture(scope="module")
def balanced_lab(session_lab: LocalLab) -> Iterator[LocalLab]:
    """The session lab with the sample load balancer, for this module's load balancer
    cases; without it again after them."""
    session_lab.set_load_balancer(3)
    session_lab.up()
    try:
        yield session_lab
    finally:
        session_lab.set_load_balancer(None)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize(
    ("kind", "target", "params"), LB_CASES, ids=[f"{c[0]}-{c[1]}" for c in LB_CASES]
)
def test_a_controller_killed_at_a_boundary_of_a_load_balancer_fault_leaves_nothing(
    balanced_lab: LocalLab, boundary: str, kind: str, target: str, params: dict[str, Any]
) -> None:
    check_boundary(balanced_lab, boundary, kind, target, params)


@pytest.fixture
def automation(lab: LocalLab, tmp_path: Path) -> Iterator[AutomationProcess]:
    running = AutomationProcess(lab, "safe", time.time() + 120, tmp_path / "automation.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_an_enactor_delay_ends_with_its_expiry_whenever_the_controller_dies(
    lab: LocalLab, automation: AutomationProcess, boundary: str
) -> None:
    check_boundary(lab, boundary, "dns.enactor_delay", "enactor-1", {"seconds": 0.5})
