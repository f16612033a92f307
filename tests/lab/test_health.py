"""Health checks against real listeners: what counts as answering, and how soon a check that
cannot succeed gives up."""

from __future__ import annotations

import socket
import time

from chaoskit.lab.health import dns_answers
from tests.dns.fixtures import DnsServer
from tests.helpers import free_port


def test_a_dns_server_answering_for_its_zone_is_healthy(dns_server: DnsServer) -> None:
    assert dns_answers(dns_server.host, dns_server.port, "zone.test.")


def test_a_dns_server_that_does_not_hold_the_zone_is_not(dns_server: DnsServer) -> None:
    assert not dns_answers(dns_server.host, dns_server.port, "elsewhere.test.")


def test_a_port_nobody_listens_on_fails_at_once_rather_than_after_the_timeout() -> None:
    """A component starting is probed before it binds: the port's refusal is the answer, so
    the check does not sit out its timeout (30 s here) before the next probe."""
    began = time.monotonic()
    assert not dns_answers("127.0.0.1", free_port(), timeout_s=30)
    assert time.monotonic() - began < 10


def test_a_listener_that_never_answers_fails_after_the_timeout() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        began = time.monotonic()
        assert not dns_answers("127.0.0.1", silent.getsockname()[1], timeout_s=0.3)
        assert time.monotonic() - began >= 0.3
