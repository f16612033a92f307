"""Where each lab component listens. Defaults read like separate hosts on 127.0.10.0/24."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from chaoskit._errors import InvalidInput

__all__ = [
    "DNS_TOKEN_FILE",
    "SERVICE_NAMES",
    "AppService",
    "ComposeSettings",
    "Dependency",
    "DynamoRegion",
    "Endpoint",
    "FleetSettings",
    "LabConfig",
    "LoadBalancerLayout",
    "ServiceEndpoints",
    "load_lab_config",
]

SERVICE_NAMES = ("orders", "fleet", "status", "gateway")  # start order: dependencies first

DynamoEngine = Literal["auto", "local", "moto"]


class Endpoint(BaseModel):
    """A host and port: a loopback address, or a private one on a lab container network
    (the compose backend's services see each other at those)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    host: str
    port: int = Field(ge=1, le=65535)

    @field_validator("host")
    @classmethod
    def _lab_only(cls, host: str) -> str:
        if host in ("::1", "localhost"):
            return host
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"{host} is not an IP address") from None
        if address.is_unspecified:
            raise ValueError(
                f"{host} is the unspecified address (every interface); give the one loopback "
                "address the component should listen on"
            )
        if not (address.is_loopback or address.is_private):
            raise ValueError(
                f"{host} is neither loopback nor private; the lab listens on loopback "
                "(or on its own container network) only"
            )
        return host

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


LAB_ZONE = "lab.test."
DNS_TOKEN_FILE = "dns-admin.token"
DEFAULT_WEST_NET = "172.31.153"
"""The lab's zone unless the lab file names another."""
DNS_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
"""A host name's label (RFC 1123), lower-cased."""
RESOLVER_LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
"""A label as a resolver takes one: any case, and ``_`` (SRV's ``_http._tcp``)."""


def spells_domain_name(name: str, label: str = DNS_LABEL) -> bool:
    """Whether ``name``, fully qualified or not, is at most 253 characters of ``label``s."""
    text = name.removesuffix(".")
    return len(text) <= 253 and all(re.fullmatch(label, part) for part in text.split("."))


def domain_name(name: str) -> str:
    """``name`` lower-cased and fully qualified, or ValueError if it is not a host name of
    DNS labels (``Foo.Lab.Test`` -> ``foo.lab.test.``)."""
    fqdn = name.lower() if name.endswith(".") else name.lower() + "."
    if not spells_domain_name(fqdn):
        raise ValueError(f"{name!r} is not a domain name of DNS labels (letters, digits, '-')")
    return fqdn


def in_zone(name: str, zone: str) -> bool:
    """Whether fully qualified ``name`` is ``zone`` or below it."""
    return name == zone or name.endswith("." + zone)


class DynamoRegion(BaseModel):
    """One DynamoDB region of the lab: the database, the proxy in front of it, and its name."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    region: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="e.g. us-east-1")
    record: str
    server: Endpoint
    proxy: Endpoint
    name: str = ""
    """The lab file's name for it; unset, ``dynamodb-<region>``."""

    @field_validator("record")
    @classmethod
    def _a_domain_name(cls, record: str) -> str:
        return domain_name(record)

    @property
    def component(self) -> str:
        return self.name or f"dynamodb-{self.region}"

    @property
    def proxy_name(self) -> str:
        return self.component


class ServiceEndpoints(BaseModel):
    """Where the sample services listen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    gateway: Endpoint
    orders: Endpoint
    fleet: Endpoint
    status: Endpoint

    def of(self, name: str) -> Endpoint:
        endpoint: Endpoint = getattr(self, name)
        return endpoint


class FleetSettings(BaseModel):
    """The simulated fleet behind the fleet service (a DropletWorkflow Manager in miniature)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
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


LB_TARGET = "gateway"
"""The sample service the load balancer fronts; its replicas are ``gateway-2`` and on."""


