"""Lab addresses: the compose backend's two views of one lab, and what an address may be."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chaoskit.lab.config import ComposeSettings, Endpoint, LabConfig


def test_containers_see_the_lab_on_its_network_with_dns_on_port_53() -> None:
    inside = LabConfig.in_containers("172.31.60")
    assert str(inside.dns) == "172.31.60.53:53"
    # each region's proxy on its own address (us-west-2's on the second network), one port
    assert [str(r.proxy) for r in inside.regions] == ["172.31.60.2:8000", "172.31.153.2:8000"]
    assert [str(r.server) for r in inside.regions] == ["172.31.60.21:8000", "172.31.60.22:8000"]
    assert str(inside.services.gateway) == "172.31.60.30:8080"


def test_the_controller_sees_published_loopback_ports() -> None:
    settings = ComposeSettings(net="172.31.60", port_base=30000)
    host = settings.host_config()
    assert (str(host.dns), str(host.dns_admin), str(host.toxiproxy)) == (
        "127.0.0.1:30053", "127.0.0.1:30054", "127.0.0.1:30074",
    )  # fmt: skip
    assert [str(r.server) for r in host.regions] == ["127.0.0.1:30000", "127.0.0.1:30001"]
    assert [str(host.services.of(n)) for n in ("gateway", "orders", "fleet", "status")] == [
        f"127.0.0.1:{30080 + i}" for i in range(4)
    ]
    assert len(set(settings.ports().values())) == len(settings.ports())


@pytest.mark.parametrize("host", ["8.8.8.8", "example.com", "1.1.1.1"])
def test_an_address_off_the_machine_and_its_networks_is_refused(host: str) -> None:
    with pytest.raises(ValidationError):
        Endpoint(host=host, port=53)


def test_compose_settings_reject_a_bad_project_or_network() -> None:
    with pytest.raises(ValidationError):
        ComposeSettings(project="Has Spaces")
    with pytest.raises(ValidationError, match="another network"):
        ComposeSettings(net="172.31.70", west_net="172.31.70")
    with pytest.raises(ValidationError):
        ComposeSettings(net="172.31.60.0/24")
