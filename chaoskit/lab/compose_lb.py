"""The sample load balancer on the compose backend: a compose file chaoskit writes in the
state directory (``compose/load-balancer.yml``), given to ``docker compose`` after the
shipped one while the lab has a load balancer.

It adds HAProxy (one node: a container has one address on the lab network), the gateway's
replicas and the control plane (``lb``), each at a fixed address on the lab network and
published on 127.0.0.1 for the controller and the load. The containers are given the lab as
they see it (``LabConfig.in_containers`` with the load balancer) as ``CHAOSKIT_LAB_CONFIG``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaoskit.lab.compose_team import write_compose_file
from chaoskit.lab.config import DNS_TOKEN_FILE, LB_RUNTIME_PORT, ComposeSettings, LabConfig
from chaoskit.services import DNS_TOKEN_ENV, REPLICA_ENV
from chaoskit.services.resilience.settings import ServiceProfile

__all__ = ["HAPROXY_CONFIG", "OVERRIDE", "load_balancer_services", "write_override"]

OVERRIDE = Path("compose") / "load-balancer.yml"
"""Where the load balancer's compose file lives, under the state directory."""
HAPROXY_CONFIG = Path("lb") / "haproxy.cfg"
IMAGE = "${CHAOSKIT_IMAGE:-chaoskit:latest}"
STATE_MOUNT = "${CHAOSKIT_STATE_DIR:-../.chaoskit}:/state"


def _escaped(value: str) -> str:
    """A value compose would otherwise interpolate (``$``), kept as it is."""
    return value.replace("$", "$$")


def _container(
    settings: ComposeSettings, address: str, west: str | None, published: list[str]
) -> dict[str, Any]:
    networks: dict[str, Any] = {"lab": {"ipv4_address": address}}
    if west is not None:  # a gateway reaches us-west-2's proxy there, as the gateway does
        networks["lab-west"] = {"ipv4_address": west}
    return {
        "image": IMAGE,
        "restart": "no",
        "dns": [f"{settings.net}.54"],
        "networks": networks,
        "ports": [f"127.0.0.1:{port}" for port in published],
    }


def load_balancer_services(
    settings: ComposeSettings,
    inside: LabConfig,
    host: LabConfig,
    profiles: dict[str, ServiceProfile],
) -> dict[str, Any]:
    """The compose services of the load balancer: ``haproxy``, the gateway replicas and
    ``lb``, for a lab whose containers see ``inside`` and whose controller sees ``host``."""
    lb, host_lb = inside.lb, host.lb
    node = lb.nodes[0]
    lab_config = _escaped(inside.model_dump_json())
    published = [
        f"{host_lb.nodes[0].port}:{node.port}",
        f"{host_lb.runtime.port}:{LB_RUNTIME_PORT}",
    ]
    services: dict[str, Any] = {
        "haproxy": {
            **_container(settings, node.host, None, published),
            "command": ["/usr/sbin/haproxy", "-db", "-f", f"/state/{HAPROXY_CONFIG}"],
            # HAProxy leaves SIGTERM at its default action, which the kernel ignores for a
            # namespace's PID 1: under an init it ends on ``docker stop`` at once, not after
            # the 10 s that end in SIGKILL
            "init": True,
            "volumes": [STATE_MOUNT],
        }
    }

    def sample(name: str, role: str) -> dict[str, Any]:
        profile = profiles.get(name, ServiceProfile())
        return {
            "command": ["python3", "-m", "chaoskit.services", role],
            "environment": {
                "CHAOSKIT_LAB_CONFIG": lab_config,
                "CHAOSKIT_SERVICE": role,
                REPLICA_ENV: name,
                "CHAOSKIT_RESOLVER": "system",
                "PYTHONUNBUFFERED": "1",
                **{key: _escaped(value) for key, value in profile.environment().items()},
            },
        }

    for i, (name, replica) in enumerate(zip(lb.replica_names(), lb.replicas, strict=True)):
        west = f"{settings.west_net}.{replica.host.rsplit('.', 1)[1]}"
        published = [f"{host_lb.replicas[i].port}:{replica.port}"]
        services[name] = {
            **_container(settings, replica.host, west, published),
            **sample(name, "gateway"),
        }
    controller = sample("lb", "lb")
    controller["environment"][DNS_TOKEN_ENV] = f"/state/{DNS_TOKEN_FILE}"
    services["lb"] = {
        **_container(
            settings, lb.controller.host, None, [f"{host_lb.controller.port}:{lb.controller.port}"]
        ),
        **controller,
        "volumes": [STATE_MOUNT],
    }
    return services


def write_override(state_dir: Path, services: dict[str, Any]) -> Path:
    """The load balancer's compose file."""
    return write_compose_file(state_dir / OVERRIDE, {"services": services})
