"""The admin API: token, validation with clear 4xx messages, nothing half-applied, reload."""

from __future__ import annotations

import dns.rcode
import httpx
import pytest

from chaoskit._errors import DnsAdminError
from chaoskit.dns.client import DnsAdminClient
from tests.dns.fixtures import TEST_ZONE, DnsServer


def test_every_admin_call_needs_the_token(server: DnsServer) -> None:
    assert httpx.get(f"{server.admin_url}/health").status_code == 200
    for method, path in (
        ("GET", "/faults"),
        ("POST", "/faults"),
        ("PUT", "/records"),
        ("GET", "/events"),
    ):
        assert httpx.request(method, server.admin_url + path).status_code == 401
    with server.admin(token="wrong") as admin, pytest.raises(DnsAdminError) as caught:
        admin.faults()
    assert caught.value.status == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"kind": "explode", "name": "www.zone.test"},
            "unknown fault kind 'explode'; known kinds: blank",
        ),
        (  # said only what it should be
            {"kind": "delay", "name": "www.zone.test", "params": {"ms": -5}},
            "ms: Input should be greater than or equal to 0, got -5",
        ),
        ({"kind": "delay", "name": "www.zone.test", "params": {"sec": 5}}, "ms"),
        ({"kind": "blank", "name": "www.zone.test", "duration_s": 0}, "duration_s"),
        ({"kind": "blank", "name": "www.zone.test", "probability": 2}, "probability"),
        ({"kind": "blank", "name": "www.zone.test", "colour": "red"}, "colour"),
        (  # said "body: Value error, 'nope' does not appear …"
            {"kind": "wrong_ip", "name": "www.zone.test", "params": {"address": "nope"}},
            "body: 'nope' does not appear to be an IPv4 or IPv6 address",
        ),
        (  # was taken, and each AAAA query then failed in the server
            {"kind": "wrong_ip", "name": "www.zone.test", "params": {"address": "fe80::1%eth0"}},
            "has a zone index (%eth0), which no DNS answer can hold",
        ),
        ({"name": "www.zone.test"}, "kind"),
    ],
)
def test_bad_fault_requests_get_400_naming_the_problem(
    server: DnsServer, body: dict[str, object], message: str
) -> None:
    reply = httpx.post(
        f"{server.admin_url}/faults", json=body, headers={"Authorization": f"Bearer {server.token}"}
    )
    assert reply.status_code == 400
    assert message in reply.json()["error"]
    with server.admin() as admin:
        assert admin.faults() == []


def test_invalid_json_is_a_400(server: DnsServer) -> None:
    reply = httpx.post(
        f"{server.admin_url}/faults",
        content=b"{not json",
        headers={"Authorization": f"Bearer {server.token}"},
    )
    assert reply.status_code == 400
    assert "not valid JSON" in reply.json()["error"]


def test_a_value_given_twice_is_one_record(server: DnsServer) -> None:
    """An RRset is a set (RFC 2181 section 5): ``dns set NAME A 10.0.0.1 10.0.0.1`` was
    served as two identical records, and said so."""
    with server.admin() as admin:
        try:
            done = admin.set_record("twice.zone.test", "A", ["10.0.0.1", "10.0.0.1", "10.0.0.2"])
            assert done["values"] == ["10.0.0.1", "10.0.0.2"]
            admin.set_record("twice.zone.test", "AAAA", ["::1", "0::1", "0:0::1"])
            admin.set_record("twice.zone.test", "MX", ["10 a.zone.test.", "10 A.Zone.Test."])
            answer = server.query("twice.zone.test").answer[0]
            assert sorted(r.to_text() for r in answer) == ["10.0.0.1", "10.0.0.2"]
            aaaa = server.query("twice.zone.test", "AAAA").answer[0]
            assert [r.to_text() for r in aaaa] == ["::1"]
            assert len(server.query("twice.zone.test", "MX").answer[0]) == 1
        finally:
            admin.delete_record("twice.zone.test")


def test_a_bad_value_changes_nothing(server: DnsServer) -> None:
    with server.admin() as admin:
        before = admin.records("www.zone.test")
        with pytest.raises(DnsAdminError, match="not-an-ip") as caught:
            admin.set_record("www.zone.test", "A", ["127.0.0.77", "not-an-ip"])
        assert caught.value.status == 400
        assert admin.records("www.zone.test") == before
        with pytest.raises(DnsAdminError, match="not in any zone"):
            admin.set_record("www.example.com", "A", ["127.0.0.1"])
        with pytest.raises(DnsAdminError, match="cannot be set"):
            admin.set_record("www.zone.test", "SOA", ["x"])
        with pytest.raises(DnsAdminError) as missing:
            admin.lift_fault("dnsf-00000000")
        assert missing.value.status == 404


