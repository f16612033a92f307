"""One real local lab (DNS server, Toxiproxy, two DynamoDB Locals) for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoskit.lab import DynamoRegion, Endpoint, LabConfig, LocalLab


def lab_config(net: int) -> LabConfig:
    """A lab on 127.0.<net>.0/24, away from a developer's own lab on 127.0.10.0/24."""
    base = f"127.0.{net}"
    return LabConfig(
        dns=Endpoint(host=f"{base}.53", port=5353),
        dns_admin=Endpoint(host=f"{base}.53", port=8053),
        toxiproxy=Endpoint(host=f"{base}.2", port=8474),
        regions=[
            DynamoRegion(
                region=region,
                record=f"dynamodb.{region}.lab.test.",
                server=Endpoint(host=f"{base}.{21 + i}", port=8000),
                proxy=Endpoint(host=f"{base}.{11 + i}", port=8000),
            )
            for i, region in enumerate(("us-east-1", "us-west-2"))
        ],
    )


@pytest.fixture(scope="session")
def lab_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab-state")


@pytest.fixture(scope="session")
def lab(lab_state_dir: Path) -> Iterator[LocalLab]:
    real_lab = LocalLab(lab_state_dir, lab_config(11), dynamodb="local")
    real_lab.up()
    try:
        yield real_lab
    finally:
        real_lab.down()
