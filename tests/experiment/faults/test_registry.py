"""The fault registry: one name, one kind; every kind reads its handle before it acts."""

from __future__ import annotations

import pytest

from chaoskit.experiment.faults import REGISTRY, InForce, in_revert_order
from chaoskit.experiment.faults.base import registry_of


def test_the_registry_refuses_a_kind_registered_twice() -> None:
    blank = REGISTRY["dns.blank"]
    with pytest.raises(ValueError, match=r"'dns\.blank' is registered twice"):
        registry_of([blank, REGISTRY["dns.nxdomain"], blank])


def test_every_kind_prepares_before_it_injects() -> None:
    for name, kind in REGISTRY.items():
        assert kind.prepare is not kind.inject, name
        assert kind.params.model_config.get("allow_inf_nan") is False, name


@pytest.mark.parametrize(
    ("kind", "written", "held"),
    [
        ("dns.blank", "DynamoDB.US-East-1.Lab.Test.", "dynamodb.us-east-1.lab.test"),
        ("dns.blank", "dynamodb.us-east-1.lab.test", "dynamodb.us-east-1.lab.test"),
        ("dns.failover", "*.LAB.test", "*.lab.test"),
        ("toxiproxy.latency", "DynamoDB-us-east-1", "DynamoDB-us-east-1"),
        ("dns.enactor_delay", "Enactor-1", "Enactor-1"),
    ],
)
def test_a_dns_name_is_held_in_one_spelling_and_other_targets_as_written(
    kind: str, written: str, held: str
) -> None:
    assert REGISTRY[kind].canonical_target(written) == held


def test_a_fault_is_reverted_after_the_one_holding_its_carrier_down() -> None:
    """The DNS server paused, a blank it carries goes right after the pause; a killed
    service still restarts last, so it starts with its dependencies back."""
    faults = [
        ("process.kill", "orders"),
        ("dns.blank", "dynamodb.us-east-1.lab.test"),
        ("process.pause", "dns"),
        ("toxiproxy.latency", "dynamodb-us-east-1"),
    ]
    ordered = in_revert_order([InForce(*f) for f in faults])
    assert [(f.kind, f.target) for f in ordered] == [
        ("process.pause", "dns"),
        ("dns.blank", "dynamodb.us-east-1.lab.test"),
        ("toxiproxy.latency", "dynamodb-us-east-1"),
        ("process.kill", "orders"),
    ]


def test_kinds_that_silence_a_component_carry_no_fault_of_their_own() -> None:
    """A silencer carried by what it silences would wait on itself."""
    for name, kind in REGISTRY.items():
        assert not (kind.silences_target and kind.carried_by), name


def test_a_disconnect_holds_its_container_down_only_when_it_cuts_it_off_the_lab() -> None:
    """Cut off the lab's network, a container's published ports lead nowhere (the DNS
    server's admin API refused connections); from lab-west alone it is still reached."""
    disconnect = REGISTRY["container.disconnect"]
    assert disconnect.silences({}) and disconnect.silences({"network": "lab"})
    assert not disconnect.silences({"network": "lab-west"})
    assert not REGISTRY["container.restart"].silences({})
