"""A lab file's own compose services on the compose backend.

The team's compose files are given to ``docker compose`` after chaoskit's, so relative
paths in them would be read against chaoskit's directory. So chaoskit first asks compose
for their merged configuration in their own project directory (``docker compose config``:
paths made absolute, variables and the directory's ``.env`` applied, ``$$`` kept) and
writes it to ``compose/team.yml`` in the state directory. A second file,
``compose/lab-file.yml``, joins the services the lab file names to the lab network at
fixed addresses (``NET.80+`` for services, ``NET.100+`` for dependencies), points a
service's resolver at the lab resolver, gives it the lab file's env as the containers see
the lab, and publishes its port on the address the lab file gives it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from chaoskit._errors import InvalidInput
from chaoskit.lab.config import LabConfig

__all__ = [
    "TEAM_FILE",
    "TEAM_OVERRIDE",
    "normalized",
    "team_overrides",
    "team_services",
    "write_compose_file",
]

TEAM_FILE = Path("compose") / "team.yml"
TEAM_OVERRIDE = Path("compose") / "lab-file.yml"


def normalized(config_output: str) -> dict[str, Any]:
    """The team's merged configuration as ``compose config`` printed it, without its
    ``version`` (chaoskit's own file has none, and compose refuses to mix them)."""
    found = yaml.safe_load(config_output) or {}
    if not isinstance(found, dict):
        raise InvalidInput("the lab file's compose.files: `compose config` printed no mapping")
    found.pop("version", None)
    return found


def team_services(team: dict[str, Any], shipped: set[str], wanted: dict[str, str]) -> set[str]:
    """The service names of the team's merged compose configuration, checked: none is one
    of chaoskit's own (``shipped``; compose would merge the two), and every component of
    ``wanted`` (component -> compose service) is one of them."""
    services = set((team.get("services") or {}).keys())
    clash = sorted(services & shipped)
    if clash:
        raise InvalidInput(
            f"the lab file's compose.files define {', '.join(clash)}, which chaoskit's own "
            "compose file defines too (compose would merge them); rename those services"
        )
    for component, service in wanted.items():
        if service not in services:
            raise InvalidInput(
                f"{component}: the lab file's compose.files define no service {service!r}; "
                f"they define {', '.join(sorted(services)) or 'none'}"
            )
    return services


def team_overrides(inside: LabConfig, host: LabConfig, services: set[str]) -> dict[str, Any]:
    """The compose services that put the team's ``services`` on the lab network, and only
    there (so a published port reaches the address the service listens on, and the team's
    services still reach each other by their compose names): the lab file's services
    (``apps``) and compose dependencies at their fixed addresses, each other one at an
    address of the network's dynamic range. ``inside`` is the lab as the containers see it,
    ``host`` as the controller does (where a service's port is published)."""
    found: dict[str, Any] = {name: {"networks": {"lab": {}}} for name in sorted(services)}
    published = {app.name: app.listen for app in host.apps}
    for app in inside.apps:
        listen = published[app.name]
        found[app.name] = {
            "networks": {"lab": {"ipv4_address": app.listen.host}},
            "dns": [inside.resolver.host],
            "environment": {key: value.replace("$", "$$") for key, value in app.env.items()},
            "ports": [f"{listen.host}:{listen.port}:{app.listen.port}"],
        }
    for dependency in inside.dependencies:
        if dependency.container is not None:
            address = {"ipv4_address": dependency.upstream.host}
            found[dependency.container] = {"networks": {"lab": address}}
    return found


def write_compose_file(path: Path, content: dict[str, Any]) -> Path:
    """A compose file chaoskit writes (JSON, which compose reads as YAML), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(content, indent=2) + "\n")
    tmp.replace(path)
    return path
