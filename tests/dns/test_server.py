"""The real server over UDP and TCP: what an authoritative server must answer."""

from __future__ import annotations

import socket
import struct

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from tests.dns.fixtures import DnsServer


def _rrset(reply: dns.message.Message, rtype: str) -> list[str]:
    wanted = dns.rdatatype.from_text(rtype)
    return sorted(rd.to_text() for rrset in reply.answer if rrset.rdtype == wanted for rd in rrset)


def test_answers_every_record_type_authoritatively(server: DnsServer) -> None:
    expected = {
        ("www.zone.test.", "A"): ["127.0.0.10"],
        ("www.zone.test.", "AAAA"): ["::1"],
        ("alias.zone.test.", "CNAME"): ["www.zone.test."],
        ("_svc._tcp.zone.test.", "SRV"): ["10 5 8000 www.zone.test."],
        ("txt.zone.test.", "TXT"): ['"v=chaoskit" "second string"'],
        ("zone.test.", "NS"): ["ns1.zone.test."],
    }
    for (name, rtype), values in expected.items():
        reply = server.query(name, rtype)
        assert reply.rcode() == dns.rcode.NOERROR, (name, rtype)
        assert reply.flags & dns.flags.AA, (name, rtype)
        assert _rrset(reply, rtype) == values, (name, rtype)
    (soa,) = _rrset(server.query("zone.test.", "SOA"), "SOA")
    mname, rname, serial, *times = soa.split()
    assert (mname, rname, times) == ("ns1.zone.test.", "hostmaster.zone.test.", [
        "3600", "600", "86400", "30"
    ])  # fmt: skip
    assert int(serial) >= 2026112201  # the file's, or higher after changes made at run time


def test_cname_is_followed_inside_the_zone(server: DnsServer) -> None:
    reply = server.query("alias.zone.test.", "A")
    assert _rrset(reply, "CNAME") == ["www.zone.test."]
    assert _rrset(reply, "A") == ["127.0.0.10"]


def test_srv_answer_carries_glue_for_its_target(server: DnsServer) -> None:
    reply = server.query("_svc._tcp.zone.test.", "SRV")
    glue = sorted(rd.to_text() for rrset in reply.additional for rd in rrset)
    assert glue == ["127.0.0.10", "::1"]


def test_nodata_has_soa_in_authority_with_negative_ttl(server: DnsServer) -> None:
    reply = server.query("www.zone.test.", "TXT")
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.answer == []
    (soa,) = reply.authority
    assert soa.rdtype == dns.rdatatype.SOA
    assert soa.ttl == 30  # min(SOA TTL 300, MINIMUM 30), RFC 2308


def test_empty_non_terminal_is_nodata_not_nxdomain(server: DnsServer) -> None:
    reply = server.query("b.deep.zone.test.", "A")
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.answer == []


def test_nxdomain_has_soa_in_authority(server: DnsServer) -> None:
    reply = server.query("missing.zone.test.", "A")
    assert reply.rcode() == dns.rcode.NXDOMAIN
    assert reply.flags & dns.flags.AA
    assert [r.rdtype for r in reply.authority] == [dns.rdatatype.SOA]


def test_wildcard_synthesises_the_query_name(server: DnsServer) -> None:
    reply = server.query("anything.wild.zone.test.", "A")
    assert reply.answer[0].name.to_text() == "anything.wild.zone.test."
    assert _rrset(reply, "A") == ["127.0.0.3"]


def test_names_outside_the_zones_are_refused(server: DnsServer) -> None:
    for name in ("example.com.", "test.", "."):
        reply = server.query(name, "A")
        assert reply.rcode() == dns.rcode.REFUSED, name
        assert not reply.flags & dns.flags.AA
        assert reply.answer == []


def test_large_answer_sets_tc_over_udp_and_comes_whole_over_tcp(server: DnsServer) -> None:
    truncated = server.query("big.zone.test.", "TXT")
    assert truncated.flags & dns.flags.TC
    assert truncated.answer == []
    reply, used_tcp = dns.query.udp_with_fallback(
        dns.message.make_query("big.zone.test.", "TXT"), server.host, port=server.port, timeout=2
    )
    assert used_tcp
    assert len(reply.answer[0][0].strings) == 40


