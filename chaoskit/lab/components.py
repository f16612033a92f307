"""What each lab component is: the command that starts it, its ports, its health check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaoskit._errors import ComponentError, MissingDependency
from chaoskit.install import (
    DYNAMODB_LOCAL_VERSION,
    TOXIPROXY_VERSION,
    find_dynamodb_local,
    find_toxiproxy,
    install_dynamodb_local,
    install_toxiproxy,
)
from chaoskit.lab import catalogue, process
from chaoskit.lab.config import AppService, Dependency, DynamoRegion, Endpoint, LabConfig
from chaoskit.lab.health import dns_answers, http_answers, http_ok, probe, unix_accepts
from chaoskit.lab.system_resolver import SystemResolver
from chaoskit.lb.haproxy import (
    HaproxyLayout,
    HaproxyRuntime,
    haproxy_binary,
    haproxy_version,
    render_haproxy_config,
)
from chaoskit.paths import data_file
from chaoskit.resolver.settings import ResolverSettings
from chaoskit.resolver.unbound import UnboundLayout, render_config, unbound_binary
from chaoskit.services import DNS_TOKEN_ENV, REPLICA_ENV
from chaoskit.services.resilience.settings import ServiceProfile

__all__ = [
    "ComponentSpec",
    "choose_dynamodb_engine",
    "endpoint_fields",
    "endpoint_of",
    "haproxy_layout",
    "health_check",
    "lab_components",
    "resolver_component",
    "resolver_layout",
    "service_components",
    "watchdog_component",
    "write_lab_zone",
]


@dataclass
class ComponentSpec:
    """One process of the lab."""

    name: str
    endpoint: str
    ports: list[tuple[str, int, bool]]  # host, port, also UDP
    command: list[str]
    healthy: Callable[[], bool]
    start_timeout_s: float = 15.0
    engine: str | None = None
    version: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    stop_timeout_s: float = 5.0
    forked: str | None = None
    """A sample service the fork server can start (``chaoskit.services.forkserver``); the
    command is the fallback when it is not running."""


FORKSERVER_SOCKET = "forkserver.sock"
FORKSERVER_ENV = "CHAOSKIT_FORKSERVER"
LOADSERVER_SOCKET = "loadserver.sock"
LOADSERVER_ENV = "CHAOSKIT_LOADSERVER"
FORK_SERVERS = {"forkserver": FORKSERVER_SOCKET, "loadserver": LOADSERVER_SOCKET}
"""The lab's fork servers (of the sample services, of Locust) and their sockets."""
HOST_HELPERS = ("watchdog", *FORK_SERVERS)
"""The lab's own host processes that answer no network address."""
SOCKET_PATH_MAX = 100
"""A UNIX socket's path has room for 107 bytes."""


def health_check(name: str, config: LabConfig, state_dir: Path | None = None) -> Callable[[], bool]:
    """The real question that tells whether component ``name`` is serving."""
    if name == "watchdog":
        from chaoskit.experiment.watchdog import watchdog_alive

        return lambda: watchdog_alive(state_dir or Path("."))
    if name == "loadserver":  # started after the rest, not waited for: healthy while it
        # still imports (no socket yet), as once it listens
        path = (state_dir or Path(".")) / LOADSERVER_SOCKET
        return lambda: not path.exists() or unix_accepts(path)
    if name in FORK_SERVERS:
        return lambda: unix_accepts((state_dir or Path(".")) / FORK_SERVERS[name])
    if name == "dns":
        return lambda: dns_answers(config.dns.host, config.dns.port, config.zone)
    if name == "resolver":  # a lab name resolved through it, from the authority or its cache
        return lambda: dns_answers(config.resolver.host, config.resolver.port, config.zone)
    if name == "toxiproxy":
        return lambda: http_answers(config.toxiproxy.host, config.toxiproxy.port, "/version")
    for region in config.regions:
        if region.component == name:
            return lambda: http_answers(region.server.host, region.server.port)
    if name == "haproxy":
        runtime = HaproxyRuntime(config.lb.runtime)
        return runtime.answers
    if name in catalogue.sample_services(config):
        endpoint = config.sample_endpoint(name)
        return lambda: http_ok(endpoint.host, endpoint.port, "/health")
    dependency = catalogue.dependency(config, name)
    if dependency is not None:
        return probe(dependency.health, dependency.upstream.host, dependency.upstream.port)
    app = catalogue.app(config, name)
    if app is not None:
        return probe(app.health, app.listen.host, app.listen.port)
    raise KeyError(name)


