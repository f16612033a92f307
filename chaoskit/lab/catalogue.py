"""The lab's components as one catalogue, read from its config: which services, proxies,
names and processes the lab has. Everything that lists them (bring-up, fault targets, the
recorder's scrape list, validation) asks here."""

from __future__ import annotations

from dataclasses import dataclass

from chaoskit.lab.config import (
    LB_TARGET,
    SERVICE_NAMES,
    AppService,
    Dependency,
    Endpoint,
    LabConfig,
)

__all__ = [
    "INFRASTRUCTURE",
    "Proxy",
    "app",
    "bare_name",
    "dependency",
    "dns_clients",
    "lab_names",
    "lab_records",
    "load_balancer_targets",
    "load_host",
    "metrics_urls",
    "probe_url",
    "process_targets",
    "proxies",
    "sample_role",
    "sample_services",
    "service_names",
    "service_url",
]

INFRASTRUCTURE = ("dns", "resolver", "toxiproxy")
"""The components every lab has (besides the watchdog, which is not a target)."""


@dataclass(frozen=True)
class Proxy:
    """One Toxiproxy proxy of the lab: where it listens, what it forwards to, and the name
    clients reach it by (none for a health-check path)."""

    name: str
    listen: Endpoint
    upstream: Endpoint
    record: str


def sample_services(config: LabConfig) -> tuple[str, ...]:
    """The shipped sample services this lab runs, dependencies first: with the load
    balancer, the gateway's replicas after the gateway, then its control plane (``lb``)."""
    if not config.sample_services:
        return ()
    if config.load_balanced:
        return (*SERVICE_NAMES, *config.lb.replica_names(), "lb")
    return SERVICE_NAMES


def sample_role(service: str) -> str:
    """The sample service that ``service`` runs: a gateway replica runs the gateway
    (``gateway-2`` is a ``gateway``), every other is itself."""
    role, _, number = service.rpartition("-")
    return role if role == LB_TARGET and number.isdigit() else service


def load_balancer_targets(config: LabConfig) -> int | None:
    """How many gateways the load balancer fronts (None: the lab has none)."""
    return len(config.lb.targets()) if config.load_balanced else None


def service_names(config: LabConfig) -> list[str]:
    """Every service under test: the sample services, then the team's own."""
    return [*sample_services(config), *(a.name for a in config.apps)]


def app(config: LabConfig, name: str) -> AppService | None:
    return next((a for a in config.apps if a.name == name), None)


def dependency(config: LabConfig, name: str) -> Dependency | None:
    return next((d for d in config.dependencies if d.name == name), None)


def service_url(config: LabConfig, name: str) -> str:
    """``http://host:port`` of service ``name``."""
    found = app(config, name)
    if found is not None:
        return found.url
    return f"http://{config.sample_endpoint(name)}"


def proxies(config: LabConfig) -> list[Proxy]:
    """Every proxy: one per DynamoDB region, one per dependency."""
    found = [Proxy(r.proxy_name, r.proxy, r.server, r.record) for r in config.regions]
    found += [Proxy(d.name, d.proxy, d.upstream, d.record) for d in config.dependencies]
    if config.load_balanced:  # the load balancer's health checks, one path per target
        lb = config.lb
        found += [
            Proxy(lb.check_proxy(name), check, config.sample_endpoint(name), "")
            for name, check in zip(lb.targets(), lb.checks, strict=True)
        ]
    return found


def lab_records(config: LabConfig) -> list[tuple[str, str]]:
    """The A records the lab adds to its zone: (name, address), one per proxy."""
    return [(p.record, p.listen.host) for p in proxies(config) if p.record]


def bare_name(name: str) -> str:
    """A DNS name to compare: lower case, no trailing dot."""
    return name.lower().rstrip(".")


def lab_names(config: LabConfig) -> set[str]:
    """The names of the lab's own records, as ``bare_name`` gives them."""
    return {bare_name(name) for name, _ in lab_records(config)}


def dependency_processes(config: LabConfig) -> list[str]:
    """The dependencies chaoskit starts: those with a command (local) or a compose service."""
    return [d.name for d in config.dependencies if d.container or d.command]


def dependency_containers(config: LabConfig) -> list[str]:
    """The dependencies that are the team's compose services (compose backend)."""
    return [d.name for d in config.dependencies if d.container]


def process_targets(config: LabConfig) -> list[str]:
    """What ``process.*`` and ``container.*`` faults can act on."""
    attached = {"toxiproxy": config.toxiproxy_attach, "dns": config.dns_attach}
    infrastructure = [n for n in INFRASTRUCTURE if not attached.get(n)]
    found = [*infrastructure, *(r.component for r in config.regions)]
    if config.load_balanced:
        found.append("haproxy")
    return found + dependency_processes(config) + service_names(config)


def metrics_urls(config: LabConfig) -> dict[str, str]:
    """The Prometheus endpoints the recorder scrapes, by service."""
    found = {n: f"http://{config.sample_endpoint(n)}/metrics" for n in sample_services(config)
             if n != "status"}  # fmt: skip
    found.update({a.name: a.metrics for a in config.apps if a.metrics})
    return found


def load_host(config: LabConfig) -> str:
    """Where load goes unless an experiment says: the lab file's ``load.host``, else the
    sample gateway (through the load balancer's first node when it has one), else the first
    service."""
    if config.load_host:
        return config.load_host
    if config.load_balanced:  # the gateways behind their load balancer: through its node
        return f"http://{config.lb.nodes[0]}"
    if config.sample_services:
        return f"http://{config.services.gateway}"
    return config.apps[0].url if config.apps else f"http://{config.services.gateway}"


def probe_url(config: LabConfig, sample_path: str) -> str:
    """What the recorder asks when an experiment has no load: the gateway's probe path on
    the sample stack; on a team's lab, ``load.host`` + ``load.probe`` (or the first
    service's health path)."""
    if config.sample_services and not config.load_host:
        return f"{load_host(config)}{sample_path}"
    path = config.probe_path
    if path is None:
        first = config.apps[0] if config.apps else None
        path = first.health[len("http:") :] if first and first.health.startswith("http:") else "/"
    return load_host(config).rstrip("/") + path


def dns_clients(config: LabConfig) -> dict[str, str]:
    """Who asks the lab DNS server from which address: the resolver and each sample service
    (they send their own queries from their own address). A team's service asks through the
    resolver, from whatever source address its system picks, so it is not told apart."""
    found = {config.resolver.host: "resolver"}
    found.update({config.sample_endpoint(n).host: n for n in sample_services(config)})
    return found