class LoadBalancerLayout(BaseModel):
    """The sample load balancer (``lb``): HAProxy's nodes (one per zone, each its own
    address), its runtime API, the control plane, and the gateway replicas it fronts."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    enabled: bool = False
    nodes: list[Endpoint] = Field(min_length=1, max_length=8)
    runtime: Endpoint
    """HAProxy's runtime API (its ``stats socket``, admin level), on loopback."""
    controller: Endpoint
    """The control plane: ``/targets``, ``/health``, ``/metrics``."""
    replicas: list[Endpoint] = Field(default_factory=list, max_length=15)
    """The gateway replicas besides ``services.gateway``: ``gateway-2``, ``gateway-3``..."""
    record: str
    """The LB's own name, pointing at the nodes whose zone has a target in service."""
    checks: list[Endpoint] = Field(default_factory=list, max_length=16)
    """The health-check path to each target: a Toxiproxy proxy of its own (``lb-checks-NAME``),
    so a fault can fail the checks while the target serves the traffic HAProxy sends it."""

    @field_validator("record")
    @classmethod
    def _a_domain_name(cls, record: str) -> str:
        return domain_name(record)

    def replica_names(self) -> list[str]:
        return [f"{LB_TARGET}-{i + 2}" for i in range(len(self.replicas))]

    def targets(self) -> list[str]:
        """The names of its targets: the gateway and its replicas."""
        return [LB_TARGET, *self.replica_names()]

    def check_proxy(self, target: str) -> str:
        """The Toxiproxy proxy the checks of ``target`` go through."""
        return f"lb-checks-{target}"

    def without(self) -> LoadBalancerLayout:
        return self.model_copy(update={"enabled": False})

    def zone_of(self, target_index: int) -> int:
        """The node (zone) a target lives in: targets are spread over the zones in turn."""
        return target_index % len(self.nodes)


REPLICA_BASE = 200
"""Gateway replica ``gateway-(i + 2)`` listens on ``SUBNET.(200 + i)``."""
CHECK_PROXY_BASE = 230
"""The health checks of the load balancer's target ``i`` go through ``SUBNET.(230 + i)``."""


LB_RUNTIME_PORT = 9999
"""HAProxy's runtime API listens on this port of its node's (or its own) address."""


def _lb_on(
    prefix: str, zone: str = LAB_ZONE, enabled: bool = False, replicas: int = 3
) -> LoadBalancerLayout:
    return LoadBalancerLayout(
        enabled=enabled,
        nodes=[Endpoint(host=f"{prefix}.{40 + i}", port=8080) for i in range(3)],
        runtime=Endpoint(host=f"{prefix}.44", port=LB_RUNTIME_PORT),
        controller=Endpoint(host=f"{prefix}.43", port=8080),
        replicas=[
            Endpoint(host=f"{prefix}.{REPLICA_BASE + i}", port=8080) for i in range(replicas - 1)
        ],
        record=f"lb.{zone}",
        checks=[
            Endpoint(host=f"{prefix}.{CHECK_PROXY_BASE + i}", port=8080) for i in range(replicas)
        ],
    )


COMPOSE_REPLICA_BASE = 60
"""On the compose backend, gateway replica ``gateway-(i + 2)`` is the container at
``NET.(60 + i)``, below the network's range for dynamic addresses (.128/25)."""
COMPOSE_APP_BASE = 80
"""On the compose backend, a lab file's service ``i`` is its container at ``NET.(80 + i)``."""
COMPOSE_DEPENDENCY_BASE = 100
"""... and the compose service of its dependency ``i`` is at ``NET.(100 + i)``."""
MAX_COMPOSE_APPS = COMPOSE_DEPENDENCY_BASE - COMPOSE_APP_BASE
MAX_COMPOSE_DEPENDENCIES = 128 - COMPOSE_DEPENDENCY_BASE
COMPOSE_CHECK_PORT_BASE = 9100
"""On the compose backend, target ``i``'s health checks go through Toxiproxy's own address
on the lab network, port 9100 + i (a container has one address per network)."""


def _compose_lb(net: str, targets: int) -> LoadBalancerLayout:
    """The load balancer as the compose backend's containers see it: one HAProxy node, the
    container at ``NET.40`` (one address on the lab network: one zone), its runtime API on
    that address, the control plane at ``NET.43``."""
    return LoadBalancerLayout(
        enabled=True,
        nodes=[Endpoint(host=f"{net}.40", port=8080)],
        runtime=Endpoint(host=f"{net}.40", port=LB_RUNTIME_PORT),
        controller=Endpoint(host=f"{net}.43", port=8080),
        replicas=[
            Endpoint(host=f"{net}.{COMPOSE_REPLICA_BASE + i}", port=8080)
            for i in range(targets - 1)
        ],
        record=f"lb.{LAB_ZONE}",
        checks=[
            Endpoint(host=f"{net}.2", port=COMPOSE_CHECK_PORT_BASE + i) for i in range(targets)
        ],
    )