def endpoint_of(name: str, config: LabConfig) -> str:
    """Where component ``name`` answers, as ``status`` shows it."""
    if name == "dns":
        return f"udp+tcp://{config.dns} (admin http://{config.dns_admin})"
    if name == "resolver":
        return f"udp+tcp://{config.resolver} (control {config.resolver_control})"
    if name == "toxiproxy":
        return f"http://{config.toxiproxy}"
    if name == "haproxy":
        nodes = ", ".join(f"tcp://{node}" for node in config.lb.nodes)
        return f"{nodes} (runtime {config.lb.runtime}, {config.lb.record})"
    for region in config.regions:
        if region.component == name:
            return f"http://{region.server}"
    dependency = catalogue.dependency(config, name)
    if dependency is not None:
        return f"tcp://{dependency.upstream} (proxy {dependency.proxy}, {dependency.record})"
    return catalogue.service_url(config, name)


def _address(endpoint: Endpoint, scheme: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"host": endpoint.host, "port": endpoint.port}
    if scheme:
        found["url"] = f"{scheme}://{endpoint}"
    return found


def endpoint_fields(name: str, config: LabConfig) -> dict[str, Any]:
    """Where component ``name`` answers, as fields (``status --json``): host, port and url;
    the DNS server's protocols and admin API, a DynamoDB region's proxy, separately."""
    if name in HOST_HELPERS:
        return {}
    if name == "dns":
        return {**_address(config.dns), "protocols": ["udp", "tcp"],
                "admin": _address(config.dns_admin, "http")}  # fmt: skip
    if name == "resolver":
        return {**_address(config.resolver), "protocols": ["udp", "tcp"],
                "control": _address(config.resolver_control)}  # fmt: skip
    if name == "toxiproxy":
        return _address(config.toxiproxy, "http")
    if name == "haproxy":
        nodes = [_address(node, "http") for node in config.lb.nodes]
        return {**nodes[0], "nodes": nodes, "record": config.lb.record,
                "runtime": _address(config.lb.runtime)}  # fmt: skip
    for region in config.regions:
        if region.component == name:
            proxy = {"name": region.proxy_name, **_address(region.proxy, "http")}
            return {**_address(region.server, "http"), "record": region.record, "proxy": proxy}
    dependency = catalogue.dependency(config, name)
    if dependency is not None:
        proxy = {"name": dependency.name, **_address(dependency.proxy)}
        return {**_address(dependency.upstream), "record": dependency.record, "proxy": proxy}
    app = catalogue.app(config, name)
    return _address(app.listen if app else config.sample_endpoint(name), "http")


def write_lab_zone(config: LabConfig, state_dir: Path) -> Path:
    """The lab zone file: the packaged zone plus one A record per proxy (each DynamoDB
    region's and each dependency's)."""
    base = data_file("lab.test.zone").read_text()
    base = base.replace("127.0.10.53", config.dns.host).replace("lab.test.", config.zone)
    lines = [base.rstrip(), "; DynamoDB endpoints and the lab's dependencies, through Toxiproxy"]
    for record, address in catalogue.lab_records(config):
        lines.append(f"{record} {config.record_ttl} IN A {address}")
    if config.load_balanced:  # the LB's name, its nodes; the lb component keeps it after that
        lines.append("; the load balancer's name: its nodes in service")
        lines += [f"{config.lb.record} {config.record_ttl} IN A {n.host}" for n in config.lb.nodes]
    path = state_dir / "zones" / f"{config.zone}zone"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def choose_dynamodb_engine(config: LabConfig, override: str | None) -> str:
    """``local`` (DynamoDB Local on java) unless java is missing or ``moto`` is asked for."""
    wanted = override or config.dynamodb
    if wanted == "moto":
        return "moto"
    if shutil.which("java"):
        return "local"
    if wanted == "local":
        raise MissingDependency(
            "DynamoDB Local needs java: apt-get install openjdk-17-jre-headless "
            "(or run with --dynamodb moto)"
        )
    return "moto"


def _moto_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:
        raise MissingDependency(
            "neither java (for DynamoDB Local) nor moto is installed: "
            "apt-get install openjdk-17-jre-headless, or pip install 'moto[server]'"
        ) from None


