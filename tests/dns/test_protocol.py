"""What a strict client (Zonemaster, dig, a secondary) expects of EDNS and zone transfers."""

from __future__ import annotations

import socket
import subprocess

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.zone

from tests.dns.fixtures import DnsServer


def test_an_unknown_edns_version_gets_badvers_with_version_0(server: DnsServer) -> None:
    reply = server.query("www.zone.test.", "A", use_edns=1)
    assert reply.rcode() == dns.rcode.BADVERS
    assert reply.edns == 0
    assert reply.answer == []
    assert server.query("www.zone.test.", "A", use_edns=0).rcode() == dns.rcode.NOERROR


def test_the_do_bit_of_the_query_is_copied_into_the_reply(server: DnsServer) -> None:
    """RFC 3225 §3, for a server that does not sign too (the reply's OPT said DO=0 to a
    validator that asked with DO=1)."""
    for tcp in (False, True):
        asked = server.query("www.zone.test.", "A", tcp=tcp, want_dnssec=True)
        assert asked.rcode() == dns.rcode.NOERROR and asked.answer
        assert asked.ednsflags & dns.flags.DO
        plain = server.query("www.zone.test.", "A", tcp=tcp, use_edns=0)
        assert not plain.ednsflags & dns.flags.DO
    badvers = server.query("www.zone.test.", "A", use_edns=1, want_dnssec=True)
    assert badvers.rcode() == dns.rcode.BADVERS and badvers.ednsflags & dns.flags.DO


def test_an_error_to_an_edns_query_carries_an_opt_and_the_question(server: DnsServer) -> None:
    """RFC 6891 §6.1.1; NOTIFY, UPDATE and a header alone got a bare header, and dig
    warned 'EDNS query returned status NOTIMP - retry with +noedns'."""
    for opcode, rcode in (
        (dns.opcode.NOTIFY, dns.rcode.NOTIMP),
        (dns.opcode.UPDATE, dns.rcode.NOTIMP),
    ):
        query = dns.message.make_query("www.zone.test.", "SOA", use_edns=0, want_dnssec=True)
        query.set_opcode(opcode)
        reply = dns.query.udp(query, server.host, port=server.port, timeout=2)
        assert (reply.opcode(), reply.rcode()) == (opcode, rcode)
        assert reply.edns == 0 and reply.ednsflags & dns.flags.DO
        assert [q.name.to_text() for q in reply.question] == ["www.zone.test."]
    headless = dns.message.make_query("www.zone.test.", "A", use_edns=0)
    headless.question = []
    reply = dns.query.udp(headless, server.host, port=server.port, timeout=2)
    assert reply.rcode() == dns.rcode.FORMERR and reply.edns == 0
    plain = dns.message.make_query("www.zone.test.", "A")
    plain.set_opcode(dns.opcode.NOTIFY)
    reply = dns.query.tcp(plain, server.host, port=server.port, timeout=2)
    assert reply.rcode() == dns.rcode.NOTIMP and reply.edns == -1  # no OPT asked, none sent


def test_a_query_with_two_opt_records_gets_formerr(server: DnsServer) -> None:
    """RFC 6891 §6.1.1 (it was answered, from the first OPT)."""
    wire = dns.message.make_query("www.zone.test.", "A", use_edns=0).to_wire()
    opt = wire[-11:]  # the OPT record dnspython appends: root name, type 41, 8 more bytes
    assert opt[1:3] == b"\x00\x29"
    twice = wire[:10] + b"\x00\x02" + wire[12:] + opt
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(twice, (server.host, server.port))
        reply = sock.recv(512)
    assert reply[:2] == twice[:2] and reply[3] & 0x0F == dns.rcode.FORMERR


def test_a_name_at_or_below_a_delegation_gets_a_referral(server: DnsServer) -> None:
    """NS records below the apex are a zone cut (RFC 1034 §4.3.2): below it the data is the
    child zone's, so the answer is a referral (not authoritative, the child's NS and glue),
    never the NXDOMAIN or NODATA it used to be; the DS at the cut is the parent's."""
    for name, rtype in (("host.child.zone.test.", "A"), ("child.zone.test.", "NS"),
                        ("ns.child.zone.test.", "A"), ("child.zone.test.", "A")):  # fmt: skip
        for tcp in (False, True):
            reply = server.query(name, rtype, tcp=tcp)
            assert reply.rcode() == dns.rcode.NOERROR, (name, rtype)
            assert not reply.flags & dns.flags.AA and reply.answer == []
            assert [r.to_text() for r in reply.authority] == [
                "child.zone.test. 300 IN NS ns.child.zone.test."
            ]
            assert [r.to_text() for r in reply.additional] == [
                "ns.child.zone.test. 300 IN A 127.0.0.4"
            ]
    ds = server.query("child.zone.test.", "DS")
    assert ds.rcode() == dns.rcode.NOERROR and ds.flags & dns.flags.AA and ds.answer == []
    assert ds.authority[0].rdtype == dns.rdatatype.SOA
    assert server.query("www.zone.test.", "A").flags & dns.flags.AA  # the rest as before