HEALTH_PATTERN = r"^(tcp|http:/[^\s]*)$"


class Dependency(BaseModel):
    """Something a team's service needs (Redis, Postgres, another API), behind its own
    Toxiproxy proxy and named ``NAME.<zone>``; chaoskit starts it when it has a command."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: str
    upstream: Endpoint
    """Where the real thing listens."""
    proxy: Endpoint
    """The lab address its proxy listens on; the A record points here."""
    record: str
    command: list[str] | None = None
    cwd: str | None = None
    health: str = Field(default="tcp", pattern=HEALTH_PATTERN)
    start_timeout_s: float = Field(default=15.0, gt=0)
    container: str | None = None
    """On the compose backend, the team's compose service that provides it."""


class AppService(BaseModel):
    """A team's own service, started by chaoskit with the lab resolver as its resolver."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: str
    command: list[str] = Field(min_length=1)
    cwd: str
    listen: Endpoint
    health: str = Field(default="tcp", pattern=HEALTH_PATTERN)
    start_timeout_s: float = Field(default=20.0, gt=0)
    stop_timeout_s: float = Field(default=5.0, gt=0)
    env: dict[str, str] = Field(default_factory=dict)
    metrics: str | None = None
    """A URL of Prometheus series the recorder scrapes."""
    system_resolver: bool = True
    """Run it with the lab resolver as its system resolver (``/etc/resolv.conf``)."""

    @property
    def url(self) -> str:
        return f"http://{self.listen}"


class LabConfig(BaseModel):
    """The whole lab's addresses; load a YAML file with any subset of these to change them."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    zone: str = LAB_ZONE
    """The lab's zone: the DNS server is its authority, every lab record lies below it."""
    dns: Endpoint = Endpoint(host="127.0.10.53", port=5353)
    dns_admin: Endpoint = Endpoint(host="127.0.10.53", port=8053)
    resolver: Endpoint = Endpoint(host="127.0.10.54", port=53)
    """The lab resolver (Unbound): every client's system resolver in system mode."""
    resolver_control: Endpoint = Endpoint(host="127.0.10.54", port=8953)
    toxiproxy: Endpoint = Endpoint(host="127.0.10.2", port=8474)
    regions: list[DynamoRegion] = Field(default_factory=lambda: _regions_on("127.0.10"))
    dynamodb: DynamoEngine = "auto"
    record_ttl: int = Field(default=5, ge=0, le=86400)
    services: ServiceEndpoints = Field(default_factory=lambda: _services_on("127.0.10"))
    fleet: FleetSettings = FleetSettings()
    lb: LoadBalancerLayout = Field(default_factory=lambda: _lb_on("127.0.10"))
    """The sample load balancer in front of gateway replicas (when ``lb.enabled``)."""
    sample_services: bool = True
    """Whether the lab runs the sample services (gateway, orders, fleet, status)."""
    dependencies: list[Dependency] = Field(default_factory=list)
    apps: list[AppService] = Field(default_factory=list)
    """The team's own services, from the lab file."""
    zone_files: list[str] = Field(default_factory=list)
    """More RFC 1035 zones the lab DNS server serves and the resolver asks it for."""
    toxiproxy_attach: bool = False
    """Toxiproxy is the team's own (at ``toxiproxy``): configured and faulted, never started."""
    dns_attach: bool = False
    """The DNS server (at ``dns``, its admin API at ``dns_admin``) is a ``chaoskit dns serve``
    started by someone else: chaoskit puts its records in and faults them, never starts it."""
    dns_token_file: str | None = None
    """The attached DNS server's admin token file; None: the state directory's own."""
    _up_on: str | None = PrivateAttr(default=None)

    @property
    def up_on(self) -> str | None:
        """The backend of the lab up that this is the config of (never saved); None when
        it was read from a lab file or is the sample stack's default."""
        return self._up_on

    def as_up_on(self, backend: str) -> LabConfig:
        self._up_on = backend
        return self

    def dns_token_path(self, state_dir: Path) -> Path:
        """Where the DNS admin API's bearer token is read from."""
        return Path(self.dns_token_file) if self.dns_token_file else state_dir / DNS_TOKEN_FILE

    load_host: str | None = None
    """The lab file's ``load.host``: where load and the recorder's probe go by default."""
    probe_path: str | None = None
    lab_file: str | None = None
    """The lab file this lab was described by, if any."""

    @field_validator("zone")
    @classmethod
    def _zone_is_a_domain_name(cls, zone: str) -> str:
        if zone.strip(".") == "":
            raise ValueError("the lab zone cannot be the root")
        return domain_name(zone)

    @classmethod
    def on_subnet(cls, prefix: str, zone: str = LAB_ZONE) -> LabConfig:
        """The default layout moved to ``prefix``.0/24 (e.g. ``127.0.11``), for a second lab,
        its names under ``zone``."""
        return cls(
            zone=zone,
            dns=Endpoint(host=f"{prefix}.53", port=5353),
            dns_admin=Endpoint(host=f"{prefix}.53", port=8053),
            resolver=Endpoint(host=f"{prefix}.54", port=53),
            resolver_control=Endpoint(host=f"{prefix}.54", port=8953),
            toxiproxy=Endpoint(host=f"{prefix}.2", port=8474),
            regions=_regions_on(prefix, domain_name(zone)),
            services=_services_on(prefix),
            lb=_lb_on(prefix, domain_name(zone)),
        )

    def with_load_balancer(self, replicas: int = 3) -> LabConfig:
        """This lab with the sample load balancer on, in front of ``replicas`` gateways."""
        prefix = self.services.gateway.host.rsplit(".", 1)[0]
        return self.model_copy(update={"lb": _lb_on(prefix, self.zone, True, replicas)})

    def without_load_balancer(self) -> LabConfig:
        return self.model_copy(update={"lb": self.lb.without()})

    @property
    def load_balanced(self) -> bool:
        return self.lb.enabled and self.sample_services

    def sample_endpoint(self, name: str) -> Endpoint:
        """Where sample component ``name`` listens: a service, a gateway replica, or the
        load balancer's control plane (``lb``)."""
        if name == "lb":
            return self.lb.controller
        if name in self.lb.replica_names():
            return self.lb.replicas[self.lb.replica_names().index(name)]
        return self.services.of(name)

    @classmethod
    def in_containers(
        cls, net: str, west_net: str = DEFAULT_WEST_NET, lb_targets: int | None = None
    ) -> LabConfig:
        """The lab as the compose backend's containers see it on ``net``.0/24: the DNS
        server on port 53 (the system resolver asks nowhere else), every service on port
        8080, and one Toxiproxy that gives each region's proxy its own address, as the local
        backend does: us-east-1's on the lab network, us-west-2's on a second network,
        ``west_net``.0/24, that Toxiproxy and the services join too. Both on port 8000, so a
        record failed over to the other region's address reaches that region's proxy. With
        ``lb_targets``, the sample load balancer in front of that many gateways."""
        proxies = (f"{net}.2", f"{west_net}.2")
        return cls(
            dns=Endpoint(host=f"{net}.53", port=53),
            dns_admin=Endpoint(host=f"{net}.53", port=8053),
            resolver=Endpoint(host=f"{net}.54", port=53),
            resolver_control=Endpoint(host=f"{net}.54", port=8953),
            toxiproxy=Endpoint(host=proxies[0], port=8474),
            regions=[
                DynamoRegion(
                    region=region,
                    record=f"dynamodb.{region}.{LAB_ZONE}",
                    server=Endpoint(host=f"{net}.{21 + i}", port=8000),
                    proxy=Endpoint(host=proxies[i], port=8000),
                )
                for i, region in enumerate(("us-east-1", "us-west-2"))
            ],
            services=_services_on(net),
            lb=_compose_lb(net, lb_targets) if lb_targets else _lb_on(net),
        )

    def region(self, name: str) -> DynamoRegion:
        for region in self.regions:
            if region.region == name:
                return region
        known = ", ".join(r.region for r in self.regions)
        raise InvalidInput(f"no region {name!r} in the lab; known regions: {known}")