def _dynamodb(
    config: LabConfig, region: DynamoRegion, engine: str, echo: Callable[[str], None]
) -> ComponentSpec:
    host, port = region.server.host, region.server.port
    if engine == "local":
        install = find_dynamodb_local()
        if install is None:
            echo("installing DynamoDB Local from Maven Central (once; cached)")
            install = install_dynamodb_local()
        java = shutil.which("java") or "java"
        command = install.command(java, host, port)
        version = f"DynamoDB Local {DYNAMODB_LOCAL_VERSION}"
        timeout = 60.0
    else:
        command = [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)]
        why = "java not found" if shutil.which("java") is None else "asked for"
        version = f"moto {_moto_version()} server mode ({why}; not DynamoDB Local)"
        timeout = 30.0
    return ComponentSpec(
        name=region.component,
        endpoint=endpoint_of(region.component, config),
        ports=[(host, port, False)],
        command=command,
        healthy=health_check(region.component, config),
        start_timeout_s=timeout,
        engine=engine,
        version=version,
    )


def lab_components(
    config: LabConfig,
    state_dir: Path,
    dynamodb_engine: str,
    echo: Callable[[str], None],
    only_missing: Callable[[str], bool] = lambda _: True,
    resolver: ResolverSettings | None = None,
) -> list[ComponentSpec]:
    """The lab's components in start order; installs Toxiproxy or DynamoDB Local when needed.
    ``resolver`` set: the lab resolver too, with those settings."""
    dns, admin, toxi = config.dns, config.dns_admin, config.toxiproxy
    specs: list[ComponentSpec] = []
    if only_missing("dns") and not config.dns_attach:
        zone = write_lab_zone(config, state_dir)
        specs.append(
            ComponentSpec(
                name="dns",
                endpoint=endpoint_of("dns", config),
                ports=[(dns.host, dns.port, True), (admin.host, admin.port, False)],
                command=[
                    sys.executable,
                    "-m",
                    "chaoskit",
                    "dns",
                    "serve",
                    "--zone",
                    str(zone),
                    *(arg for extra in config.zone_files for arg in ("--zone", extra)),
                    "--listen",
                    dns.host,
                    "--port",
                    str(dns.port),
                    "--admin-listen",
                    admin.host,
                    "--admin-port",
                    str(admin.port),
                    "--token-file",
                    str(config.dns_token_path(state_dir)),
                    "--event-log",
                    str(state_dir / "dns-events.jsonl"),
                ],
                healthy=health_check("dns", config),
                version="chaoskit dns",
            )
        )
    if only_missing("resolver") and resolver is not None:
        specs.append(resolver_component(config, state_dir, resolver))
    if only_missing("toxiproxy") and not config.toxiproxy_attach:
        binary = find_toxiproxy()
        if binary is None:
            if shutil.which("go") is None:
                raise MissingDependency(
                    "toxiproxy-server is missing and go is not installed to build it: "
                    "apt-get install golang, then chaoskit install toxiproxy"
                )
            echo(f"installing toxiproxy-server {TOXIPROXY_VERSION} with go install (once; cached)")
            binary = install_toxiproxy()
        specs.append(
            ComponentSpec(
                name="toxiproxy",
                endpoint=endpoint_of("toxiproxy", config),
                ports=[(toxi.host, toxi.port, False)]
                + [(p.listen.host, p.listen.port, False) for p in catalogue.proxies(config)],
                command=[str(binary), "-host", toxi.host, "-port", str(toxi.port)],
                healthy=health_check("toxiproxy", config),
                version=f"toxiproxy {TOXIPROXY_VERSION}",
            )
        )
    if only_missing("watchdog"):
        specs.append(watchdog_component(config, state_dir))
    if forking(config, state_dir) and only_missing("forkserver"):
        specs.append(forkserver_component(config, state_dir))
    for region in config.regions:
        if only_missing(region.component):
            specs.append(_dynamodb(config, region, dynamodb_engine, echo))
    if config.load_balanced and only_missing("haproxy"):
        specs.append(haproxy_component(config, state_dir))
    specs += [
        dependency_component(config, d)
        for d in config.dependencies
        if d.command and only_missing(d.name)
    ]
    return specs


def dependency_component(config: LabConfig, dependency: Dependency) -> ComponentSpec:
    """A dependency the lab file gives a command for (e.g. ``redis-server``)."""
    assert dependency.command is not None
    upstream = dependency.upstream
    return ComponentSpec(
        name=dependency.name,
        endpoint=endpoint_of(dependency.name, config),
        ports=[(upstream.host, upstream.port, False)],
        command=dependency.command,
        healthy=health_check(dependency.name, config),
        start_timeout_s=dependency.start_timeout_s,
        version=f"dependency: {' '.join(dependency.command)[:60]}",
        cwd=dependency.cwd,
    )


