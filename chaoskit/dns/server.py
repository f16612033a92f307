"""Runs the lab DNS server: UDP and TCP listeners, the admin API, expiry timers, signals."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import os
import secrets
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from chaoskit._errors import ComponentError, PortInUse
from chaoskit.dns.admin import build_admin_app, serve_admin
from chaoskit.dns.authority import DnsAuthority
from chaoskit.dns.events import EventLog
from chaoskit.dns.mmsg import MMSG_AVAILABLE
from chaoskit.dns.responder import Responder
from chaoskit.dns.transport import TcpDnsHandler, UdpDnsProtocol
from chaoskit.dns.udp_batched import BatchedUdpListener

__all__ = ["UDP_MODES", "DnsServerConfig", "UdpMode", "load_or_create_token", "run_dns_server"]

log = logging.getLogger(__name__)
EXPIRY_SWEEP_S = 0.5
UDP_MODES = ("batched", "loop")
UdpMode = Literal["batched", "loop"]


@dataclass
class DnsServerConfig:
    """Where the server listens and what it serves."""

    zone_files: list[Path]
    listen: str = "127.0.0.1"
    port: int = 5353
    admin_listen: str = "127.0.0.1"
    admin_port: int = 8053
    token_file: Path = field(default_factory=lambda: Path(".chaoskit/dns-admin.token"))
    event_log: Path | None = None
    udp_mode: UdpMode = "batched"  # batched: recvmmsg/sendmmsg from a thread, where Linux has them


def load_or_create_token(path: Path) -> str:
    """The admin token kept in ``path``; created (mode 0600) on first use."""
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as sink:
        sink.write(token + "\n")
    return token


async def _serve(config: DnsServerConfig) -> None:
    loop = asyncio.get_running_loop()
    authority = DnsAuthority(config.zone_files, EventLog(config.event_log))
    token = load_or_create_token(config.token_file)
    stop = asyncio.Event()

    def expire_later(fault_id: str, seconds: float) -> None:
        loop.call_later(seconds, lambda: authority.lift_fault(fault_id, "server", "expired"))

    # the admin API first: whoever sees the server answer queries can manage it at once
    with _binding("admin API", config.admin_listen, config.admin_port):
        admin = await serve_admin(
            build_admin_app(authority, token, expire_later), config.admin_listen, config.admin_port
        )
    with _binding("DNS over TCP", config.listen, config.port):
        tcp = await asyncio.start_server(
            TcpDnsHandler(authority.responder), config.listen, config.port, reuse_address=True
        )
    with _binding("DNS over UDP", config.listen, config.port):
        close_udp = await _listen_udp(config, authority.responder)

    async def sweep() -> None:
        while not stop.is_set():  # a safety net behind the per-fault timers
            authority.lift_expired()
            await asyncio.sleep(EXPIRY_SWEEP_S)

    def reload() -> None:
        try:
            authority.reload_zones("SIGHUP")
        except Exception as exc:
            log.error("zone reload refused, zones unchanged: %s", exc)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reload)
    sweeper = asyncio.create_task(sweep())
    log.info(
        "serving %s on %s:%d (udp+tcp), admin on %s:%d",
        ", ".join(z.origin for z in authority.store.zones),
        config.listen,
        config.port,
        config.admin_listen,
        config.admin_port,
    )
    gc.freeze()  # start-up objects never need collecting; keeps GC pauses off the answer path
    try:
        await stop.wait()
    finally:
        sweeper.cancel()
        for fault in authority.faults.all():  # faults die with the server; say so in the log
            authority.lift_fault(fault.id, "server", "lifted")
        close_udp()
        tcp.close()
        await admin.cleanup()


@contextlib.contextmanager
def _binding(what: str, host: str, port: int) -> Iterator[None]:
    """A socket that cannot be bound becomes one clear line (``dns serve, DNS over UDP:
    127.0.0.1:5353 is already in use by unbound (pid 12)``), not a traceback."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            from chaoskit.lab.ports import port_owner

            raise PortInUse(f"dns serve, {what}", host, port, port_owner(host, port)) from None
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ComponentError(
            f"dns serve, {what}", f"cannot listen on {host}:{port}: {reason}"
        ) from None


async def _listen_udp(config: DnsServerConfig, responder: Responder) -> Callable[[], None]:
    """Batched system calls from a thread on Linux, else (or if asked) an event-loop protocol;
    returns what stops it."""
    if config.udp_mode == "batched" and MMSG_AVAILABLE:
        listener = BatchedUdpListener.bind(config.listen, config.port, responder)
        log.info("UDP answered in batches (recvmmsg/sendmmsg)")
        return listener.close
    family = socket.AF_INET6 if ":" in config.listen else socket.AF_INET
    udp, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: UdpDnsProtocol(responder), local_addr=(config.listen, config.port), family=family
    )
    log.info("UDP answered from the event loop")
    return udp.close


def run_dns_server(config: DnsServerConfig) -> None:
    """Serve until SIGTERM or SIGINT; uses uvloop when it is installed."""
    try:
        import uvloop

        uvloop.run(_serve(config))
    except ImportError:
        asyncio.run(_serve(config))
