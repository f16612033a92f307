"""Each fault kind against the real server, and that faults end by themselves."""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import socket
import threading
import time
from collections import Counter

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from chaoskit.lab.health import wait_until
from tests.dns.fixtures import DnsServer

NAME = "www.zone.test."


def _addresses(server: DnsServer, name: str = NAME, tries: int = 1) -> list[str]:
    answer = server.query(name, tries=tries).answer
    return sorted(rd.to_text() for rrset in answer for rd in rrset)


def test_blank_empties_the_answer_and_lifting_restores_exactly_what_was_served(
    server: DnsServer,
) -> None:
    before = {t: server.query(NAME, t).answer for t in ("A", "AAAA")}
    with server.admin() as admin:
        fault = admin.add_fault("blank", NAME, duration_s=30)
        for rtype in ("A", "AAAA"):
            reply = server.query(NAME, rtype)
            assert reply.rcode() == dns.rcode.NOERROR
            assert reply.answer == []
            assert reply.authority[0].rdtype == dns.rdatatype.SOA
        admin.lift_fault(fault["id"])
    assert {t: server.query(NAME, t).answer for t in ("A", "AAAA")} == before


@pytest.mark.parametrize(
    ("kind", "rcode"),
    [
        ("nxdomain", dns.rcode.NXDOMAIN),
        ("servfail", dns.rcode.SERVFAIL),
        ("refused", dns.rcode.REFUSED),
    ],
)
def test_rcode_faults(server: DnsServer, kind: str, rcode: int) -> None:
    with server.admin() as admin:
        admin.add_fault(kind, NAME, duration_s=30)
        assert server.query(NAME).rcode() == rcode
        assert (
            server.query("alias.zone.test.", "CNAME").rcode() == dns.rcode.NOERROR
        )  # others untouched


def test_drop_sends_no_reply(server: DnsServer) -> None:
    with server.admin() as admin:
        admin.add_fault("drop", NAME, duration_s=30)
        with pytest.raises(dns.exception.Timeout):
            dns.query.udp(
                dns.message.make_query(NAME, "A"), server.host, port=server.port, timeout=0.5
            )


def test_delay_holds_the_answer_back(server: DnsServer) -> None:
    with server.admin() as admin:
        admin.add_fault("delay", NAME, duration_s=30, ms=300, jitter_ms=20)
        started = time.monotonic()
        assert _addresses(server) == ["127.0.0.10"]
        elapsed = time.monotonic() - started
        assert 0.27 <= elapsed < 1.5
        started = time.monotonic()
        assert server.query("alias.zone.test.", "CNAME", tcp=True).answer
        assert time.monotonic() - started < 0.25  # only the faulted name is slow


def test_a_delayed_udp_answer_holds_up_no_other_query(server: DnsServer) -> None:
    with server.admin() as admin, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        admin.add_fault("delay", NAME, duration_s=30, ms=400)
        sock.settimeout(2)
        slow = dns.message.make_query(NAME, "A")
        sock.sendto(slow.to_wire(), (server.host, server.port))
        started = time.monotonic()
        assert server.query("alias.zone.test.", "CNAME").answer
        assert time.monotonic() - started < 0.25
        reply = dns.message.from_wire(sock.recv(512))
        assert reply.id == slow.id and 0.35 <= time.monotonic() - started < 1.5


def test_changes_take_effect_on_the_next_query_while_a_flood_is_answered(
    server: DnsServer,
) -> None:
    stop = threading.Event()
    answered = [0]

    def flood() -> None:  # bounded by the test: it stops when the changes are done
        wire = dns.message.make_query(NAME, "A").to_wire()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            while not stop.is_set():
                for _ in range(50):
                    sock.sendto(wire, (server.host, server.port))
                time.sleep(0.001)
                with contextlib.suppress(BlockingIOError):
                    while sock.recv(512):
                        answered[0] += 1

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    try:
        with server.admin() as admin:
            for _ in range(15):
                fault = admin.add_fault("blank", NAME, duration_s=30)
                # a flood fills the server's socket buffer: a datagram may be lost, and is
                # asked again as a stub resolver would; what matters is what is answered
                assert server.query(NAME, tries=5).answer == []
                admin.lift_fault(fault["id"])
                assert _addresses(server, tries=5) == ["127.0.0.10"]
    finally:
        stop.set()
        flooder.join(timeout=5)
    assert answered[0] > 100


def test_wrong_ip_with_a_given_and_a_random_address(server: DnsServer) -> None:
    with server.admin() as admin:
        given = admin.add_fault("wrong_ip", NAME, duration_s=30, address="127.0.0.99")
        assert _addresses(server) == ["127.0.0.99"]
        # an alias of the name is answered up to its CNAME: the client asks for the name
        assert _addresses(server, "alias.zone.test.") == ["www.zone.test."]
        admin.lift_fault(given["id"])
        admin.add_fault("wrong_ip", NAME, duration_s=30)
        seen = {_addresses(server)[0] for _ in range(20)}
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network("127.240.0.0/12") for a in seen)
    assert len(seen) > 1