def test_a_cname_never_sits_beside_other_data(server: DnsServer) -> None:
    with server.admin() as admin:
        for name, rtype, values, message in (
            ("www.zone.test", "CNAME", ["ns1.zone.test."], "holds A, AAAA records, and a CNAME"),
            ("zone.test", "CNAME", ["www.zone.test."], "holds NS, SOA records, and a CNAME"),
            ("alias.zone.test", "A", ["127.0.0.9"], "alias.zone.test. is a CNAME, and no other"),
            ("alias.zone.test", "CNAME", ["www.zone.test.", "ns1.zone.test."], "not 2"),
            ("www..zone.test", "A", ["127.0.0.9"], "'www..zone.test' is not a domain name"),
        ):
            before = admin.records()
            with pytest.raises(DnsAdminError, match=message) as caught:
                admin.set_record(name, rtype, values)
            assert caught.value.status == 400
            assert admin.records() == before
        try:
            admin.set_record("alias.zone.test", "CNAME", ["ns1.zone.test."])  # replaced: fine
            admin.set_record("moved.zone.test", "A", ["127.0.0.9"])
            admin.set_record("moved.zone.test", "A", [])  # an emptied RRset holds no data
            admin.set_record("moved.zone.test", "CNAME", ["www.zone.test."])
            answer = server.query("moved.zone.test.").answer
            assert [rrset.to_text().split()[-1] for rrset in answer] == [
                "www.zone.test.",
                "127.0.0.10",
            ]
        finally:
            admin.set_record("alias.zone.test", "CNAME", ["www.zone.test."])
            admin.delete_record("moved.zone.test")


def test_a_cname_that_would_close_a_loop_is_refused(server: DnsServer) -> None:
    """Zone files were checked for loops; a change at run time was not."""
    with server.admin() as admin:
        try:
            admin.set_record("one.zone.test", "CNAME", ["two.zone.test."])
            before = admin.records()
            for name, target, loop in (
                ("two.zone.test", "one.zone.test.", "two.zone.test. -> one.zone.test. -> two"),
                ("self.zone.test", "self.zone.test.", "self.zone.test. -> self.zone.test."),
            ):
                with pytest.raises(DnsAdminError, match=f"CNAME loop: {loop}") as caught:
                    admin.set_record(name, "CNAME", [target])
                assert caught.value.status == 400
            assert admin.records() == before
            admin.set_record("two.zone.test", "CNAME", ["www.zone.test."])  # a chain: fine
        finally:
            for name in ("one.zone.test", "two.zone.test"):
                admin.delete_record(name)


def test_a_zones_apex_keeps_its_soa_and_ns(server: DnsServer) -> None:
    with server.admin() as admin:
        before = admin.records()
        for rtype in ("SOA", "NS", "soa"):
            with pytest.raises(DnsAdminError, match="cannot be deleted") as caught:
                admin.delete_record("zone.test", rtype)
            assert caught.value.status == 400
        with pytest.raises(DnsAdminError, match="keeps at least one NS"):
            admin.set_record("zone.test", "NS", [])
        assert admin.records() == before
        admin.set_record("zone.test", "TXT", ["apex note"])
        assert admin.delete_record("zone.test") == 1  # everything but the SOA and NS
        after = admin.records()
        assert [r for r in after if r["type"] != "SOA"] == [r for r in before if r["type"] != "SOA"]
        assert [r["name"] for r in after if r["type"] == "SOA"] == ["zone.test."]  # serial +2
    assert server.query("zone.test.", "SOA").answer[0].to_text().split()[3] == "SOA"
    assert server.query("zone.test.", "NS").answer[0].to_text().endswith("ns1.zone.test.")


@pytest.mark.parametrize(
    ("pattern", "served"),
    [
        ("www.zone.test", True),
        ("*.zone.test", True),
        ("www.*", True),
        ("*", True),
        ("*.test", True),
        ("a.*.zone.test", True),
        ("www.zone.tset", False),
        ("*.example.com", False),
        ("www.zone.test.example", False),
    ],
)
def test_a_fault_on_names_no_zone_holds_is_refused(
    server: DnsServer, pattern: str, served: bool
) -> None:
    with server.admin() as admin:
        if served:
            admin.add_fault("servfail", pattern, duration_s=30)
            assert [f["name"] for f in admin.faults()] == [pattern]
            return
        with pytest.raises(DnsAdminError, match="can match no name in the zones") as caught:
            admin.add_fault("servfail", pattern, duration_s=30)
        assert caught.value.status == 400
        assert admin.faults() == []


