"""Where each lab component listens. Defaults read like separate hosts on 127.0.10.0/24."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from chaoskit._errors import InvalidInput, describe_validation_error

__all__ = [
    "SERVICE_NAMES",
    "DynamoRegion",
    "Endpoint",
    "FleetSettings",
    "LabConfig",
    "ServiceEndpoints",
    "load_lab_config",
]

SERVICE_NAMES = ("orders", "fleet", "status", "gateway")  # start order: dependencies first

DynamoEngine = Literal["auto", "local", "moto"]


class Endpoint(BaseModel):
    """A host and port; the host must be a loopback address."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    host: str
    port: int = Field(ge=1, le=65535)

    @field_validator("host")
    @classmethod
    def _loopback_only(cls, host: str) -> str:
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            raise ValueError(f"{host} is not a loopback address; the lab listens on loopback only")
        return host

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class DynamoRegion(BaseModel):
    """One DynamoDB region of the lab: the database, the proxy in front of it, and its name."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    region: str
    record: str
    server: Endpoint
    proxy: Endpoint

    @property
    def component(self) -> str:
        return f"dynamodb-{self.region}"

    @property
    def proxy_name(self) -> str:
        return f"dynamodb-{self.region}"


class ServiceEndpoints(BaseModel):
    """Where the sample services listen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    gateway: Endpoint
    orders: Endpoint
    fleet: Endpoint
    status: Endpoint

    def of(self, name: str) -> Endpoint:
        endpoint: Endpoint = getattr(self, name)
        return endpoint


class FleetSettings(BaseModel):
    """The simulated fleet behind the fleet service (a DropletWorkflow Manager in miniature)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    hosts: int = Field(default=150, ge=1, le=10_000)
    heartbeat_s: float = Field(default=1.5, gt=0)
    lease_ttl_s: float = Field(default=4.0, gt=0)
    deadline_s: float = Field(default=1.0, gt=0)
    """How long the caller of a lease operation waits before it gives up (and may retry)."""
    workers: int = Field(default=4, ge=1, le=256)
    renew_work_ms: float = Field(default=5.0, ge=0)
    establish_work_ms: float = Field(default=30.0, ge=0)


def _services_on(prefix: str) -> ServiceEndpoints:
    return ServiceEndpoints(
        gateway=Endpoint(host=f"{prefix}.30", port=8080),
        orders=Endpoint(host=f"{prefix}.31", port=8080),
        fleet=Endpoint(host=f"{prefix}.32", port=8080),
        status=Endpoint(host=f"{prefix}.33", port=8080),
    )


class LabConfig(BaseModel):
    """The whole lab's addresses; load a YAML file with any subset of these to change them."""

    model_config = ConfigDict(extra="forbid")
    dns: Endpoint = Endpoint(host="127.0.10.53", port=5353)
    dns_admin: Endpoint = Endpoint(host="127.0.10.53", port=8053)
    toxiproxy: Endpoint = Endpoint(host="127.0.10.2", port=8474)
    regions: list[DynamoRegion] = Field(default_factory=lambda: _regions_on("127.0.10"))
    dynamodb: DynamoEngine = "auto"
    record_ttl: int = Field(default=5, ge=0, le=86400)
    services: ServiceEndpoints = Field(default_factory=lambda: _services_on("127.0.10"))
    fleet: FleetSettings = FleetSettings()

    @classmethod
    def on_subnet(cls, prefix: str) -> LabConfig:
        """The default layout moved to ``prefix``.0/24 (e.g. ``127.0.11``), for a second lab."""
        return cls(
            dns=Endpoint(host=f"{prefix}.53", port=5353),
            dns_admin=Endpoint(host=f"{prefix}.53", port=8053),
            toxiproxy=Endpoint(host=f"{prefix}.2", port=8474),
            regions=_regions_on(prefix),
            services=_services_on(prefix),
        )

    def region(self, name: str) -> DynamoRegion:
        for region in self.regions:
            if region.region == name:
                return region
        known = ", ".join(r.region for r in self.regions)
        raise InvalidInput(f"no region {name!r} in the lab; known regions: {known}")


def _regions_on(prefix: str) -> list[DynamoRegion]:
    return [
        DynamoRegion(
            region=region,
            record=f"dynamodb.{region}.lab.test.",
            server=Endpoint(host=f"{prefix}.{21 + i}", port=8000),
            proxy=Endpoint(host=f"{prefix}.{11 + i}", port=8000),
        )
        for i, region in enumerate(("us-east-1", "us-west-2"))
    ]


def load_lab_config(path: Path | None) -> LabConfig:
    """The defaults, or a YAML file's values over them; errors name the file and field."""
    if path is None:
        return LabConfig()
    try:
        data = YAML(typ="safe").load(path.read_text()) or {}
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from exc
    except YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from exc
    try:
        return LabConfig.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{path}: {describe_validation_error(exc)}") from exc
