"""One real local lab (DNS server, Toxiproxy, two DynamoDB Locals) for the whole session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoskit.experiment.ledger import Ledger
from chaoskit.experiment.recover import recover
from chaoskit.lab import LabConfig, LocalLab
from chaoskit.lab.config import SERVICE_NAMES
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.services.resilience.settings import ServiceProfile


def lab_config(net: int) -> LabConfig:
    """A lab on 127.0.<net>.0/24, away from a developer's own lab on 127.0.10.0/24."""
    return LabConfig.on_subnet(f"127.0.{net}")


def session_net() -> int:
    """The session lab's subnet: 127.0.11, and under xdist one per worker (``gw1`` on
    127.0.41, ``gw2`` on 127.0.42...), each a lab of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[:2] == "gw" and worker[2:].isdigit() else 0
    return 11 if index == 0 else 40 + index


@pytest.fixture(scope="session")
def lab_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab-state")


@pytest.fixture(scope="session")
def session_lab(lab_state_dir: Path) -> Iterator[LocalLab]:
    real_lab = LocalLab(lab_state_dir, lab_config(session_net()), dynamodb="local")
    real_lab.up()
    try:
        yield real_lab
    finally:
        real_lab.down()


@pytest.fixture
def lab(session_lab: LocalLab) -> Iterator[LocalLab]:
    """The session's lab, its services running (started again if the last test left them
    stopped, see below); a test that fails with faults still in the ledger gets them
    reverted afterwards, so its failure is reported once instead of in every later test."""
    session_lab.refresh()
    if any(name not in session_lab.state.components for name in SERVICE_NAMES):
        session_lab.up()
    yield session_lab
    if Ledger(session_lab.state_dir).entries():
        recover(session_lab)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """The session lab's services stop when the next test does not use the lab: an idle
    sample stack still renews 150 leases every 1.5 s (about half a core), which every other
    test would share the two cores with. The next test that needs them starts them again
    (``lab``): a reset of about 0.3 s."""
    yield
    session_lab = getattr(item, "funcargs", {}).get("session_lab")
    if session_lab is None or nextitem is None or "session_lab" in nextitem.fixturenames:
        return
    session_lab.stop_services()


@pytest.fixture
def fresh_services_after(lab: LocalLab) -> Iterator[None]:
    """A naive fleet stays collapsed after a run, and a run may leave the services and the
    resolver on another profile: leave the next test fresh services and resolver, naive."""
    yield
    lab.stop_services()
    lab.up(profiles={name: ServiceProfile() for name in SERVICE_NAMES}, resolver=ResolverProfile())


@pytest.fixture
def fresh_fleet(lab: LocalLab) -> LocalLab:
    """The session lab with fleet started afresh. A naive fleet that lost DynamoDB for long
    enough stays collapsed (the incident's lesson), and on a starved machine it can lose it
    to slow lease renewals alone: a test that needs launches to succeed starts from a fleet
    holding its leases."""
    lab.restart("fleet")
    return lab
