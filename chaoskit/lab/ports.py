"""Checking that a port is free before a component needs it, and naming who holds it."""

from __future__ import annotations

import socket

import psutil

from chaoskit._errors import PortInUse

__all__ = ["ensure_free", "port_owner"]


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
    """Raise PortInUse naming the owner when ``host:port`` cannot be bound (TCP, and UDP too)."""
    kinds = [socket.SOCK_STREAM] + ([socket.SOCK_DGRAM] if udp else [])
    for kind in kinds:
        if not _bindable(host, port, kind):
            raise PortInUse(component, host, port, port_owner(host, port))
