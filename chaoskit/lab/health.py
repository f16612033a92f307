"""Health checks that ask each component a real question, each bounded by a timeout."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable
from pathlib import Path

import dns.message
import dns.query
import dns.rcode

__all__ = [
    "dns_answers",
    "http_answers",
    "http_ok",
    "probe",
    "tcp_accepts",
    "unix_accepts",
    "wait_until",
]


def dns_answers(host: str, port: int, zone: str = "lab.test.", timeout_s: float = 0.5) -> bool:
    """The server answers an SOA query for its zone with NOERROR.

    Asked from a connected UDP socket, so that a port nobody listens on yet refuses at once
    (the ICMP port unreachable is reported to a connected socket only) instead of taking the
    whole timeout: a server that is starting is seen answering as soon as it answers."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.connect(address)
            reply = dns.query.udp(
                dns.message.make_query(zone, "SOA"), host, port=port, timeout=timeout_s,
                sock=sock,
            )  # fmt: skip
    except (OSError, dns.exception.DNSException):
        return False
    return reply.rcode() == dns.rcode.NOERROR and bool(reply.answer)


def http_answers(host: str, port: int, path: str = "/", timeout_s: float = 0.5) -> bool:
    """Something speaking HTTP answers at host:port (any status: DynamoDB answers 400 to GET /)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        conn.getresponse().read()
        return True
    except (TimeoutError, OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def http_ok(host: str, port: int, path: str, timeout_s: float = 0.5) -> bool:
    """GET host:port/path answers with a 2xx status."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return 200 <= response.status < 300
    except (TimeoutError, OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def tcp_accepts(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """Something accepts a TCP connection at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def unix_accepts(path: Path, timeout_s: float = 0.5) -> bool:
    """Something accepts a connection on the UNIX socket at ``path``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(timeout_s)
            client.connect(str(path))
            return True
    except OSError:
        return False


def probe(health: str, host: str, port: int) -> Callable[[], bool]:
    """The check a lab file's ``health`` names: ``tcp``, or ``http:/path`` (a 2xx answer)."""
    if health.startswith("http:"):
        path = health[len("http:") :] or "/"
        return lambda: http_ok(host, port, path)
    return lambda: tcp_accepts(host, port)


def wait_until(check: Callable[[], bool], timeout_s: float, interval_s: float = 0.05) -> bool:
    """Poll ``check()`` until it is true or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)
