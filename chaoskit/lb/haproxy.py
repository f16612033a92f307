"""HAProxy, the load balancer's data plane: its configuration, and its runtime API.

HAProxy runs in TCP mode (an NLB is a layer-4 balancer): one ``bind`` per LB node, every
node forwarding to every target (cross-zone). It runs no checks of its own: the ``lb``
control plane takes targets out (``maint``, their connections shut, as NLB terminates
connections to unhealthy targets) and puts them back (``ready``) through the runtime API
on a loopback TCP socket.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass

from chaoskit.lab.config import Endpoint

__all__ = [
    "BACKEND",
    "HaproxyError",
    "HaproxyLayout",
    "HaproxyRuntime",
    "haproxy_binary",
    "haproxy_version",
    "render_haproxy_config",
]

BACKEND = "targets"
SERVER_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class HaproxyError(Exception):
    """The runtime API did not answer, or refused a command."""


@dataclass(frozen=True)
class HaproxyLayout:
    """Where HAProxy listens and what it forwards to."""

    nodes: tuple[Endpoint, ...]
    runtime: Endpoint
    targets: tuple[tuple[str, Endpoint], ...]
    connect_timeout_s: float = 1.0


def render_haproxy_config(layout: HaproxyLayout) -> str:
    """``haproxy.cfg`` for the lab's load balancer."""
    for name, _ in layout.targets:
        if not SERVER_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid HAProxy server name")
    connect_ms = max(1, round(layout.connect_timeout_s * 1000))
    lines = [
        "# written by chaoskit: the lab's load balancer (data plane); the lb component",
        "# takes targets out of service and back through the runtime API below",
        "global",
        f"    stats socket ipv4@{layout.runtime} level admin",
        "    stats timeout 10s",
        "    maxconn 4000",
        "",
        "defaults",
        "    mode tcp",
        f"    timeout connect {connect_ms}ms",
        "    timeout client 60s",
        "    timeout server 60s",
        "    retries 0",
        "",
        "frontend nodes",
        *(f"    bind {node}" for node in layout.nodes),
        f"    default_backend {BACKEND}",
        "",
        f"backend {BACKEND}",
        "    balance roundrobin",
        *(f"    server {name} {endpoint}" for name, endpoint in layout.targets),
        "",
    ]
    return "\n".join(lines)


def haproxy_binary() -> str | None:
    """Debian's ``haproxy`` (in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("haproxy")
    if found:
        return found
    return "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None


def haproxy_version(binary: str) -> str:
    """``HAProxy 2.6.12``, from ``haproxy -v``."""
    try:
        out = subprocess.run(
            [binary, "-v"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "HAProxy"
    match = re.search(r"version (\S+)", out)
    return f"HAProxy {match.group(1).split('-')[0]}" if match else "HAProxy"


class HaproxyRuntime:
    """HAProxy's runtime API (the ``stats socket``), one command per connection."""

    def __init__(self, endpoint: Endpoint, timeout_s: float = 2.0) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s

    def command(self, line: str) -> str:
        """Send one command; its whole answer."""
        try:
            with socket.create_connection(
                (self.endpoint.host, self.endpoint.port), timeout=self.timeout_s
            ) as conn:
                conn.sendall(line.encode() + b"\n")
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
        except OSError as exc:
            raise HaproxyError(f"HAProxy runtime API at {self.endpoint}: {exc}") from None
        return b"".join(chunks).decode(errors="replace")

    def answers(self) -> bool:
        try:
            return "Name: HAProxy" in self.command("show info")
        except HaproxyError:
            return False

    def servers(self) -> dict[str, str]:
        """Each target's status in the backend: ``no check`` (serving) or ``MAINT``."""
        text = self.command("show stat")
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {
            row["svname"]: row["status"]
            for row in rows
            if row.get("pxname") == BACKEND and row.get("svname") not in ("FRONTEND", "BACKEND")
        }

    def in_service(self) -> set[str]:
        return {name for name, status in self.servers().items() if "MAINT" not in status}

    def set_in_service(self, server: str, serving: bool) -> None:
        """Put ``server`` in service, or take it out and shut its connections."""
        state = "ready" if serving else "maint"
        self._expect_empty(f"set server {BACKEND}/{server} state {state}")
        if not serving:
            self._expect_empty(f"shutdown sessions server {BACKEND}/{server}")

    def _expect_empty(self, line: str) -> None:
        answer = self.command(line).strip()
        if answer:
            raise HaproxyError(f"HAProxy refused {line!r}: {answer}")
