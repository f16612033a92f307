"""Malformed, truncated, oversized and random packets never crash the server."""

from __future__ import annotations

import socket
from pathlib import Path

import dns.message
import dns.rcode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaoskit.dns.authority import DnsAuthority
from chaoskit.dns.faults import FaultSpec
from tests.dns.fixtures import TEST_ZONE, DnsServer

VALID = dns.message.make_query("www.zone.test.", "A", use_edns=0).to_wire()


def _mutations() -> st.SearchStrategy[bytes]:
    flips = st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=8)
    mutated = flips.map(lambda changes: _apply(VALID, changes))
    return st.one_of(
        st.binary(max_size=600),
        mutated,
        st.integers(0, len(VALID)).map(lambda n: VALID[:n]),
        st.binary(min_size=1, max_size=60000).map(lambda tail: VALID + tail),
    )


def _apply(data: bytes, changes: list[tuple[int, int]]) -> bytes:
    buf = bytearray(data)
    for index, value in changes:
        buf[index] = value
    return bytes(buf)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packet=_mutations(), tcp=st.booleans())
def test_responder_never_raises(packet: bytes, tcp: bool) -> None:
    reply = _AUTHORITY.responder.respond(packet, tcp=tcp)
    if reply.packet is not None:
        assert reply.packet[:2] == packet[:2]  # every reply carries the query's ID
        assert reply.packet[2] & 0x80  # and is marked as a response


@settings(max_examples=300, deadline=None)
@given(packet=_mutations())
def test_live_server_survives_random_packets(dns_server: DnsServer, packet: bytes) -> None:
    # the socket stays open while the server is asked again: closed at once, its port could
    # be the query's, which would then read the server's answer to the random packet
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(packet[:65000], (dns_server.host, dns_server.port))
        assert dns_server.query("www.zone.test.").rcode() == dns.rcode.NOERROR


def _authority() -> DnsAuthority:
    import tempfile

    zone = Path(tempfile.mkdtemp()) / "zone.test.zone"
    zone.write_text(TEST_ZONE)
    authority = DnsAuthority([zone])
    authority.add_fault(FaultSpec(kind="wrong_ip", name="*.wild.zone.test", params={}))
    authority.add_fault(FaultSpec(kind="ttl", name="www.zone.test", params={"ttl": 1}))
    return authority


_AUTHORITY = _authority()