def haproxy_layout(config: LabConfig) -> HaproxyLayout:
    """HAProxy's nodes, runtime API and targets, from the lab's load balancer."""
    lb = config.lb
    targets = tuple((name, config.sample_endpoint(name)) for name in lb.targets())
    return HaproxyLayout(nodes=tuple(lb.nodes), runtime=lb.runtime, targets=targets)


def haproxy_component(config: LabConfig, state_dir: Path) -> ComponentSpec:
    """HAProxy, the load balancer's data plane (``lb/haproxy.cfg`` in the state directory):
    its nodes in front of the gateway and its replicas, every target in service until the
    control plane (``lb``) decides otherwise."""
    binary = haproxy_binary()
    if binary is None:
        raise MissingDependency("the load balancer needs HAProxy: apt-get install haproxy")
    lb = config.lb
    path = state_dir / "lb" / "haproxy.cfg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_haproxy_config(haproxy_layout(config)))
    return ComponentSpec(
        name="haproxy",
        endpoint=endpoint_of("haproxy", config),
        ports=[(n.host, n.port, False) for n in [*lb.nodes, lb.runtime]],
        command=[binary, "-db", "-f", str(path)],
        healthy=health_check("haproxy", config),
        version=haproxy_version(binary),
    )


def resolver_layout(config: LabConfig, state_dir: Path) -> UnboundLayout:
    """Where the lab resolver listens, asks and keeps its files."""
    return UnboundLayout(
        listen=config.resolver,
        control=config.resolver_control,
        authority=config.dns,
        zones=(config.zone, *zone_origins(config)),
        pidfile=state_dir / "resolver" / "unbound.pid",
    )


def zone_origins(config: LabConfig) -> list[str]:
    """The origins of the lab file's extra zones."""
    from chaoskit.dns.zone import load_zone_file

    return [load_zone_file(path).origin for path in config.zone_files]


def resolver_component(
    config: LabConfig, state_dir: Path, settings: ResolverSettings
) -> ComponentSpec:
    """Unbound, configured for the lab (``resolver/unbound.conf`` in the state directory)."""
    binary = unbound_binary()
    if binary is None:
        raise MissingDependency("the lab resolver needs Unbound: apt-get install unbound")
    path = state_dir / "resolver" / "unbound.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_config(resolver_layout(config, state_dir), settings))
    listen, control = config.resolver, config.resolver_control
    return ComponentSpec(
        name="resolver",
        endpoint=endpoint_of("resolver", config),
        ports=[(listen.host, listen.port, True), (control.host, control.port, False)],
        command=[binary, "-d", "-c", str(path)],
        healthy=health_check("resolver", config),
        engine=settings.profile,
        version=unbound_version(binary),
    )


