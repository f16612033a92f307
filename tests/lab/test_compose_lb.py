"""The load balancer's compose file: what each container is given."""

from __future__ import annotations

import json
from pathlib import Path

from chaoskit.lab.compose_lb import OVERRIDE, load_balancer_services, write_override
from chaoskit.lab.config import ComposeSettings, LabConfig
from chaoskit.services.resilience.settings import ServiceProfile

SETTINGS = ComposeSettings(project="lb-test", net="172.31.60", west_net="172.31.160",
                           port_base=30000)  # fmt: skip


def _services(profiles: dict[str, ServiceProfile] | None = None) -> dict[str, dict]:
    inside = LabConfig.in_containers(SETTINGS.net, SETTINGS.west_net, lb_targets=3)
    return load_balancer_services(SETTINGS, inside, SETTINGS.host_config(3), profiles or {})


def test_haproxy_the_replicas_and_the_control_plane_each_at_a_fixed_address() -> None:
    services = _services()
    assert list(services) == ["haproxy", "gateway-2", "gateway-3", "lb"]
    addresses = {name: s["networks"]["lab"]["ipv4_address"] for name, s in services.items()}
    assert addresses == {"haproxy": "172.31.60.40", "gateway-2": "172.31.60.60",
                         "gateway-3": "172.31.60.61", "lb": "172.31.60.43"}  # fmt: skip
    assert services["gateway-2"]["networks"]["lab-west"] == {"ipv4_address": "172.31.160.60"}
    assert services["haproxy"]["ports"] == ["127.0.0.1:30040:8080", "127.0.0.1:30044:9999"]
    assert services["gateway-3"]["ports"] == ["127.0.0.1:30085:8080"]
    assert all(s["dns"] == ["172.31.60.54"] for s in services.values())  # the lab resolver


def test_each_container_sees_the_lab_with_its_load_balancer_and_its_own_name() -> None:
    services = _services({"gateway-2": ServiceProfile(profile="resilient")})
    env = services["gateway-2"]["environment"]
    seen = LabConfig.model_validate_json(env["CHAOSKIT_LAB_CONFIG"].replace("$$", "$"))
    assert seen.load_balanced and str(seen.lb.controller) == "172.31.60.43:8080"
    assert (env["CHAOSKIT_SERVICE"], env["CHAOSKIT_SERVICE_NAME"]) == ("gateway", "gateway-2")
    assert env["CHAOSKIT_PROFILE"] == "resilient"
    assert services["gateway-3"]["environment"]["CHAOSKIT_PROFILE"] == "naive"
    assert services["lb"]["environment"]["CHAOSKIT_DNS_TOKEN_FILE"] == "/state/dns-admin.token"


def test_a_dollar_in_an_override_reaches_the_container_as_written(tmp_path: Path) -> None:
    profile = ServiceProfile(overrides={"lb.health_check.path": "/health$x"})
    services = _services({"lb": profile})
    assert "/health$$x" in services["lb"]["environment"]["CHAOSKIT_RESILIENCE"]
    path = write_override(tmp_path, services)
    assert path == tmp_path / OVERRIDE
    assert json.loads(path.read_text())["services"] == services