def test_edns_buffer_size_is_honoured(server: DnsServer) -> None:
    small = server.query("big.zone.test.", "TXT", use_edns=0, payload=1232)
    assert small.flags & dns.flags.TC
    assert small.edns == 0
    large = server.query("big.zone.test.", "TXT", use_edns=0, payload=4096)
    assert not large.flags & dns.flags.TC
    assert len(large.answer[0][0].strings) == 40


def test_tcp_connection_serves_several_queries(server: DnsServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=2) as conn:
        for name in ("www.zone.test.", "alias.zone.test.", "missing.zone.test."):
            wire = dns.message.make_query(name, "A").to_wire()
            conn.sendall(struct.pack("!H", len(wire)) + wire)
            (length,) = struct.unpack("!H", conn.recv(2))
            data = b""
            while len(data) < length:
                data += conn.recv(length - len(data))
            assert dns.message.from_wire(data).question[0].name.to_text() == name


def test_garbage_with_a_header_gets_formerr_and_short_packets_get_silence(
    server: DnsServer,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1)
        sock.sendto(
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xff\xff", (server.host, server.port)
        )
        reply = sock.recv(512)
        assert reply[:2] == b"\x12\x34"
        assert reply[3] & 0x0F == dns.rcode.FORMERR
        sock.sendto(b"\x01\x02\x03", (server.host, server.port))
        sock.settimeout(0.3)
        try:
            sock.recv(512)
            answered = True
        except TimeoutError:
            answered = False
        assert not answered
    assert server.query("www.zone.test.").rcode() == dns.rcode.NOERROR


def test_a_label_holding_a_dot_is_one_label_not_two(server: DnsServer) -> None:
    """``www\\.zone.test.`` is one label under ``test.`` (outside the zone), and
    ``www\\.x.zone.test.`` one label under the zone that no record has: neither is taken for
    the name its text spells (the answer's owner would not be the name asked)."""
    assert server.query("www\\.zone.test.", "A").rcode() == dns.rcode.REFUSED
    reply = server.query("www\\.x.zone.test.", "A")
    assert reply.rcode() == dns.rcode.NXDOMAIN
    assert reply.answer == []
    assert [r.rdtype for r in reply.authority] == [dns.rdatatype.SOA]


def test_a_wildcard_answers_with_the_name_exactly_as_asked(server: DnsServer) -> None:
    for asked in ("Any\\.Thing.wild.zone.test.", "ANY.wild.zone.test.", "a\\000b.wild.zone.test."):
        reply = server.query(asked, "A")
        assert reply.rcode() == dns.rcode.NOERROR, asked
        (rrset,) = reply.answer
        assert rrset.name.to_text() == asked, asked
        assert _rrset(reply, "A") == ["127.0.0.3"], asked


def test_a_negative_answer_at_the_end_of_a_cname_has_the_soa(server: DnsServer) -> None:
    """RFC 2308 §2: no such name, or no data of the type, at the end of a CNAME is negative
    like any other, with the zone's SOA for a resolver to cache it by; it came without."""
    with server.admin() as admin:
        admin.set_record("dangling.zone.test", "CNAME", ["gone.zone.test."])
        try:
            for name, rtype, rcode in (
                ("dangling.zone.test.", "A", dns.rcode.NXDOMAIN),
                ("alias.zone.test.", "MX", dns.rcode.NOERROR),
            ):
                reply = server.query(name, rtype)
                assert reply.rcode() == rcode, name
                assert [r.rdtype for r in reply.answer] == [dns.rdatatype.CNAME], name
                assert [r.rdtype for r in reply.authority] == [dns.rdatatype.SOA], name
                assert reply.authority[0].ttl == 30, name
        finally:
            admin.delete_record("dangling.zone.test", "CNAME")
    reply = server.query("alias.zone.test.", "A")
    assert reply.authority == [] and _rrset(reply, "A") == ["127.0.0.10"]