@pytest.mark.parametrize("kind", ["blank", "nxdomain", "servfail", "drop"])
def test_a_fault_on_a_name_reaches_those_who_ask_for_its_alias(
    server: DnsServer, kind: str
) -> None:
    """The authority followed the CNAME to the faulted name's records as zoned: whoever took
    its answer for the alias as it came (a ``dns`` probe, a stub, a forwarder that keeps the
    chased data) got the address through the fault."""
    assert _addresses(server, "alias.zone.test.") == ["127.0.0.10", "www.zone.test."]
    with server.admin() as admin:
        fault = admin.add_fault(kind, NAME, duration_s=30)
        reply = server.query("alias.zone.test.")
        assert reply.rcode() == dns.rcode.NOERROR and reply.answer[0].name.to_text() == (
            "alias.zone.test."
        )
        assert _addresses(server, "alias.zone.test.") == ["www.zone.test."]  # no address
        admin.lift_fault(fault["id"])
        assert _addresses(server, "alias.zone.test.") == ["127.0.0.10", "www.zone.test."]


def test_ttl_override(server: DnsServer) -> None:
    with server.admin() as admin:
        admin.add_fault("ttl", "*.zone.test", duration_s=30, ttl=0)
        assert server.query(NAME).answer[0].ttl == 0
        admin.lift_all()
    assert server.query(NAME).answer[0].ttl == 300


def test_negative_ttl_sets_the_soa_ttl_and_minimum_of_negative_answers(
    server: DnsServer,
) -> None:
    with server.admin() as admin:
        admin.add_fault("negative_ttl", NAME, duration_s=30, ttl=300)
        admin.add_fault("blank", NAME, duration_s=30)
        soa = server.query(NAME).authority[0]
        assert soa.ttl == 300 and soa[0].minimum == 300
        assert server.query(NAME, "TXT").authority[0][0].minimum == 300  # NODATA too
        admin.lift_all()
    soa = server.query(NAME, "TXT").authority[0]
    assert soa.ttl == 30 and soa[0].minimum == 30  # the zone's own again
    assert server.query(NAME).answer  # and the record was never touched


def test_flap_alternates_bad_and_good(server: DnsServer) -> None:
    with server.admin() as admin:
        admin.add_fault("flap", NAME, duration_s=30, period_s=0.2, bad="servfail")
        seen = []
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            seen.append(server.query(NAME).rcode())
            time.sleep(0.02)
    assert seen[0] == dns.rcode.SERVFAIL  # the first phase is bad
    assert {dns.rcode.SERVFAIL, dns.rcode.NOERROR} <= set(seen)
    changes = sum(1 for a, b in itertools.pairwise(seen) if a != b)
    assert changes >= 3


def test_probability_affects_about_that_share_of_queries(server: DnsServer) -> None:
    with server.admin() as admin:
        admin.add_fault("servfail", NAME, duration_s=30, probability=0.5)
        counts = Counter(server.query(NAME).rcode() for _ in range(300))
    assert 90 < counts[dns.rcode.SERVFAIL] < 210
    assert counts[dns.rcode.SERVFAIL] + counts[dns.rcode.NOERROR] == 300


def test_glob_patterns_match_many_names(server: DnsServer) -> None:
    with server.admin() as admin:
        admin.add_fault("nxdomain", "*.wild.zone.test", duration_s=30)
        assert server.query("one.wild.zone.test.").rcode() == dns.rcode.NXDOMAIN
        assert server.query("two.wild.zone.test.").rcode() == dns.rcode.NXDOMAIN
        assert server.query(NAME).rcode() == dns.rcode.NOERROR


def test_the_server_lifts_an_expired_fault_without_any_client_action(server: DnsServer) -> None:
    with server.admin() as admin:
        fault = admin.add_fault("blank", NAME, duration_s=0.4)
        assert server.query(NAME).answer == []  # cached as blank: expiry must clear the cache
        assert server.query(NAME).answer == []
        assert wait_until(lambda: not admin.faults(), timeout_s=3)
        events = admin.events()["events"]
    assert _addresses(server) == ["127.0.0.10"]
    expired = [e for e in events if e["event"] == "fault.expired" and e["id"] == fault["id"]]
    assert expired and expired[0]["actor"] == "server"


def test_a_record_change_takes_effect_on_the_very_next_query(server: DnsServer) -> None:
    name = "runtime.zone.test."
    with server.admin() as admin:
        assert server.query(name).rcode() == dns.rcode.NXDOMAIN
        admin.set_record(name, "A", ["127.0.0.51", "127.0.0.52"], ttl=5)
        assert _addresses(server, name) == ["127.0.0.51", "127.0.0.52"]
        admin.set_record(name, "A", [], ttl=5)  # the record the DNS automation left empty
        reply = server.query(name)
        assert reply.rcode() == dns.rcode.NOERROR and reply.answer == []
        assert admin.delete_record(name) == 1
        assert server.query(name).rcode() == dns.rcode.NXDOMAIN
        events = [e["event"] for e in admin.events()["events"] if e.get("name") == name]
    assert events == ["record.set", "record.set", "record.deleted"]
