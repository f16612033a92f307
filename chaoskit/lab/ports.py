"""Checking that a port is free before a component needs it, and naming who holds it."""

from __future__ import annotations

import socket
import time

import psutil

from chaoskit._errors import PortInUse

__all__ = ["ensure_free", "port_owner"]

RELEASE_GRACE_S = 0.5
"""How long a port may stay held once its process is gone: the kernel releases a dead
process's listening socket after the process itself (measured: up to 12 ms), so a
component started again at once (a kill's revert, a restart) would find its port taken."""


def port_owner(host: str, port: int) -> str | None:
    """``name (pid N)`` of the process listening on host:port, where the OS lets us see it."""
    try:
        connections = psutil.net_connections(kind="inet")
    except (psutil.AccessDenied, OSError):
        return None
    for conn in connections:
        if not conn.laddr or conn.laddr.port != port:
            continue
        if conn.laddr.ip not in (host, "0.0.0.0", "::", f"::ffff:{host}"):
            continue
        if conn.pid is None:
            return None
        try:
            return f"{psutil.Process(conn.pid).name()} (pid {conn.pid})"
        except psutil.Error:
            return f"pid {conn.pid}"
    return None


def _bindable(host: str, port: int, kind: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as probe:
        if kind == socket.SOCK_STREAM:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def ensure_free(component: str, host: str, port: int, udp: bool = False) -> None:
    """Raise PortInUse naming the owner when ``host:port`` cannot be bound (TCP, and UDP too)
    within ``RELEASE_GRACE_S``."""
    kinds = [socket.SOCK_STREAM] + ([socket.SOCK_DGRAM] if udp else [])
    deadline = time.monotonic() + RELEASE_GRACE_S
    for kind in kinds:
        while not _bindable(host, port, kind):
            if time.monotonic() >= deadline:
                raise PortInUse(component, host, port, port_owner(host, port))
            time.sleep(0.01)
