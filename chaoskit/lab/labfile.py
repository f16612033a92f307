"""The lab file (``chaoskit.yaml``): the services, dependencies and names a team brings.

Read like an experiment: every problem at once as ``file:line:col: field: message``, and
nothing started when there is one. The result is a :class:`LabConfig`, the catalogue every
other part of chaoskit reads.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)

from chaoskit._input import InputInvalid, Problem, read_text, unusable
from chaoskit._text import http_url_problem
from chaoskit._yaml import YamlMap, load_yaml
from chaoskit.experiment.durations import Duration
from chaoskit.lab.config import (
    COMPOSE_APP_BASE,
    COMPOSE_DEPENDENCY_BASE,
    HEALTH_PATTERN,
    LAB_ZONE,
    MAX_COMPOSE_APPS,
    MAX_COMPOSE_DEPENDENCIES,
    SERVICE_NAMES,
    AppService,
    ComposeSettings,
    ComposeStack,
    Dependency,
    DynamoRegion,
    Endpoint,
    LabConfig,
    domain_name,
    in_zone,
)
from chaoskit.paths import LAB_FILE_NAME, find_lab_file

__all__ = [
    "LAB_FILE_NAME",
    "LabFile",
    "compose_views",
    "find_lab_file",
    "lab_config_from_file",
    "load_lab_file",
]

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,39}$"
"""A component name is a DNS label: it becomes ``NAME.<zone>``."""
RESERVED = ("dns", "resolver", "toxiproxy", "watchdog", "forkserver", "loadserver", "lab")
SAMPLE_NAMES = (*SERVICE_NAMES, "lb", "haproxy")
"""The sample stack's components, with its load balancer (and its gateway-N replicas)."""
_REFERENCE = re.compile(r"\$\{([^${}]*)\}")
MAX_DYNAMODB_REGIONS = 8
DEPENDENCY_PROXY_BASE = 100
"""A dependency's proxy gets ``SUBNET.(100 + i)`` unless the file gives ``proxy``."""
MAX_DEPENDENCIES = 100
"""So that each gets an address of its own on the /24 (``.100``-``.199``, on the compose
network too); more was a traceback past ``.255``."""


def _host_port(value: object) -> object:
    """``"127.0.10.61:6390"`` (or ``"[::1]:6390"``) as an Endpoint's fields."""
    if not isinstance(value, str):
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT such as 127.0.10.61:6390, got {value!r}")
    return {"host": host.strip("[]"), "port": int(port)}


HOST_PORT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"^(\[[0-9A-Fa-f:.]+\]|[^:\s\[\]]+):[0-9]{1,5}$",
         "description": "HOST:PORT, e.g. 127.0.10.61:6390"},
        {"type": "object", "additionalProperties": False, "required": ["host", "port"],
         "properties": {"host": {"type": "string"},
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535}}},
    ]
}  # fmt: skip
HostPort = Annotated[Endpoint, BeforeValidator(_host_port), WithJsonSchema(HOST_PORT_SCHEMA)]

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
SUBNET_PATTERN = rf"^127\.{_OCTET}\.{_OCTET}$"
"""``127.X.Y``: the lab's own components listen on ``127.X.Y.0/24``."""


