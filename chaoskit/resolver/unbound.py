"""Unbound's configuration for the lab, written by chaoskit into the lab's state directory.

The lab's zones are stub zones pointing at the lab authority. Every other name is REFUSED
(``local-zone: "." refuse``), so the lab never sends a query off the machine, unless
``forward_outside`` sends them to the host's own resolvers from ``/etc/resolv.conf``. Remote
control listens on loopback without certificates, for counters, cache flushes and options.
"""

from __future__ import annotations

import ipaddress
import shutil
from dataclasses import dataclass
from pathlib import Path

from chaoskit.lab.config import Endpoint
from chaoskit.resolver.settings import ResolverSettings

__all__ = ["UnboundLayout", "host_resolvers", "outside_policy", "render_config", "unbound_binary"]


@dataclass(frozen=True)
class UnboundLayout:
    """Where the resolver listens and what it resolves."""

    listen: Endpoint
    control: Endpoint
    authority: Endpoint
    zones: tuple[str, ...]
    pidfile: Path


def unbound_binary() -> str | None:
    """Debian's ``unbound``, if installed (``/usr/sbin`` is not on every PATH)."""
    return shutil.which("unbound") or next(
        (str(p) for p in (Path("/usr/sbin/unbound"),) if p.exists()), None
    )


def host_resolvers(resolv_conf: Path = Path("/etc/resolv.conf")) -> list[str]:
    """The host's own nameservers, for ``forward_outside``; none that are the lab's own."""
    try:
        lines = resolv_conf.read_text(errors="replace").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            try:
                ipaddress.ip_address(parts[1].split("%")[0])
            except ValueError:
                continue
            if not parts[1].startswith("127.0.10."):
                found.append(parts[1])
    return found


def outside_policy(settings: ResolverSettings, resolvers: list[str] | None = None) -> str:
    """What happens to a name outside the lab, as ``status`` says it."""
    if not settings.forward_outside:
        return "refused"
    upstream = host_resolvers() if resolvers is None else resolvers
    return f"forwarded to {', '.join(upstream)}" if upstream else "refused (no host resolvers)"


def _quoted(value: str) -> str:
    return '"' + value.replace('"', "") + '"'


def render_config(
    layout: UnboundLayout, settings: ResolverSettings, resolvers: list[str] | None = None
) -> str:
    """The whole ``unbound.conf``."""
    yes = {True: "yes", False: "no"}
    server = [
        f"interface: {layout.listen.host}@{layout.listen.port}",
        f"port: {layout.listen.port}",
        # its queries to the authority come from its own address, so the authority's
        # per-source counts tell the resolver tier apart from clients that ask it directly
        f"outgoing-interface: {layout.listen.host}",
        "do-ip6: no",
        "do-daemonize: no",
        'username: ""',
        'chroot: ""',
        'directory: ""',
        "use-syslog: no",
        'logfile: ""',
        "verbosity: 1",
        "log-servfail: yes",
        f"pidfile: {_quoted(str(layout.pidfile))}",
        "access-control: 127.0.0.0/8 allow",
        "access-control: 10.0.0.0/8 allow",
        "access-control: 172.16.0.0/12 allow",
        "access-control: 192.168.0.0/16 allow",
        "module-config: iterator",  # the lab zone is unsigned: no validator
        "do-not-query-localhost: no",  # the authority listens on loopback
        "extended-statistics: yes",
        "statistics-cumulative: no",
        f"num-threads: {settings.threads}",
        f"num-queries-per-thread: {settings.outstanding_per_thread}",
        f"serve-expired: {yes[settings.serve_expired]}",
        f"serve-expired-ttl: {settings.serve_expired_ttl_s}",
        f"serve-expired-client-timeout: {settings.serve_expired_client_timeout_ms}",
        f"prefetch: {yes[settings.prefetch]}",
        f"cache-max-negative-ttl: {settings.cache_max_negative_ttl_s}",
        f"use-caps-for-id: {yes[settings.use_caps_for_id]}",
        'local-zone: "test." nodefault',  # Unbound answers test. itself (RFC 6761) otherwise
    ]
    upstream = host_resolvers() if resolvers is None else resolvers
    forwarding = settings.forward_outside and bool(upstream)
    if not forwarding:
        server.append('local-zone: "." refuse')
    for zone in layout.zones:
        server.append(f"local-zone: {_quoted(zone)} transparent")
        server.append(f"domain-insecure: {_quoted(zone)}")
    lines = ["server:", *(f"    {line}" for line in server), ""]
    for zone in layout.zones:
        lines += [
            "stub-zone:",
            f"    name: {_quoted(zone)}",
            f"    stub-addr: {layout.authority.host}@{layout.authority.port}",
            "",
        ]
    if forwarding:
        lines += ["forward-zone:", '    name: "."']
        lines += [f"    forward-addr: {address}" for address in upstream]
        lines.append("")
    lines += [
        "remote-control:",
        "    control-enable: yes",
        f"    control-interface: {layout.control.host}",
        f"    control-port: {layout.control.port}",
        "    control-use-cert: no",
        "",
    ]
    return "\n".join(lines)