class ComposeSettings(BaseModel):
    """Where a compose lab lives: its project, its container network, its published ports."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    project: str = Field(default="chaoskit", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    net: str = Field(default="172.31.53", pattern=r"^\d{1,3}\.\d{1,3}\.\d{1,3}$")
    """The lab network is ``net``.0/24; containers have fixed addresses in it."""
    west_net: str = Field(default=DEFAULT_WEST_NET, pattern=r"^\d{1,3}\.\d{1,3}\.\d{1,3}$")
    """The second network, ``west_net``.0/24, where us-west-2's proxy has its address."""
    port_base: int = Field(default=18000, ge=1024, le=65000)
    """Published on 127.0.0.1: DynamoDB +0/+1, DNS +53, DNS admin +54, the resolver +55 and
    its remote control +56, Toxiproxy +74, gateway, orders, fleet and status +80..+83."""
    images: dict[str, str] = Field(default_factory=dict)
    """The image variables (``CHAOSKIT_IMAGE``, ...) the lab was brought up with, so later
    commands use the same images whatever their environment says."""

    @model_validator(mode="after")
    def _two_networks(self) -> ComposeSettings:
        if self.west_net == self.net:
            raise ValueError(f"west_net must be another network than net ({self.net})")
        return self

    def ports(self) -> dict[str, int]:
        """The compose file's port variables and their values."""
        base = self.port_base
        return {
            "CHAOSKIT_DYNAMODB_EAST_PORT": base,
            "CHAOSKIT_DYNAMODB_WEST_PORT": base + 1,
            "CHAOSKIT_DNS_PORT": base + 53,
            "CHAOSKIT_DNS_ADMIN_PORT": base + 54,
            "CHAOSKIT_RESOLVER_PORT": base + 55,
            "CHAOSKIT_RESOLVER_CONTROL_PORT": base + 56,
            "CHAOSKIT_TOXIPROXY_PORT": base + 74,
            "CHAOSKIT_GATEWAY_PORT": base + 80,
            "CHAOSKIT_ORDERS_PORT": base + 81,
            "CHAOSKIT_FLEET_PORT": base + 82,
            "CHAOSKIT_STATUS_PORT": base + 83,
        }

    def lb_ports(self) -> dict[str, int]:
        """Where the load balancer is published: its node +40, its control plane +43, its
        runtime API +44; gateway replica ``gateway-(i + 2)`` at +84 + i."""
        base = self.port_base
        return {"node": base + 40, "controller": base + 43, "runtime": base + 44,
                "replicas": base + 84}  # fmt: skip

    def host_config(self, lb_targets: int | None = None) -> LabConfig:
        """The lab as the controller on the host reaches it: published ports on 127.0.0.1.
        A region's proxy, and a health-check path of the load balancer (``lb_targets``
        gateways), stay the in-network addresses the services are given."""
        lo, ports = "127.0.0.1", self.ports()
        inside = LabConfig.in_containers(self.net, self.west_net, lb_targets)
        lb_ports = self.lb_ports()
        lb = inside.lb.model_copy(
            update={
                "nodes": [Endpoint(host=lo, port=lb_ports["node"])],
                "runtime": Endpoint(host=lo, port=lb_ports["runtime"]),
                "controller": Endpoint(host=lo, port=lb_ports["controller"]),
                "replicas": [
                    Endpoint(host=lo, port=lb_ports["replicas"] + i)
                    for i in range(len(inside.lb.replicas))
                ],
            }
        )
        servers = (ports["CHAOSKIT_DYNAMODB_EAST_PORT"], ports["CHAOSKIT_DYNAMODB_WEST_PORT"])
        return LabConfig(
            dns=Endpoint(host=lo, port=ports["CHAOSKIT_DNS_PORT"]),
            dns_admin=Endpoint(host=lo, port=ports["CHAOSKIT_DNS_ADMIN_PORT"]),
            resolver=Endpoint(host=lo, port=ports["CHAOSKIT_RESOLVER_PORT"]),
            resolver_control=Endpoint(host=lo, port=ports["CHAOSKIT_RESOLVER_CONTROL_PORT"]),
            toxiproxy=Endpoint(host=lo, port=ports["CHAOSKIT_TOXIPROXY_PORT"]),
            regions=[
                region.model_copy(update={"server": Endpoint(host=lo, port=port)})
                for region, port in zip(inside.regions, servers, strict=True)
            ],
            services=ServiceEndpoints(
                **{
                    name: Endpoint(host=lo, port=ports[f"CHAOSKIT_{name.upper()}_PORT"])
                    for name in SERVICE_NAMES
                }
            ),
            lb=lb,
        )