@pytest.mark.parametrize(
    "name",
    [
        "a..b.zone.test", "." + "a" * 64 + ".zone.test", "a." * 123 + "zone.test",
        "*.a..zone.test", "*" + "a" * 64 + ".zone.test",
    ],
)  # fmt: skip
def test_a_fault_on_an_exact_name_that_is_no_domain_name_is_refused(
    server: DnsServer, name: str
) -> None:
    """An empty label, a label over 63 octets, a name over 255: no query can ask for it."""
    with server.admin() as admin:
        with pytest.raises(DnsAdminError, match="is not a domain name") as caught:
            admin.add_fault("blank", name, duration_s=30)  # "... name pattern" for a glob
        assert caught.value.status == 400
        assert admin.faults() == []


def test_a_name_with_an_escaped_character_is_refused(server: DnsServer) -> None:
    """`a\\.b` is one label holding a dot; the server keys names by text, in which it would
    be `a.b`, two labels: the record would never be answered, the fault never match."""
    with server.admin() as admin:
        for change in (
            lambda: admin.set_record(r"a\.b.zone.test", "A", ["127.0.0.9"]),
            lambda: admin.add_fault("blank", r"a\.b.zone.test", duration_s=30),
            lambda: admin.set_record(r"a\032b.zone.test", "A", ["127.0.0.9"]),
        ):
            with pytest.raises(DnsAdminError, match="a name with an escaped character") as caught:
                change()
            assert caught.value.status == 400
        assert admin.faults() == [] and admin.records("a.b.zone.test") == []


def test_an_actor_outside_ascii_reaches_the_server_as_it_is(server: DnsServer) -> None:
    """A run named in another script (its id is its title's slug) injected no DNS fault:
    the actor header could not be encoded, and the run ended in a traceback."""
    actor = "chaoskit-run:20261206T220049Z-ünïcødé-東京-100%\n:2b5efa62"
    with DnsAdminClient(server.admin_url, server.token, actor=actor) as admin:
        admin.add_fault("blank", "www.zone.test", duration_s=30, fault_id="ck-unicode")
        (fault,) = admin.faults()
        assert fault["actor"] == actor
        admin.lift_fault("ck-unicode")
    with server.admin() as admin:
        assert admin.faults() == []


def _serial(server: DnsServer) -> int:
    return int(server.query("zone.test.", "SOA").answer[0][0].serial)


def test_every_change_at_run_time_raises_the_zones_serial(server: DnsServer) -> None:
    """It stayed the file's: a secondary or a monitor comparing serials saw no change."""
    with server.admin() as admin:
        first = _serial(server)
        admin.set_record("serial.zone.test", "A", ["127.0.0.9"])
        assert _serial(server) == first + 1
        with pytest.raises(DnsAdminError):
            admin.set_record("serial.zone.test", "A", ["not-an-ip"])
        with pytest.raises(DnsAdminError):
            admin.delete_record("nothing-here.zone.test")
        assert _serial(server) == first + 1  # what was refused changed nothing
        admin.add_fault("blank", "serial.zone.test", duration_s=30)
        assert _serial(server) == first + 1  # a fault bends answers, it changes no record
        admin.delete_record("serial.zone.test")
        assert _serial(server) == first + 2
        admin.reload()  # the file's serial is older: the served one never goes back
        assert _serial(server) == first + 2
    negative = server.query("nothing-here.zone.test.", "A")
    assert negative.authority[0][0].serial == first + 2


def test_reload_serves_the_new_zone_and_refuses_a_broken_one(server: DnsServer) -> None:
    try:
        server.zone_file.write_text(TEST_ZONE + "added IN A 127.0.0.44\n")
        with server.admin() as admin:
            admin.reload()
            assert server.query("added.zone.test.").answer[0][0].to_text() == "127.0.0.44"
            server.zone_file.write_text(TEST_ZONE + "broken IN A not-an-address\n")
            with pytest.raises(DnsAdminError) as refused:
                admin.reload()
            assert refused.value.status == 409
            line = TEST_ZONE.count("\n") + 1  # the line added after the zone
            assert (
                f"zone.test.zone:{line}: Text input is malformed: broken IN A not-an-address"
                in str(refused.value)
            )
            assert server.query("added.zone.test.").rcode() == dns.rcode.NOERROR
    finally:
        server.zone_file.write_text(TEST_ZONE)
        with server.admin() as admin:
            admin.reload()


def test_events_say_who_changed_what_and_when(server: DnsServer) -> None:
    with server.admin() as admin:
        start = admin.events()["last_seq"]
        fault = admin.add_fault("servfail", "www.zone.test", duration_s=30)
        admin.lift_fault(fault["id"])
        events = admin.events(since=start)["events"]
    assert [e["event"] for e in events] == ["fault.applied", "fault.lifted"]
    assert all(e["actor"] == "pytest" and e["ts"] > 0 for e in events)
    assert events[0]["kind"] == "servfail" and events[1]["id"] == fault["id"]
