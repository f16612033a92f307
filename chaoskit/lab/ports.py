"""Checking that a port is free before a component needs it, and naming who holds it."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import psutil

from chaoskit._errors import PortInUse

__all__ = ["ensure_free", "port_owner"]

RELEASE_GRACE_S = 0.5
"""How long a port may stay held once its process is gone: the kernel releases a dead
process's listening socket after the process itself (measured: up to 12 ms), so a
component started again at once (a kill's revert, a restart) would find its port taken."""


def port_owner(host: str, port: int) -> str | None:
    """``name (pid N)`` of the process listening on host:port, where the OS lets us see it;
    for a component of another chaoskit lab, which one and how to stop that lab."""
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
            owner = f"{psutil.Process(conn.pid).name()} (pid {conn.pid})"
        except psutil.Error:
            owner = f"pid {conn.pid}"
        return owner + _of_a_lab(conn.pid)
    return None


def _of_a_lab(pid: int) -> str:
    """``, the dns of the lab in DIR (...)`` when ``pid`` is a lab component: the lab starts
    each with its output in ``STATE_DIR/logs/NAME.log``, beside the lab's ``state.json``."""
    try:
        output = Path(os.readlink(f"/proc/{pid}/fd/1"))
    except OSError:
        return ""
    state_dir = output.parent.parent
    if output.parent.name != "logs" or output.suffix != ".log":
        return ""
    if not (state_dir / "state.json").is_file():
        return ""
    return (
        f", the {output.stem} of the lab in {state_dir}: stop that lab "
        f"(`chaoskit --state-dir {state_dir} down`) or give this one another `subnet` in its "
        "lab file"
    )


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