def test_axfr_over_tcp_serves_the_whole_zone_soa_first_and_last(server: DnsServer) -> None:
    zone = dns.zone.from_xfr(dns.query.xfr(server.host, "zone.test.", port=server.port, timeout=5))
    assert zone.origin.to_text() == "zone.test."
    names = {name.to_text() for name in zone.nodes}
    assert {"@", "www", "alias", "_svc._tcp", "a.b.deep", "*.wild", "big"} <= names
    assert zone.find_rdataset("www", "A")[0].address == "127.0.0.10"


def test_axfr_follows_changes_made_at_run_time(server: DnsServer) -> None:
    with server.admin() as admin:
        admin.set_record("added.zone.test.", "A", ["127.0.0.77"], ttl=30)
        try:
            xfr = dns.query.xfr(server.host, "zone.test.", port=server.port, timeout=5)
            zone = dns.zone.from_xfr(xfr)
            assert zone.find_rdataset("added", "A")[0].address == "127.0.0.77"
        finally:
            admin.delete_record("added.zone.test.")


def test_a_zone_bigger_than_one_message_comes_in_several(server: DnsServer) -> None:
    with server.admin() as admin:
        names = [f"bulk{i}.zone.test." for i in range(400)]
        for name in names:
            admin.set_record(name, "TXT", ['"' + "y" * 200 + '"'], ttl=30)
        try:
            messages = list(dns.query.xfr(server.host, "zone.test.", port=server.port, timeout=5))
            assert len(messages) > 1
            zone = dns.zone.from_xfr(iter(messages))
            assert all(zone.get_node(n.replace(".zone.test.", "")) for n in names)
        finally:
            for name in names:
                admin.delete_record(name)


def test_ixfr_gets_a_full_transfer_and_udp_transfers_are_sent_to_tcp(server: DnsServer) -> None:
    ixfr = dns.message.make_query("zone.test.", "IXFR")
    reply = dns.query.tcp(ixfr, server.host, port=server.port, timeout=5, one_rr_per_rrset=True)
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.answer[0].rdtype == dns.rdatatype.SOA
    assert reply.answer[-1].rdtype == dns.rdatatype.SOA
    over_udp = server.query("zone.test.", "AXFR")
    assert over_udp.flags & dns.flags.TC
    assert over_udp.answer == []


def _ixfr_from(serial: int) -> dns.message.Message:
    """An IXFR query as a secondary sends it: its SOA, of ``serial``, in authority."""
    query = dns.message.make_query("zone.test.", "IXFR")
    soa = dns.rrset.from_text(
        "zone.test.", 30, "IN", "SOA", f"ns1.zone.test. hostmaster.zone.test. {serial} 1 1 1 1"
    )
    query.authority.append(soa)
    return query


def test_ixfr_from_the_current_serial_gets_the_soa_alone(server: DnsServer) -> None:
    """It got the whole zone again: a secondary polling for changes transferred it each time."""
    current = server.query("zone.test.", "SOA").answer[0][0].serial
    for serial in (current, current + 5):  # as new, or newer (RFC 1982)
        query = _ixfr_from(serial)
        by_tcp = dns.query.tcp(query, server.host, port=server.port, timeout=5)
        by_udp = dns.query.udp(query, server.host, port=server.port, timeout=5)
        for reply in (by_tcp, by_udp):
            assert reply.rcode() == dns.rcode.NOERROR and not reply.flags & dns.flags.TC
            assert [rrset.rdtype for rrset in reply.answer] == [dns.rdatatype.SOA]
            assert reply.answer[0][0].serial == current
    older = dns.query.tcp(_ixfr_from(current - 1), server.host, port=server.port, timeout=5,
                          one_rr_per_rrset=True)  # fmt: skip
    assert len(older.answer) > 2 and older.answer[-1].rdtype == dns.rdatatype.SOA


def test_a_transfer_of_a_name_that_is_not_a_zone_apex_is_not_authorised(
    server: DnsServer,
) -> None:
    inside = dns.query.tcp(
        dns.message.make_query("www.zone.test.", "AXFR"), server.host, port=server.port, timeout=5
    )
    assert inside.rcode() == dns.rcode.NOTAUTH
    outside = dns.query.tcp(
        dns.message.make_query("example.com.", "AXFR"), server.host, port=server.port, timeout=5
    )
    assert outside.rcode() == dns.rcode.REFUSED


def test_dig_transfers_the_zone_and_sees_badvers(server: DnsServer) -> None:
    dig = ["dig", f"@{server.host}", "-p", str(server.port)]
    axfr = subprocess.run([*dig, "zone.test.", "AXFR"], capture_output=True, text=True, timeout=20)
    assert "Transfer failed" not in axfr.stdout
    assert "www.zone.test." in axfr.stdout and axfr.stdout.count("SOA") >= 2
    badvers = subprocess.run(
        [*dig, "+edns=1", "+noednsnegotiation", "www.zone.test."],
        capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    assert "status: BADVERS" in badvers.stdout
    assert "EDNS: version: 0" in badvers.stdout


def test_the_admin_api_counts_queries_per_source_address(server: DnsServer) -> None:
    with server.admin() as admin:
        before = admin.stats()["by_source"].get("127.0.0.1", 0)
        for _ in range(5):
            server.query("www.zone.test.", "A")
        server.query("www.zone.test.", "A", tcp=True)
        after = admin.stats()
    assert after["by_source"]["127.0.0.1"] - before == 6
    assert after["queries"] >= after["by_source"]["127.0.0.1"]
