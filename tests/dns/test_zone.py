"""Zone files and run-time RRsets into the records the server packs: escapes as RFC 1035
means them (dnslib's own text parser split ``john\\.doe`` into two labels and read
``\\255`` as octal)."""

from __future__ import annotations

from pathlib import Path

import dns.message
import dns.rdatatype
import pytest
from dnslib import DNSRecord

from chaoskit._errors import ZoneFileError
from chaoskit.dns.zone import load_zone_file, parse_rrset

ZONE = r"""$ORIGIN esc.test.
$TTL 300
@     IN SOA ns1 first\.last ( 1 3600 600 86400 30 )
@     IN NS  ns1
ns1   IN A   127.0.0.1
txt   IN TXT "\255\000x" "a\\b" "semi;colon"
mail  IN MX  10 mx\.box.esc.test.
"""


def _as_sent(records: list) -> dns.message.Message:  # type: ignore[type-arg]
    """The records as the server would put them on the wire, read back by dnspython."""
    reply = DNSRecord()
    for record in records:
        reply.add_answer(record)
    return dns.message.from_wire(bytes(reply.pack()))


def _zone(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "esc.zone"
    path.write_text(text)
    return path


def test_names_and_strings_in_a_zone_files_data_keep_their_escapes(tmp_path: Path) -> None:
    zone = load_zone_file(_zone(tmp_path, ZONE))
    soa = _as_sent([zone.soa]).answer[0][0]
    assert soa.rname.labels == (b"first.last", b"esc", b"test", b"")
    txt = _as_sent(zone.rrsets[("txt.esc.test.", "TXT")]).answer[0][0]
    assert txt.strings == (b"\xff\x00x", b"a\\b", b"semi;colon")
    mx = _as_sent(zone.rrsets[("mail.esc.test.", "MX")]).answer[0][0]
    assert mx.exchange.labels == (b"mx.box", b"esc", b"test", b"")


def test_a_run_time_rrset_keeps_its_escapes_and_its_owner_in_lower_case() -> None:
    (txt,) = parse_rrset("Set.Esc.Test", "TXT", 60, [r'"\255\000x" "a\\b"'])
    (cname,) = parse_rrset("alias.esc.test", "CNAME", 60, [r"first\.last.esc.test."])
    sent = _as_sent([txt, cname]).answer
    assert [rrset.name.to_text() for rrset in sent] == ["set.esc.test.", "alias.esc.test."]
    assert sent[0][0].strings == (b"\xff\x00x", b"a\\b")
    assert sent[1][0].target.labels == (b"first.last", b"esc", b"test", b"")
    assert sent[1].rdtype == dns.rdatatype.CNAME


def test_an_owner_name_with_an_escaped_character_is_refused(tmp_path: Path) -> None:
    """The server keys its names by text in which such a label cannot be told apart."""
    path = _zone(tmp_path, ZONE + "dotted\\.owner IN A 127.0.0.9\n")
    with pytest.raises(ZoneFileError, match=r"dotted\\\.owner\.esc\.test\. A: an owner name "
                       "with an escaped character"):  # fmt: skip
        load_zone_file(path)
