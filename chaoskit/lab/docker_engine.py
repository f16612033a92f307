"""The Docker engine as the compose backend uses it: is one answering, which compose
command to drive, and the containers of a compose project (Docker SDK)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from chaoskit._errors import ComponentError, MissingDependency

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

__all__ = [
    "compose_command",
    "compose_file",
    "container_of",
    "docker_client",
    "engine_answers",
]

COMPOSE_FILE_ENV = "CHAOSKIT_COMPOSE_FILE"


def docker_client(timeout: float = 30) -> DockerClient:
    import docker
    import docker.errors

    try:
        return docker.from_env(timeout=int(timeout))
    except docker.errors.DockerException as exc:
        raise ComponentError("docker", f"no Docker engine answers: {exc}") from None


def engine_answers() -> bool:
    """Whether a Docker engine answers a ping within two seconds."""
    import docker.errors

    try:
        return bool(docker_client(timeout=2).ping())
    except (ComponentError, docker.errors.DockerException, OSError):
        return False


@functools.cache
def compose_command() -> tuple[str, ...]:
    """``docker compose`` (v2) when the plugin is there, else ``docker-compose`` (1.29)."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ("docker", "compose")
    if shutil.which("docker-compose"):
        return ("docker-compose",)
    raise MissingDependency(
        "the compose backend needs docker compose or docker-compose: "
        "apt-get install docker.io docker-compose"
    )


def compose_file() -> Path:
    """``$CHAOSKIT_COMPOSE_FILE``, else ``compose/docker-compose.yml`` of this checkout."""
    if configured := os.environ.get(COMPOSE_FILE_ENV):
        return Path(configured)
    beside = Path(__file__).resolve().parents[2] / "compose" / "docker-compose.yml"
    if beside.is_file():
        return beside
    raise MissingDependency(
        f"no compose file: set {COMPOSE_FILE_ENV} to the path of chaoskit's "
        "compose/docker-compose.yml"
    )


def container_of(client: DockerClient, project: str, service: str) -> Container:
    """The container of ``service`` in compose project ``project``."""
    found = client.containers.list(
        all=True,
        filters={
            "label": [
                f"com.docker.compose.project={project}",
                f"com.docker.compose.service={service}",
            ]
        },
    )
    if not found:
        raise ComponentError(service, f"no container in compose project {project!r}")
    return found[0]