class ComposeStack(BaseModel):
    """A lab file's own compose services on the compose backend: the team's compose files
    (relative paths in them are the lab file's directory's), which component each service
    is, and the lab as those containers see it (their env expanded for it)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    files: list[str] = Field(default_factory=list)
    project_dir: str
    containers: dict[str, str] = Field(default_factory=dict)
    """Component (a service or a dependency of the lab file) -> its compose service."""
    inside: LabConfig


def _regions_on(prefix: str, zone: str = LAB_ZONE) -> list[DynamoRegion]:
    return [
        DynamoRegion(
            region=region,
            record=f"dynamodb.{region}.{zone}",
            server=Endpoint(host=f"{prefix}.{21 + i}", port=8000),
            proxy=Endpoint(host=f"{prefix}.{11 + i}", port=8000),
        )
        for i, region in enumerate(("us-east-1", "us-west-2"))
    ]


def load_lab_config(path: Path | None) -> LabConfig:
    """The defaults, or a YAML file's values over them; every problem at its line and field,
    including addresses that are not loopback or are used twice, and duplicate regions."""
    if path is None:
        return LabConfig()
    from chaoskit._input import InputInvalid, read_text
    from chaoskit._yaml import YamlMap, load_yaml
    from chaoskit.experiment.load import Problem, plain, problem_at, schema_problems

    file = str(path)
    root = load_yaml(read_text(path), file)
    if root is None:
        return LabConfig()
    if not isinstance(root, YamlMap):
        raise InputInvalid(
            [Problem(file, 1, 1, "(file)", "a lab config is a mapping of addresses")]
        )
    try:
        config = LabConfig.model_validate(plain(root))
    except ValidationError as exc:
        raise InputInvalid(schema_problems(file, root, exc, LabConfig)) from None
    problems = [problem_at(file, root, loc, message) for loc, message in layout_problems(config)]
    if problems:
        raise InputInvalid(problems)
    return config


def _endpoints(config: LabConfig) -> list[tuple[tuple[int | str, ...], Endpoint]]:
    found: list[tuple[tuple[int | str, ...], Endpoint]] = [
        (("dns",), config.dns), (("dns_admin",), config.dns_admin),
        (("resolver",), config.resolver), (("resolver_control",), config.resolver_control),
        (("toxiproxy",), config.toxiproxy),
    ]  # fmt: skip
    for i, region in enumerate(config.regions):
        found += [
            (("regions", i, "server"), region.server),
            (("regions", i, "proxy"), region.proxy),
        ]
    if config.sample_services:
        found += [(("services", name), config.services.of(name)) for name in SERVICE_NAMES]
    if config.load_balanced:
        lb = config.lb
        found += [(("lb", "nodes", i), node) for i, node in enumerate(lb.nodes)]
        found += [(("lb", "runtime"), lb.runtime), (("lb", "controller"), lb.controller)]
        found += [(("lb", "replicas", i), replica) for i, replica in enumerate(lb.replicas)]
        found += [(("lb", "checks", i), check) for i, check in enumerate(lb.checks)]
    for i, dependency in enumerate(config.dependencies):
        found += [
            (("dependencies", i, "upstream"), dependency.upstream),
            (("dependencies", i, "proxy"), dependency.proxy),
        ]
    found += [(("apps", i, "listen"), app.listen) for i, app in enumerate(config.apps)]
    return found


def layout_problems(config: LabConfig) -> list[tuple[tuple[int | str, ...], str]]:
    """A local lab listens on loopback only, each address once, each region once, every
    record in the lab zone."""
    problems: list[tuple[tuple[int | str, ...], str]] = []
    seen: dict[tuple[str, int], str] = {}
    for loc, endpoint in _endpoints(config):
        where = ".".join(str(part) for part in loc)
        if (
            endpoint.host not in ("localhost", "::1")
            and not ipaddress.ip_address(endpoint.host).is_loopback
        ):
            message = f"{endpoint.host} is not a loopback address; the local lab listens on "
            problems.append(((*loc, "host"), message + "loopback only (127.0.0.0/8 or ::1)"))
        key = (endpoint.host, endpoint.port)
        if key in seen:
            problems.append(((*loc, "port"), f"{endpoint} is also {seen[key]}'s address"))
        else:
            seen[key] = where
    regions: dict[str, int] = {}
    for i, region in enumerate(config.regions):
        if not in_zone(region.record, config.zone):
            message = f"{region.record!r} is not a name in the lab zone {config.zone}"
            problems.append((("regions", i, "record"), message))
        if region.region in regions:
            first = regions[region.region]
            message = f"region {region.region} is given twice (also regions[{first}])"
            problems.append((("regions", i, "region"), message))
        regions.setdefault(region.region, i)
    if config.load_balanced and not in_zone(config.lb.record, config.zone):
        message = f"{config.lb.record!r} is not a name in the lab zone {config.zone}"
        problems.append((("lb", "record"), message))
    return problems
