"""One real local lab (DNS server, Toxiproxy, two DynamoDB Locals) for the whole session."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def lab_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab-state")


@pytest.fixture(scope="session")
def session_lab(lab_state_dir: Path) -> Iterator[LocalLab]:
    real_lab = LocalLab(lab_state_dir, lab_config(11), dynamodb="local")
    real_lab.up()
    try:
        yield real_lab
    finally:
        real_lab.down()


@pytest.fixture
def lab(session_lab: LocalLab) -> Iterator[LocalLab]:
    """The session's lab; a test that fails with faults still in the ledger gets them
    reverted afterwards, so its failure is reported once instead of in every later test."""
    yield session_lab
    if Ledger(session_lab.state_dir).entries():
        recover(session_lab)


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
