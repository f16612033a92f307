"""RFC 1035 zone files, parsed by dnspython and turned into dnslib records."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.name
import dns.rdata
import dns.rdatatype
import dns.rrset
import dns.zone
from dnslib import QTYPE, RR, DNSBuffer

from chaoskit._errors import ZoneFileError
from chaoskit._input import InputInvalid, printable, read_text
from chaoskit.dns.zone_checks import check_zone_text

__all__ = [
    "SUPPORTED_TYPES",
    "Zone",
    "has_escape",
    "load_zone_file",
    "normalise_name",
    "parse_rrset",
]

SUPPORTED_TYPES = frozenset({"A", "AAAA", "CNAME", "SRV", "TXT", "NS", "SOA", "MX", "PTR", "CAA"})


def normalise_name(name: str) -> str:
    """Lower-case and fully qualify a domain name (``Foo.Lab.Test`` -> ``foo.lab.test.``)."""
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def has_escape(owner: str) -> bool:
    """Whether ``owner``, as dnspython writes it, holds a label with a dot or a byte that only
    an escape writes. The server keys its records by the text of their owner, which cannot
    tell ``www\\.zone.test`` (one label) from ``www.zone.test`` (two), so such owners are not
    served; names inside the data (an SOA mailbox ``john\\.doe``) go out byte for byte."""
    return "\\" in owner


@dataclass
class Zone:
    """One zone: its origin, SOA and every record it holds, keyed by (name, type)."""

    origin: str
    soa: RR
    rrsets: dict[tuple[str, str], list[RR]] = field(default_factory=dict)
    source: Path | None = None

    @property
    def negative_ttl(self) -> int:
        """TTL for negative answers (RFC 2308): the lesser of the SOA TTL and its MINIMUM."""
        return int(min(self.soa.ttl, self.soa.rdata.times[4]))


def load_zone_file(path: str | Path, origin: str | None = None) -> Zone:
    """Parse one zone file; the origin comes from ``$ORIGIN`` or the SOA owner when not given."""
    path = Path(path)
    try:
        text = read_text(path)
    except InputInvalid as exc:
        raise ZoneFileError(str(exc)) from None
    problems = check_zone_text(text, normalise_name(origin) if origin else None)
    if problems:
        lines = text.splitlines()
        raise ZoneFileError("\n".join(
            f"{path}:{line}: (zone): {message}: {printable(lines[line - 1].strip())}"
            if 0 < line <= len(lines) else f"{path}:{line}: (zone): {message}"
            for line, message in problems
        ))  # fmt: skip
    try:
        parsed = dns.zone.from_text(
            text, origin=origin, relativize=False, filename=str(path), check_origin=True
        )
    except dns.exception.SyntaxError as exc:
        raise ZoneFileError(_locate(path, text, origin, exc)) from exc
    except dns.zone.NoSOA as exc:
        raise ZoneFileError(f"{path}: zone has no SOA record at its origin") from exc
    except dns.zone.NoNS as exc:
        raise ZoneFileError(f"{path}: zone has no NS record at its origin") from exc
    except dns.exception.DNSException as exc:
        raise ZoneFileError(f"{path}:1: (zone): {exc}") from exc
    if parsed.origin is None:
        raise ZoneFileError(f"{path}:1: (zone): no origin: give $ORIGIN or an absolute SOA owner")
    zone_origin = normalise_name(parsed.origin.to_text())
    rrsets: dict[tuple[str, str], list[RR]] = {}
    soa: RR | None = None
    for name, ttl, rdata in parsed.iterate_rdatas():
        owner = normalise_name(name.to_text())
        rtype = dns.rdatatype.to_text(rdata.rdtype)
        if rtype not in SUPPORTED_TYPES:
            raise ZoneFileError(f"{path}: {owner} {rtype}: record type not served by chaoskit")
        if has_escape(owner):
            raise ZoneFileError(
                f"{path}: {owner} {rtype}: an owner name with an escaped character (a dot or "
                "a byte inside a label) is not served by chaoskit; names in the data may have them"
            )
        record = as_dnslib(dns.name.from_text(owner), ttl, rdata)
        rrsets.setdefault((owner, rtype), []).append(record)
        if rtype == "SOA" and owner == zone_origin:
            soa = record
    if soa is None:
        raise ZoneFileError(f"{path}:1: (zone): no SOA record at the origin {zone_origin}")
    return Zone(origin=zone_origin, soa=soa, rrsets=rrsets, source=path)


def as_dnslib(name: dns.name.Name, ttl: int, rdata: dns.rdata.Rdata) -> RR:
    """One record as dnslib serves it, carried over in the wire format: dnslib's own text
    parser splits a label at an escaped dot (an SOA mailbox ``john\\.doe``) and reads
    ``\\DDD`` escapes as octal, where RFC 1035 has them decimal."""
    wire = io.BytesIO()
    dns.rrset.from_rdata(name, ttl, rdata).to_wire(wire)
    return RR.parse(DNSBuffer(wire.getvalue()))


def _locate(path: Path, text: str, origin: str | None, exc: Exception) -> str:
    """``file:line: message: the line``, with the line that is really wrong.

    dnspython reports an rdata error after it has read the line's end, so one line late;
    re-parsing the text up to the reported line tells which of the two lines it was.
    """
    head, _, message = str(exc).partition(": ")
    reported = head.rsplit(":", 1)[-1]
    if not reported.isdigit():
        return str(exc)
    line = int(reported)
    lines = text.splitlines()
    if line > 1:
        try:
            dns.zone.from_text("\n".join(lines[: line - 1]) + "\n", origin=origin,
                               relativize=False, check_origin=False)  # fmt: skip
        except dns.exception.SyntaxError:
            line -= 1
        except dns.exception.DNSException:
            pass
    quoted = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return f"{path}:{line}: {message.rstrip('.')}" + (f": {quoted}" if quoted else "")


def parse_rrset(name: str, rtype: str, ttl: int, values: list[str]) -> list[RR]:
    """Build the records for one RRset from presentation-format values; raises ValueError.
    A value given twice (the same data, however written) is one record: an RRset is a set
    (RFC 2181 section 5)."""
    rtype = rtype.upper()
    if rtype not in SUPPORTED_TYPES or rtype == "SOA":
        allowed = ", ".join(sorted(SUPPORTED_TYPES - {"SOA"}))
        raise ValueError(f"type {rtype!r} cannot be set; expected one of {allowed}")
    if not 0 <= ttl <= 2_147_483_647:
        raise ValueError(f"ttl {ttl} out of range 0..2147483647")
    owner = normalise_name(name)
    records: list[RR] = []
    seen: set[dns.rdata.Rdata] = set()
    for value in values:
        try:
            # dnspython validates the rdata strictly; dnslib would accept garbage for some types.
            rdata = dns.rdata.from_text("IN", rtype, value, origin=dns.name.root, relativize=False)
            parsed = as_dnslib(dns.name.from_text(owner), ttl, rdata)
        except Exception as exc:
            raise ValueError(f"{rtype} value {value!r} is not valid: {exc}") from exc
        if QTYPE[parsed.rtype] != rtype:
            raise ValueError(f"{rtype} value {value!r} is not valid")
        if rdata not in seen:
            seen.add(rdata)
            records.append(parsed)
    return records