def unbound_version(binary: str) -> str:
    """``Unbound 1.17.1``, from ``unbound -V``."""
    try:
        first = subprocess.run(
            [binary, "-V"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return "Unbound"
    return f"Unbound {first[0].split()[-1]}" if first and first[0].split() else "Unbound"


def forking(config: LabConfig, state_dir: Path) -> bool:
    """Whether the lab forks its sample services from a fork server: unless
    ``CHAOSKIT_FORKSERVER=0`` (each service exec'd, as a reference) or the state directory's
    path is too long for the server's socket."""
    fits = len(str((state_dir / FORKSERVER_SOCKET).resolve())) < SOCKET_PATH_MAX
    wanted = os.environ.get(FORKSERVER_ENV, "1") != "0"
    return bool(catalogue.sample_services(config)) and fits and wanted


def forkserver_component(config: LabConfig, state_dir: Path) -> ComponentSpec:
    """The process the sample services are forked from, their imports done once."""
    return _fork_server("forkserver", "chaoskit.services.forkserver", config, state_dir,
                        "chaoskit service fork server")  # fmt: skip


def loadserver_wanted(state_dir: Path) -> bool:
    """Whether the lab runs a Locust fork server (``chaoskit.load.zygote``): unless
    ``CHAOSKIT_LOADSERVER=0`` (every Locust exec'd) or the socket's path is too long."""
    fits = len(str((state_dir / LOADSERVER_SOCKET).resolve())) < SOCKET_PATH_MAX
    return fits and os.environ.get(LOADSERVER_ENV, "1") != "0"


def loadserver_component(config: LabConfig, state_dir: Path) -> ComponentSpec:
    """The process a run's Locust processes are forked from, Locust imported once."""
    return _fork_server("loadserver", "chaoskit.load.zygote", config, state_dir,
                        "chaoskit Locust fork server")  # fmt: skip


def _fork_server(
    name: str, module: str, config: LabConfig, state_dir: Path, version: str
) -> ComponentSpec:
    """A fork server (``chaoskit._forks``): ``python -m MODULE SOCKET``, on its socket."""
    socket_path = state_dir / FORK_SERVERS[name]
    return ComponentSpec(
        name=name,
        endpoint=f"unix {socket_path}",
        ports=[],
        command=[sys.executable, "-m", module, str(socket_path.resolve())],
        healthy=health_check(name, config, state_dir),
        start_timeout_s=30.0,
        version=version,
    )


def watchdog_component(config: LabConfig, state_dir: Path) -> ComponentSpec:
    """The process that ends faults at their expiry when no controller is left to."""
    return ComponentSpec(
        name="watchdog",
        endpoint=f"ledger {state_dir / 'ledger.json'}",
        ports=[],
        command=[sys.executable, "-m", "chaoskit.experiment.watchdog", str(state_dir)],
        healthy=health_check("watchdog", config, state_dir),
        version="chaoskit watchdog (ends Toxiproxy, process and container faults at expiry)",
    )


def service_components(
    config: LabConfig,
    profiles: dict[str, ServiceProfile],
    only_missing: Callable[[str], bool] = lambda _: True,
    system_resolver: SystemResolver | None = None,
    state_dir: Path | None = None,
) -> list[ComponentSpec]:
    """The sample services, dependencies first, each with its resilience profile. A service
    whose profile says ``dns.resolver: system`` runs with the lab resolver as its system
    resolver (``system_resolver``). The load balancer's control plane changes its DNS name
    with the token in ``state_dir``."""
    specs = []
    for name in catalogue.sample_services(config):
        if not only_missing(name):
            continue
        profile = profiles.get(name, ServiceProfile())
        settings = profile.resolve()  # a bad override fails here, before anything starts
        endpoint = config.sample_endpoint(name)
        role = catalogue.sample_role(name)  # a gateway replica runs the gateway, under its own name
        command = [sys.executable, "-m", "chaoskit.services", role]
        env = {"CHAOSKIT_LAB_CONFIG": config.model_dump_json(), **profile.environment()}
        if role != name:
            env[REPLICA_ENV] = name
        if name == "lb" and state_dir is not None:
            env[DNS_TOKEN_ENV] = str(config.dns_token_path(state_dir))
        forked: str | None = role
        if settings.dns.resolver == "system":
            if system_resolver is None:
                raise MissingDependency(f"{name}: dns.resolver=system needs the lab resolver")
            command = system_resolver.wrap(command)  # a mount namespace of its own: exec'd
            env["CHAOSKIT_RESOLVER"] = "system"
            forked = None
        specs.append(
            ComponentSpec(
                name=name,
                endpoint=endpoint_of(name, config),
                ports=[(endpoint.host, endpoint.port, False)],
                command=command,
                healthy=health_check(name, config),
                engine=profile.profile,
                version=None,
                env=env,
                forked=forked,
            )
        )
    specs += [
        app_component(config, app, system_resolver) for app in config.apps if only_missing(app.name)
    ]
    return specs


def app_component(
    config: LabConfig, app: AppService, system_resolver: SystemResolver | None
) -> ComponentSpec:
    """A team's own service: its command in its directory, with its environment and, unless
    the lab file says otherwise, the lab resolver as its system resolver. A command that
    cannot be run is said before anything starts (else: the wrapper's exit status 127 and
    its shell's words, in the log, after the lab's wait)."""
    command = list(app.command)
    cannot = process.not_runnable(command[0], app.cwd, app.env.get("PATH"))
    if cannot is not None:
        raise ComponentError(app.name, f"cannot start {cannot[1]} (command[0] in the lab file)")
    if app.system_resolver:
        if system_resolver is None or system_resolver.unavailable:
            why = system_resolver.unavailable if system_resolver else "no lab resolver"
            raise MissingDependency(
                f"service {app.name}: runs with the lab resolver as its system resolver, which "
                f"is unavailable here ({why}); set system_resolver: false in the lab file to "
                "start it with the machine's own resolver"
            )
        command = system_resolver.wrap(command)
    return ComponentSpec(
        name=app.name,
        endpoint=endpoint_of(app.name, config),
        ports=[(app.listen.host, app.listen.port, False)],
        command=command,
        healthy=health_check(app.name, config),
        start_timeout_s=app.start_timeout_s,
        version=f"{' '.join(app.command)[:60]}",
        env=dict(app.env),
        cwd=app.cwd,
        stop_timeout_s=app.stop_timeout_s,
    )
