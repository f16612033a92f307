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


def test_the_load_balancer_in_containers_has_one_node_and_checks_through_toxiproxy() -> None:
    inside = LabConfig.in_containers("172.31.60", lb_targets=3)
    lb = inside.lb
    assert inside.load_balanced and lb.targets() == ["gateway", "gateway-2", "gateway-3"]
    assert [str(n) for n in lb.nodes] == ["172.31.60.40:8080"]  # a container has one address
    assert str(lb.runtime) == "172.31.60.40:9999" and str(lb.controller) == "172.31.60.43:8080"
    assert [str(r) for r in lb.replicas] == ["172.31.60.60:8080", "172.31.60.61:8080"]
    assert [str(c) for c in lb.checks] == [f"172.31.60.2:{9100 + i}" for i in range(3)]
    assert not LabConfig.in_containers("172.31.60").load_balanced


def test_the_controller_reaches_the_load_balancer_on_published_ports() -> None:
    settings = ComposeSettings(net="172.31.60", port_base=30000)
    lb = settings.host_config(lb_targets=4).lb
    assert (str(lb.nodes[0]), str(lb.controller), str(lb.runtime)) == (
        "127.0.0.1:30040", "127.0.0.1:30043", "127.0.0.1:30044",
    )  # fmt: skip
    assert [r.port for r in lb.replicas] == [30084, 30085, 30086]
    published = {*settings.ports().values(), *(r.port for r in lb.replicas),
                 lb.nodes[0].port, lb.controller.port, lb.runtime.port}  # fmt: skip
    assert len(published) == len(settings.ports()) + 3 + 3  # none used twice
    assert [c.host for c in lb.checks] == ["172.31.60.2"] * 4  # Toxiproxy's, in the network


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