def _subnet(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(SUBNET_PATTERN, value):
        raise ValueError(
            f"expected 127.X.Y with X and Y from 0 to 255 and no leading zeros (the lab "
            f"listens on 127.X.Y.0/24), e.g. 127.0.10; got {value!r}"
        )
    return value


def _health(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(HEALTH_PATTERN, value):
        raise ValueError(
            "expected tcp (the port accepts a connection) or http:/PATH (GET PATH answers "
            f"2xx), e.g. http:/healthz; got {value!r}"
        )
    return value


Health = Annotated[
    str,
    BeforeValidator(_health),
    Field(json_schema_extra={"pattern": HEALTH_PATTERN}, description="tcp or http:/path"),
]


def _env_value(value: object) -> object:
    if isinstance(value, (dict, list)) or value is None:
        raise ValueError("expected a string, a number or true/false")
    return value


EnvValue = Annotated[str | int | float | bool, BeforeValidator(_env_value)]


def _argument(value: object) -> object:
    if isinstance(value, bool | int | float):
        what = "boolean" if isinstance(value, bool) else "number"
        raise ValueError(
            f"expected a string, got the {what} {str(value).lower()}: quote it so that it is "
            "passed exactly as written (YAML reads 0x10 as 16 and 1.10 as 1.1)"
        )
    return value


Argument = Annotated[str, BeforeValidator(_argument)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DynamoChoice(_Entry):
    region: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="e.g. us-east-1")


class DependencyEntry(_Entry):
    upstream: HostPort | None = Field(
        default=None, description="where the real thing listens (loopback or private only)"
    )
    proxy: HostPort | None = Field(
        default=None, description="the lab address of its proxy (default SUBNET.100 + i)"
    )
    command: list[Argument] | None = Field(default=None, min_length=1)
    cwd: str | None = None
    health: Health = "tcp"
    start_timeout: Duration = Field(default=15.0, gt=0)
    dynamodb: DynamoChoice | None = Field(
        default=None, description="the built-in DynamoDB Local for that region"
    )


class ServiceEntry(_Entry):
    command: list[Argument] = Field(min_length=1, description="argv; relative to cwd")
    cwd: str | None = Field(default=None, description="relative to the lab file")
    listen: HostPort
    health: Health = "tcp"
    start_timeout: Duration = Field(default=20.0, gt=0)
    stop_timeout: Duration = Field(default=5.0, gt=0)
    env: dict[str, EnvValue] = Field(default_factory=dict)
    metrics: str | None = Field(default=None, description="a Prometheus endpoint to record")
    system_resolver: bool = Field(
        default=True, description="run with the lab resolver as /etc/resolv.conf"
    )


class ToxiproxyEntry(_Entry):
    attach: HostPort = Field(description="a Toxiproxy chaoskit did not start")


class DnsEntry(_Entry):
    attach: HostPort = Field(description="a `chaoskit dns serve` chaoskit did not start")
    admin: HostPort = Field(description="its admin API (--admin-listen, --admin-port)")
    token_file: str = Field(description="its --token-file; relative to the lab file")


def _service_port(value: object) -> object:
    """``"redis:6379"``: a compose service and the port it listens on."""
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*:\d{1,5}", value):
        raise ValueError(f"expected SERVICE:PORT such as redis:6379, got {value!r}")
    return value


class ComposeEntry(_Entry):
    files: list[str] = Field(default_factory=list, description="relative to the lab file")
    services: list[str] = Field(
        default_factory=list, description="services: entries that run as these compose services"
    )
    dependencies: dict[str, Annotated[str, BeforeValidator(_service_port)]] = Field(
        default_factory=dict,
        description="dependency -> SERVICE:PORT of compose.files that its proxy forwards to",
    )


class LoadBalancerEntry(_Entry):
    replicas: int = Field(default=3, ge=1, le=16, description="gateway replicas behind it")


class LoadEntry(_Entry):
    host: str | None = None
    probe: str | None = Field(default=None, pattern=r"^/", description="a path on load.host")


class LabFile(_Entry):
    """A lab: the zone, the dependencies, the services; the sample stack when it names none."""

    zone: str = Field(default="lab.test", description="the lab's zone; NAME.<zone> per dependency")
    zone_files: list[str] = Field(default_factory=list)
    subnet: Annotated[str | None, BeforeValidator(_subnet)] = Field(
        default=None,
        json_schema_extra={"pattern": SUBNET_PATTERN},
        description="the lab's own components on SUBNET.0/24 (default 127.0.10)",
    )
    sample_services: bool | None = Field(
        default=None, description="gateway/orders/fleet/status; default: when no services"
    )
    dynamodb_engine: Literal["auto", "local", "moto"] = "auto"
    record_ttl: int = Field(default=5, ge=0, le=86400)
    toxiproxy: ToxiproxyEntry | None = None
    dns: DnsEntry | None = None
    dependencies: dict[str, DependencyEntry] = Field(
        default_factory=dict, max_length=MAX_DEPENDENCIES
    )
    services: dict[str, ServiceEntry] = Field(default_factory=dict)
    compose: ComposeEntry | None = None
    load: LoadEntry | None = None
    load_balancer: LoadBalancerEntry | None = Field(
        default=None, description="the sample load balancer (HAProxy) in front of the gateway"
    )


Loc = tuple[int | str, ...]


def load_lab_file(path: Path) -> LabFile:
    """Just the file's model (for ``status`` and the compose backend)."""
    return _read(path)[0]


def lab_config_from_file(path: Path) -> LabConfig:
    """The lab the file describes, or every problem in it (exit 2)."""
    model, root, file = _read(path)
    builder = _Builder(model, root, file, path.resolve().parent)
    config = builder.build()
    if builder.problems:
        raise InputInvalid(builder.problems)
    return config


def compose_views(
    path: Path, settings: ComposeSettings, lb_targets: int | None = None
) -> tuple[LabConfig, ComposeStack]:
    """The lab the file describes on the compose backend, as the controller on the host
    reaches it, and its own compose services with the lab as their containers see it
    (``lb_targets``: the sample load balancer's, when the lab has one); or every problem
    in it (exit 2)."""
    model, root, file = _read(path)
    base_dir = path.resolve().parent
    host = _Builder(model, root, file, base_dir, settings, lb_targets)
    inside = _Builder(model, root, file, base_dir, settings, lb_targets, inside=True)
    host_config, inside_config = host.build(), inside.build()
    if host.problems:  # both read the same file; the host view reports every problem
        raise InputInvalid(host.problems)
    containers = {app.name: app.name for app in host_config.apps}
    containers.update({d.name: d.container for d in host_config.dependencies if d.container})
    stack = ComposeStack(
        files=[str(base_dir / name) for name in (model.compose or ComposeEntry()).files],
        project_dir=str(base_dir),
        containers=containers,
        inside=inside_config,
    )
    return host_config, stack


def _read(path: Path) -> tuple[LabFile, Any, str]:
    from chaoskit.experiment.load import plain, schema_problems

    file = str(path)
    root = load_yaml(read_text(path), file)
    if root is None:
        return LabFile(), YamlMap((1, 1)), file
    if not isinstance(root, YamlMap):
        raise InputInvalid([Problem(file, 1, 1, "(file)", "a lab file is a mapping")])
    data = plain(root)
    for section in ("dependencies", "services"):  # a section left with only comments
        if section in data and data[section] is None:
            del data[section]
    try:
        return LabFile.model_validate(data), root, file
    except ValidationError as exc:
        raise InputInvalid(schema_problems(file, root, exc, LabFile)) from None


class _Builder:
    """Turns the file's model into a LabConfig, collecting every problem on the way."""

    def __init__(
        self,
        model: LabFile,
        root: Any,
        file: str,
        base_dir: Path,
        compose: ComposeSettings | None = None,
        lb_targets: int | None = None,
        inside: bool = False,
    ) -> None:
        """``compose``: the lab on that compose backend, as the controller sees it, or as
        its containers do (``inside``), with the load balancer in front of ``lb_targets``."""
        self.model, self.root, self.file, self.base_dir = model, root, file, base_dir
        self.compose, self.lb_targets, self.inside = compose, lb_targets, inside
        self.problems: list[Problem] = []

    def problem(self, loc: Loc, message: str) -> None:
        from chaoskit.experiment.load import problem_at

        self.problems.append(problem_at(self.file, self.root, loc, message))

    def build(self) -> LabConfig:
        model = self.model
        self.zone = self._zone()
        prefix = model.subnet or "127.0.10"
        samples = model.sample_services if model.sample_services is not None else not model.services
        if model.load_balancer is not None and not samples:
            self.problem(("load_balancer",), "the load balancer fronts the sample gateway; "
                         "it needs sample_services: true")  # fmt: skip
        base = self._base(prefix, samples)
        self._check_names(samples)
        regions = self._regions(base, prefix, samples)
        dependencies = self._dependencies(prefix)
        listens = self._listens()
        refs = self._references(base, regions, dependencies, samples, listens)
        apps = self._apps(refs, listens)
        toxiproxy = model.toxiproxy.attach if model.toxiproxy else base.toxiproxy
        load_host = None
        if model.load is not None and model.load.host is not None:
            load_host = self._expand(model.load.host, refs, ("load", "host"))
            bad = http_url_problem(load_host, "http://127.0.10.70:8080")
            if bad:
                self.problem(("load", "host"), bad)
        config = base.model_copy(update={
            "regions": regions, "dependencies": dependencies, "apps": apps,
            "sample_services": samples, "dynamodb": model.dynamodb_engine,
            "record_ttl": model.record_ttl, "toxiproxy": toxiproxy,
            "toxiproxy_attach": model.toxiproxy is not None, **self._dns(base),
            "zone_files": self._zone_files(), "load_host": load_host,
            "probe_path": model.load.probe if model.load else None,
            "lab_file": str(Path(self.file).resolve()),
        })  # fmt: skip
        if self.compose is None:
            self._check_addresses(config)
        elif not self.inside:  # the host view's problems are the ones reported
            self._check_compose_lab(config)
        self._check_compose()
        return config

    def _base(self, prefix: str, samples: bool) -> LabConfig:
        """The lab's own components: on the subnet, or on the compose backend's network."""
        entry = self.model.load_balancer
        if self.compose is None:
            base = LabConfig.on_subnet(prefix, self.zone)
            return base.with_load_balancer(entry.replicas) if entry and samples else base
        targets = self.lb_targets if samples else None
        if self.inside:
            base = LabConfig.in_containers(self.compose.net, self.compose.west_net, targets)
        else:
            base = self.compose.host_config(targets)
        return base.model_copy(update={
            "zone": self.zone, "lb": base.lb.model_copy(update={"record": f"lb.{self.zone}"}),
            "regions": [r.model_copy(update={"record": f"dynamodb.{r.region}.{self.zone}"})
                        for r in base.regions],
        })  # fmt: skip

    # ---- names ----------------------------------------------------------------------------
    def _zone(self) -> str:
        try:
            zone = domain_name(self.model.zone)
        except ValueError as exc:
            self.problem(("zone",), f"{exc}; e.g. lab.test or corp.internal")
            return LAB_ZONE
        if zone.count(".") < 2:
            self.problem(("zone",), f"{self.model.zone!r} is a top-level domain; the lab serves "
                         "a zone below one, e.g. lab.test or orders.internal")  # fmt: skip
            return LAB_ZONE
        return zone

    def _check_names(self, samples: bool) -> None:
        taken: dict[str, Loc] = {}
        for section in ("dependencies", "services"):
            for name in getattr(self.model, section):
                loc: Loc = (section, name)
                if not re.fullmatch(NAME_PATTERN, name):
                    self.problem(loc, f"{name!r} is not a component name: lower-case letters, "
                                 "digits and '-', starting with a letter (it becomes "
                                 f"NAME.{self.zone.rstrip('.')})")  # fmt: skip
                elif (
                    name in RESERVED
                    or (samples and name in SAMPLE_NAMES)
                    or (samples and re.fullmatch(r"gateway-\d+", name))
                ):
                    self.problem(loc, f"{name!r} is the name of one of the lab's own components; "
                                 "choose another")  # fmt: skip
                elif name in taken:
                    other = ".".join(str(p) for p in taken[name])
                    self.problem(loc, f"{name!r} is also {other}; each name once")
                taken.setdefault(name, loc)

    # ---- DynamoDB regions and dependencies ------------------------------------------------
    def _regions(self, base: LabConfig, prefix: str, samples: bool) -> list[DynamoRegion]:
        chosen = {n: d.dynamodb.region for n, d in self.model.dependencies.items() if d.dynamodb}
        defaults = {r.region: r for r in base.regions}
        if self.compose is not None and not samples:  # the compose file's DynamoDB Locals
            for name, region in chosen.items():
                if region not in defaults:
                    self.problem(("dependencies", name, "dynamodb", "region"),
                                 "the compose backend has DynamoDB Local for "
                                 f"{', '.join(defaults)}; got {region!r}")  # fmt: skip
            names = {region: name for name, region in chosen.items()}
            return [r.model_copy(update={"name": names[r.region]}) for r in base.regions
                    if r.region in names]  # fmt: skip
        if samples:  # the sample services need both regions; a lab file may name them
            names = {region: name for name, region in chosen.items()}
            for name, region in chosen.items():
                if region not in defaults:
                    self.problem(("dependencies", name, "dynamodb", "region"),
                                 f"the sample stack's regions are {', '.join(defaults)}; "
                                 f"got {region!r}")  # fmt: skip
            return [r.model_copy(update={"name": names.get(r.region, "")}) for r in base.regions]
        regions: list[DynamoRegion] = []
        seen: dict[str, str] = {}
        extra = 0
        for name, region in chosen.items():
            loc: Loc = ("dependencies", name, "dynamodb", "region")
            if region in seen:
                self.problem(loc, f"region {region} is also dependency {seen[region]!r}")
                continue
            seen[region] = name
            if region in defaults:  # the default layout's addresses for its regions
                i = list(defaults).index(region)
            else:
                i, extra = len(defaults) + extra, extra + 1
            if i >= MAX_DYNAMODB_REGIONS:
                self.problem(loc, f"a lab has at most {MAX_DYNAMODB_REGIONS} DynamoDB regions")
                continue
            regions.append(DynamoRegion(
                region=region, record=f"dynamodb.{region}.{self.zone}", name=name,
                server=Endpoint(host=f"{prefix}.{21 + i}", port=8000),
                proxy=Endpoint(host=f"{prefix}.{11 + i}", port=8000),
            ))  # fmt: skip
        return regions

    def _dependencies(self, prefix: str) -> list[Dependency]:
        found: list[Dependency] = []
        for i, (name, entry) in enumerate(self.model.dependencies.items()):
            loc: Loc = ("dependencies", name)
            if entry.dynamodb is not None:
                for key in ("upstream", "command", "proxy"):
                    if getattr(entry, key) is not None:
                        self.problem((*loc, key), f"a dynamodb dependency is the built-in "
                                     f"DynamoDB Local; it takes no {key}")  # fmt: skip
                continue
            if entry.upstream is None:
                self.problem(loc, "a dependency needs upstream: HOST:PORT (where the real "
                             "thing listens), or dynamodb: {region: ...}")  # fmt: skip
                continue
            proxy = entry.proxy or Endpoint(
                host=f"{prefix}.{DEPENDENCY_PROXY_BASE + i}", port=entry.upstream.port
            )
            upstream, container = entry.upstream, None
            if self.compose is not None:
                upstream, proxy, container = self._in_compose(name, i, upstream, proxy.port)
            cwd = str(self.base_dir / entry.cwd) if entry.cwd else str(self.base_dir)
            found.append(Dependency(
                name=name, upstream=upstream, proxy=proxy, record=f"{name}.{self.zone}",
                command=entry.command, cwd=cwd, health=entry.health,
                start_timeout_s=entry.start_timeout, container=container,
            ))  # fmt: skip
        return found

    def _in_compose(
        self, name: str, index: int, upstream: Endpoint, port: int
    ) -> tuple[Endpoint, Endpoint, str | None]:
        """A dependency on the compose backend: its upstream, the compose service that
        ``compose.dependencies`` names (at its fixed address on the lab network), else the
        private address given; its proxy on Toxiproxy's lab address, on the port it has on
        the local backend, so both backends give a service the same ``.port``; and that
        compose service (None: none)."""
        assert self.compose is not None
        net = self.compose.net
        target = (self.model.compose or ComposeEntry()).dependencies.get(name)
        container = None
        if target is not None:
            container, port_text = target.rsplit(":", 1)
            upstream = Endpoint(host=f"{net}.{COMPOSE_DEPENDENCY_BASE + index}",
                                port=int(port_text))  # fmt: skip
        elif _loopback(upstream.host):
            self.problem(("dependencies", name, "upstream"),
                         f"{upstream} is on the host's loopback, which Toxiproxy's container "
                         f"cannot reach: name the compose service that provides it in "
                         f"compose.dependencies (e.g. {name}: {name}:{upstream.port}), or give "
                         "a private address")  # fmt: skip
        return upstream, Endpoint(host=f"{net}.2", port=port), container

    def _listens(self) -> dict[str, Endpoint]:
        """Where each of the team's services listens in this view: the lab file's address,
        or, inside the compose lab, its container's fixed address on the lab network."""
        found = {name: entry.listen for name, entry in self.model.services.items()}
        if self.compose is not None and self.inside:
            net = self.compose.net
            found = {
                name: Endpoint(host=f"{net}.{COMPOSE_APP_BASE + i}", port=listen.port)
                for i, (name, listen) in enumerate(found.items())
            }
        return found

    # ---- references -----------------------------------------------------------------------
    def _references(
        self,
        base: LabConfig,
        regions: list[DynamoRegion],
        dependencies: list[Dependency],
        samples: bool,
        listens: dict[str, Endpoint],
    ) -> dict[str, str]:
        refs = {
            "lab.resolver": str(base.resolver),
            "lab.resolver_host": base.resolver.host,
            "lab.zone": self.zone.rstrip("."),
            "lab.dns": str(base.dns),
        }

        def add(kind: str, name: str, host: str, endpoint: Endpoint) -> None:
            refs.update({
                f"{kind}.{name}.host": host, f"{kind}.{name}.port": str(endpoint.port),
                f"{kind}.{name}.address": endpoint.host, f"{kind}.{name}.url":
                f"http://{host}:{endpoint.port}",
            })  # fmt: skip

        for region in regions:
            if region.name:
                add("dependencies", region.name, region.record.rstrip("."), region.proxy)
        for dependency in dependencies:
            add("dependencies", dependency.name, dependency.record.rstrip("."), dependency.proxy)
        services = {n: base.services.of(n) for n in SERVICE_NAMES} if samples else {}
        services.update(listens)
        for name, endpoint in services.items():
            add("services", name, endpoint.host, endpoint)
        if samples and base.load_balanced:  # the LB as clients reach it: by its name
            add("services", "lb", base.lb.record.rstrip("."), base.lb.nodes[0])
        return refs

    def _expand(self, text: str, refs: dict[str, str], loc: Loc) -> str:
        def replace(match: re.Match[str]) -> str:
            key = match.group(1).strip()
            if key.startswith("env."):
                return os.environ.get(key[4:], "")
            if key not in refs:
                kinds = sorted({k.rsplit(".", 1)[0] for k in refs})
                self.problem(loc, f"unknown reference ${{{key}}}; known: "
                             f"{', '.join(kinds)} (.host .port .address .url) and "
                             "env.VARIABLE")  # fmt: skip
                return ""
            return refs[key]

        expanded = _REFERENCE.sub(replace, text.replace("$${", "\0"))
        if "${" in expanded:
            self.problem(loc, f"'${{' without its '}}' in {text!r} (write $${{ for a literal ${{)")
        return expanded.replace("\0", "${")

    def _apps(self, refs: dict[str, str], listens: dict[str, Endpoint]) -> list[AppService]:
        apps = []
        for name, entry in self.model.services.items():
            loc: Loc = ("services", name)
            for key in entry.env:
                if not key or "=" in key:
                    self.problem((*loc, "env", key), f"{key!r} cannot name an environment "
                                 "variable (it is empty or holds '=')")  # fmt: skip
            env = {
                key: self._expand(_text(value), refs, (*loc, "env", key))
                for key, value in entry.env.items()
            }
            command = [
                self._expand(arg, refs, (*loc, "command", i)) for i, arg in enumerate(entry.command)
            ]
            cwd = self.base_dir / (entry.cwd or ".")
            why = unusable(cwd, "directory")
            if why:
                self.problem((*loc, "cwd"), f"{cwd} {why}")
            metrics = (
                self._expand(entry.metrics, refs, (*loc, "metrics")) if entry.metrics else None
            )
            bad = http_url_problem(metrics, "http://127.0.10.70:8080/metrics") if metrics else None
            if bad:
                self.problem((*loc, "metrics"), bad)
            apps.append(AppService(
                name=name, command=command, cwd=str(cwd), listen=listens[name],
                health=entry.health, start_timeout_s=entry.start_timeout,
                stop_timeout_s=entry.stop_timeout, env=env, metrics=metrics,
                system_resolver=entry.system_resolver,
            ))  # fmt: skip
        return apps

    # ---- addresses, zones, compose --------------------------------------------------------
    def _check_addresses(self, config: LabConfig) -> None:
        owners: dict[tuple[str, int], str] = {}

        def claim(loc: Loc | None, what: str, endpoint: Endpoint, bound: bool) -> None:
            key = (endpoint.host, endpoint.port)
            if loc is not None and bound and not _loopback(endpoint.host):
                self.problem(loc, f"{endpoint.host} is not a loopback address; the local lab "
                             "listens on loopback only (127.0.0.0/8 or ::1)")  # fmt: skip
            if key in owners:
                if loc is not None:
                    self.problem(loc, f"{endpoint} is also {owners[key]}'s address")
                return
            owners[key] = what

        dns_loc: tuple[Loc | None, Loc | None] = (
            (("dns", "attach"), ("dns", "admin")) if config.dns_attach else (None, None)
        )
        for at, what, endpoint in (
            (dns_loc[0], "the lab DNS server", config.dns),
            (dns_loc[1], "the DNS admin API", config.dns_admin),
            (None, "the lab resolver", config.resolver),
            (None, "the resolver's control", config.resolver_control),
        ):  # fmt: skip
            claim(at, what, endpoint, at is None)  # an attached server binds its own
        toxi_loc: Loc | None = ("toxiproxy", "attach") if config.toxiproxy_attach else None
        claim(toxi_loc, "Toxiproxy", config.toxiproxy, False)
        for region in config.regions:
            loc: Loc | None = ("dependencies", region.name) if region.name else None
            claim(loc, f"{region.component}'s server", region.server, True)
            claim(loc, f"{region.component}'s proxy", region.proxy, True)
        if config.sample_services:
            for name in SERVICE_NAMES:
                claim(None, f"sample service {name}", config.services.of(name), True)
        if config.load_balanced:
            lb = config.lb
            for i, node in enumerate(lb.nodes):
                claim(None, f"load balancer node {i}", node, True)
            claim(None, "the load balancer's runtime API", lb.runtime, True)
            claim(None, "the load balancer's control plane", lb.controller, True)
            for name, replica in zip(lb.replica_names(), lb.replicas, strict=True):
                claim(None, f"sample service {name}", replica, True)
        for dependency in config.dependencies:
            loc = ("dependencies", dependency.name)
            entry = self.model.dependencies[dependency.name]
            claim((*loc, "upstream"), f"dependencies.{dependency.name}.upstream",
                  dependency.upstream, dependency.command is not None)  # fmt: skip
            claim((*loc, "proxy") if entry.proxy else loc,
                  f"dependencies.{dependency.name}'s proxy", dependency.proxy, True)  # fmt: skip
        for app in config.apps:
            claim(("services", app.name, "listen"), f"services.{app.name}", app.listen, True)

    def _dns(self, base: LabConfig) -> dict[str, Any]:
        """An attached DNS server: its addresses and token file (it serves its own zones)."""
        entry = self.model.dns
        if entry is None:
            return {}
        if self.model.zone_files:
            self.problem(("zone_files",), "an attached DNS server (dns.attach) serves the zones "
                         "it was started with; give them to it, not here")  # fmt: skip
        token = self.base_dir / entry.token_file
        return {"dns": entry.attach, "dns_admin": entry.admin, "dns_attach": True,
                "dns_token_file": str(token.resolve())}  # fmt: skip

    def _zone_files(self) -> list[str]:
        from chaoskit._errors import ZoneFileError
        from chaoskit.dns.zone import load_zone_file

        found = []
        for i, name in enumerate(self.model.zone_files):
            path = self.base_dir / name
            try:
                zone = load_zone_file(path)
            except ZoneFileError as exc:
                self.problem(("zone_files", i), str(exc).splitlines()[0])
                continue
            origin = str(zone.origin).lower()
            if origin in (".", "") or in_zone(origin, self.zone) or in_zone(self.zone, origin):
                self.problem(("zone_files", i), f"{path} is the zone {zone.origin}, which "
                             f"overlaps the lab zone {self.zone}; the lab serves that")  # fmt: skip
                continue
            found.append(str(path))
        return found

    def _check_compose(self) -> None:
        """The ``compose:`` section against the rest of the file, on either backend."""
        compose = self.model.compose
        if compose is None:
            return
        for i, name in enumerate(compose.services):
            if name not in self.model.services:
                known = ", ".join(self.model.services) or "none"
                self.problem(("compose", "services", i),
                             f"no service {name!r} in services; known: {known}")  # fmt: skip
        for name in compose.dependencies:
            entry = self.model.dependencies.get(name)
            if entry is None or entry.dynamodb is not None:
                plain = [n for n, d in self.model.dependencies.items() if d.dynamodb is None]
                self.problem(("compose", "dependencies", name),
                             f"no dependency {name!r} with an upstream in dependencies; known: "
                             f"{', '.join(plain) or 'none'}")  # fmt: skip
        for i, name in enumerate(compose.files):
            why = unusable(self.base_dir / name, "file")
            if why:
                self.problem(("compose", "files", i), f"{self.base_dir / name} {why}")

    def _check_compose_lab(self, config: LabConfig) -> None:
        """What the compose backend needs of the file: every service a compose service, no
        attached server or zone files, addresses the published ports and Toxiproxy's one
        lab address can hold."""
        model, compose = self.model, self.model.compose or ComposeEntry()
        why = "on the compose backend"
        for name in model.services:
            if name not in compose.services:
                self.problem(("services", name), f"{why} a service runs from the team's compose "
                             f"files: add {name!r} to compose.services (a service of "
                             "compose.files), or use --backend local")  # fmt: skip
        for key, limit in (("services", MAX_COMPOSE_APPS),
                           ("dependencies", MAX_COMPOSE_DEPENDENCIES)):  # fmt: skip
            if len(getattr(model, key)) > limit:
                self.problem((key,), f"{why} a lab has at most {limit} {key}")
        if (compose.services or compose.dependencies) and not compose.files:
            self.problem(("compose",), f"{why} compose.files names the compose files that "
                         "define compose.services")  # fmt: skip
        for key, given in (("zone_files", model.zone_files), ("dns", model.dns),
                           ("toxiproxy", model.toxiproxy)):  # fmt: skip
            if given:
                self.problem((key,), f"{why} the lab runs its own DNS server and Toxiproxy "
                             f"as containers; {key} is for the local backend")  # fmt: skip
        published = {(e.host, e.port): what for what, e in (
            ("the lab DNS server", config.dns), ("the DNS admin API", config.dns_admin),
            ("the lab resolver", config.resolver), ("Toxiproxy", config.toxiproxy),
            *((f"{r.component}'s server", r.server) for r in config.regions),
            *((f"sample service {n}", config.services.of(n)) for n in SERVICE_NAMES
              if config.sample_services),
        )}  # fmt: skip
        for app in config.apps:
            loc: Loc = ("services", app.name, "listen")
            address = (app.listen.host, app.listen.port)
            if not _loopback(app.listen.host):
                self.problem(loc, f"{app.listen.host} is not a loopback address; the compose "
                             "lab publishes a service on loopback only")  # fmt: skip
            elif address in published:
                self.problem(loc, f"{app.listen} is also {published[address]}'s published port")
            published.setdefault(address, f"services.{app.name}")
        taken = {8474: "Toxiproxy's API", 8000: "a DynamoDB region's proxy"}
        if config.load_balanced:
            taken.update({check.port: "a load balancer check path" for check in config.lb.checks})
        for dependency in config.dependencies:
            port = dependency.proxy.port
            loc = ("dependencies", dependency.name)
            if port in taken:
                self.problem(loc, f"its proxy's port {port} is also {taken[port]}'s on "
                             "Toxiproxy's lab address; give it a proxy: with another "
                             "port")  # fmt: skip
            taken.setdefault(port, f"dependencies.{dependency.name}'s proxy")


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or ipaddress.ip_address(host).is_loopback
