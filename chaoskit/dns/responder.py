"""Turns a query packet into an answer packet: authoritative lookup, then faults, then EDNS0.

Answers that every identical query would get again are cached as packed bytes keyed by the
query minus its ID, so the hot path is one dict lookup; any change to records or faults clears
the cache, so a change takes effect on the very next query.

The UDP listener answers from its own thread. Changes are made inside ``changing()``, which
holds the same lock as working out an answer, so no answer is ever made from (or cached
for) a half-made change.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from dnslib import (
    AAAA,
    CLASS,
    EDNS0,
    QTYPE,
    RCODE,
    RR,
    SOA,
    A,
    DNSBuffer,
    DNSError,
    DNSHeader,
    DNSLabel,
    DNSRecord,
)

from chaoskit.dns.faults import DnsFault, FaultSet
from chaoskit.dns.records import RecordStore, serial_after
from chaoskit.dns.zone import Zone

__all__ = ["Reply", "Responder", "malformed_reply"]

SERVER_UDP_PAYLOAD = 1232  # the DNS Flag Day 2020 recommendation
CACHE_LIMIT = 4096
MAX_SOURCES = 4096
OTHER_SOURCES = "other"
CACHEABLE_QUERY_BYTES = 512  # keeps the cache small whatever junk arrives
MAX_CNAME_HOPS = 8
_CLASS_IN = 1
_CLASS_ANY = 255
_OPCODE_QUERY = 0
_DO_BIT = 0x8000  # in the OPT record's TTL: DNSSEC OK (RFC 3225)
_BADVERS = 16  # extended RCODE (RFC 6891 §6.1.3): the OPT carries the upper 8 bits
_TRANSFER_TYPES = (QTYPE.AXFR, QTYPE.IXFR)
TRANSFER_MESSAGE_BYTES = 16_000
"""A zone transfer is split into messages of about this size (RFC 5936 §2.2)."""


def name_key(name: DNSLabel) -> str:
    """A name from the wire as the record store keys names: lower case, a dot at the end,
    and any byte that is not printable ASCII, or is a dot or a backslash *inside* a label,
    as a ``\\DDD`` escape. A name whose label holds a dot (``a\\.b.lab.test`` has two labels
    under ``test``, not three) is then never taken for the name its text spells."""
    return ".".join(_label_text(label) for label in name.label).lower() + "."


def _label_text(label: bytes) -> str:
    return "".join(chr(b) if 0x20 < b < 0x7F and b not in b".\\" else f"\\{b:03d}" for b in label)


@dataclass(frozen=True)
class Reply:
    """A packed answer (None: send nothing), how long to hold it back, and whether to cache it."""

    packet: bytes | None
    delay_s: float = 0.0
    cacheable: bool = False
    more: tuple[bytes, ...] = ()
    """Further messages of a zone transfer (TCP only), sent after ``packet``."""


def _error_header(data: bytes, rcode: int) -> bytes:
    """A bare reply with the query's ID and RD bit, for queries too broken to parse."""
    ident, flags = struct.unpack_from("!HH", data)
    opcode = (flags >> 11) & 0xF
    reply_flags = 0x8000 | (opcode << 11) | (flags & 0x0100) | rcode
    return struct.pack("!HHHHHH", ident, reply_flags, 0, 0, 0, 0)


def _error_reply(query: DNSRecord, opt: RR | None, rcode: int) -> bytes:
    """An error for a query that parsed (an opcode we do not serve, no question): its ID,
    opcode and RD bit, a lone question copied back, and an OPT if it had one (RFC 6891
    §6.1.1: an EDNS query gets an OPT in its reply, errors included)."""
    header = query.header
    reply = DNSRecord(
        DNSHeader(id=header.id, qr=1, opcode=header.opcode, rd=header.rd, rcode=rcode)
    )
    if len(query.questions) == 1:
        reply.add_question(query.q)
    if opt is not None:
        reply.add_ar(_opt_like(opt))
    return bytes(reply.pack())


def malformed_reply(data: bytes) -> bytes | None:
    """FORMERR for a query that cannot be answered as sent; nothing for a non-query."""
    if len(data) < 12 or data[2] & 0x80:
        return None
    return _error_header(data, RCODE.FORMERR)


class Responder:
    """Answers queries for the zones in a RecordStore, bent by the faults in a FaultSet."""

    def __init__(self, store: RecordStore, faults: FaultSet, rng: random.Random | None = None):
        self.store = store
        self.faults = faults
        self.rng = rng or random.Random()
        self.udp_cache: dict[bytes, bytes] = {}
        self.tcp_cache: dict[bytes, bytes] = {}
        self.sources: dict[str | bytes, int] = {}
        """Queries received per source address (a str, or a packed IPv4/IPv6 address from the
        batched listener); see ``queries_by_source``."""
        self._lock = threading.Lock()

    def count_source(self, address: str | bytes) -> None:
        """One query from ``address``; past MAX_SOURCES distinct addresses they count as one."""
        sources = self.sources
        if address in sources:
            sources[address] += 1
        elif len(sources) < MAX_SOURCES:
            sources[address] = 1
        else:
            sources[OTHER_SOURCES] = sources.get(OTHER_SOURCES, 0) + 1

    def queries_by_source(self) -> dict[str, int]:
        """Queries received so far per source address, since the server started."""
        found: dict[str, int] = {}
        for key, count in list(self.sources.items()):
            name = str(ipaddress.ip_address(key)) if isinstance(key, bytes) else key
            found[name] = found.get(name, 0) + count
        return found

    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        """Hold answers while records or faults change, then forget every cached answer."""
        with self._lock:
            try:
                yield
            finally:
                self.udp_cache.clear()
                self.tcp_cache.clear()

    def respond(self, data: bytes, tcp: bool) -> Reply:
        data = bytes(data)
        cache = self.tcp_cache if tcp else self.udp_cache
        hit = cache.get(data[2:])
        if hit is not None:
            return Reply(data[:2] + hit, 0.0, True)
        with self._lock:
            reply = self._compute(data, tcp)
            if reply.cacheable and reply.packet and len(data) <= CACHEABLE_QUERY_BYTES:
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()
                cache[data[2:]] = reply.packet[2:]
        return reply

    def _compute(self, data: bytes, tcp: bool) -> Reply:
        if len(data) < 12 or data[2] & 0x80:
            return Reply(None)  # too short to answer, or itself a response: never reflect
        try:
            query = DNSRecord.parse(data)
        except (DNSError, ValueError, IndexError, struct.error, UnicodeDecodeError):
            return Reply(malformed_reply(data))
        header = query.header
        opts = [rr for rr in query.ar if rr.rtype == QTYPE.OPT]
        if len(opts) > 1:
            return Reply(_error_header(data, RCODE.FORMERR))  # RFC 6891 §6.1.1
        opt = opts[0] if opts else None
        if header.opcode != _OPCODE_QUERY:
            return Reply(_error_reply(query, opt, RCODE.NOTIMP))
        if len(query.questions) != 1:
            return Reply(_error_reply(query, opt, RCODE.FORMERR))
        limit = 65535 if tcp else (max(512, min(int(opt.rclass), 4096)) if opt else 512)
        reply = DNSRecord(
            DNSHeader(id=header.id, qr=1, aa=1, ra=0, rd=header.rd, opcode=0), q=query.q
        )
        if opt is not None and (opt.ttl >> 16) & 0xFF != 0:
            # an EDNS version we do not speak: BADVERS, with the version we do (0)
            reply.add_ar(_opt_like(opt, ext_rcode=_BADVERS >> 4))
            reply.header.rcode = _BADVERS & 0xF
            reply.header.aa = 0
            return Reply(bytes(reply.pack()), 0.0, True)
        if opt is not None:
            reply.add_ar(_opt_like(opt))
        if query.q.qtype in _TRANSFER_TYPES:
            return self._transfer(query, reply, tcp)
        delay, cacheable, drop = self._answer(query, reply)
        if drop:
            return Reply(None, 0.0, False)
        packet = bytes(reply.pack())
        if len(packet) > limit:
            reply.rr, reply.auth, reply.ar = [], [], []
            reply.header.tc = 1
            if opt is not None:
                reply.add_ar(_opt_like(opt))
            packet = bytes(reply.pack())
        return Reply(packet, delay, cacheable)

    def _transfer(self, query: DNSRecord, reply: DNSRecord, tcp: bool) -> Reply:
        """AXFR over TCP (RFC 5936): the zone as served now, SOA first and last, in as many
        messages as it takes. IXFR from a serial that is current gets the current SOA alone
        (RFC 1995 §2, over UDP too), from an older one the same full transfer (§4 allows it).
        Over UDP a transfer gets TC=1 so the client asks again over TCP; a name that is not a
        zone's apex gets NOTAUTH."""
        origin = name_key(query.q.qname)
        zone = next((z for z in self.store.zones if z.origin == origin), None)
        if zone is None:
            reply.header.aa = 0
            reply.header.rcode = RCODE.NOTAUTH if self.store.zone_for(origin) else RCODE.REFUSED
            return Reply(bytes(reply.pack()), 0.0, True)
        soa = next(iter(self.store.lookup(origin).rrsets.get("SOA", [])), zone.soa)
        if query.q.qtype == QTYPE.IXFR and _up_to_date(query, soa):
            reply.add_answer(soa)
            return Reply(bytes(reply.pack()), 0.0, False)
        if not tcp:
            reply.header.tc = 1
            return Reply(bytes(reply.pack()), 0.0, False)
        records = [soa]
        for name, rtype, rrset in self.store.rrsets():
            if rtype != "SOA" and self.store.zone_for(name) is zone:
                records.extend(rrset)
        records.append(soa)
        messages: list[bytes] = []
        message, size = reply, 0
        for record in records:
            packed = _packed_size(record)
            if message.rr and size + packed > TRANSFER_MESSAGE_BYTES:
                messages.append(bytes(message.pack()))
                message = DNSRecord(DNSHeader(id=query.header.id, qr=1, aa=1, opcode=0), q=query.q)
                size = 0
            message.add_answer(record)
            size += packed
        messages.append(bytes(message.pack()))
        return Reply(messages[0], 0.0, False, tuple(messages[1:]))

    def _answer(self, query: DNSRecord, reply: DNSRecord) -> tuple[float, bool, bool]:
        """Fill ``reply``; returns (delay in seconds, cacheable, drop)."""
        question = query.q
        qname = name_key(question.qname)
        if question.qclass not in (_CLASS_IN, _CLASS_ANY):
            reply.header.aa = 0
            reply.header.rcode = RCODE.REFUSED
            return 0.0, True, False
        lookup = self.store.lookup(qname)
        if lookup.zone is None:
            reply.header.aa = 0
            reply.header.rcode = RCODE.REFUSED
            return 0.0, True, False
        effect = _FaultEffect.of(self.faults.matching(qname, time.monotonic()), self.rng)
        if effect.outcome == "drop":
            return 0.0, False, True
        if effect.outcome in ("servfail", "refused"):
            reply.header.aa = 0
            reply.header.rcode = RCODE.SERVFAIL if effect.outcome == "servfail" else RCODE.REFUSED
            return effect.delay_s, effect.cacheable, False
        if effect.outcome == "nxdomain":
            reply.header.rcode = RCODE.NXDOMAIN
            reply.add_auth(_negative_soa(lookup.zone, effect.ttl, effect.negative_ttl))
            return effect.delay_s, effect.cacheable, False
        negative_in: Zone | None = lookup.zone  # a blank: no data, under the name's zone
        if effect.outcome != "blank":
            negative_in = self._resolve(question.qname, qname, question.qtype, reply)
        if effect.wrong_ip is not None and _swap_addresses(
            reply, question.qname, question.qtype, effect.wrong_ip
        ):
            negative_in = None
        if negative_in is not None:
            reply.add_auth(_negative_soa(negative_in, effect.ttl, effect.negative_ttl))
        if effect.ttl is not None:
            reply.rr = [_with_ttl(rr, effect.ttl) for rr in reply.rr]
        return effect.delay_s, effect.cacheable, False

    def _resolve(self, asked: DNSLabel, qname: str, qtype: int, reply: DNSRecord) -> Zone | None:
        """The answer to the name ``asked`` (``qname`` as the store keys it), following
        CNAMEs within our zones, except to a name under a fault: there the answer ends at
        the CNAME, so the client asks for that name itself and gets it as the fault bends it
        (a fault on a record reaches those who reach it through an alias, as it would if the
        alias were in another zone).

        Returns the zone of a negative answer (no such name, or no data of the type), at the
        end of any CNAMEs: its SOA goes in the authority section (RFC 2308 §2), so that a
        resolver caches the negative answer for as long as the zone says."""
        name = qname
        for _ in range(MAX_CNAME_HOPS):
            owner = asked if name == qname else DNSLabel(name)
            lookup = self.store.lookup(name)
            if lookup.zone is None:
                return None  # a CNAME that leaves our zones: the client follows it elsewhere
            # at or below a delegation, a referral; the DS at the cut is the parent's to answer
            if lookup.cut is not None and not (qtype == QTYPE.DS and name == lookup.cut):
                if name == qname:
                    self._refer(lookup.cut, reply)
                return None  # a CNAME into a delegated zone: the client follows it there
            if not lookup.exists:
                reply.header.rcode = RCODE.NXDOMAIN
                return lookup.zone
            wanted = lookup.rrsets.get(QTYPE.get(qtype, ""))
            if qtype == QTYPE.ANY:
                for records in lookup.rrsets.values():
                    reply.rr.extend(_owned(records, name, owner))
                return None if lookup.rrsets else lookup.zone
            if wanted:
                reply.rr.extend(_owned(wanted, name, owner))
                self._add_glue(wanted, reply)
                return None
            cname = lookup.rrsets.get("CNAME")
            if not cname or qtype == QTYPE.CNAME:
                return lookup.zone
            reply.rr.extend(_owned(cname, name, owner))
            name = str(cname[0].rdata.label).lower()
            if self.faults.matching(name, time.monotonic()):
                return None
        return None  # a chain longer than MAX_CNAME_HOPS: the client follows what it got

    def _refer(self, cut: str, reply: DNSRecord) -> None:
        """A referral: not authoritative, the delegation's NS records in the authority
        section and their addresses (glue) in the additional one."""
        delegation = self.store.lookup(cut).rrsets.get("NS", [])
        reply.header.aa = 0
        reply.auth.extend(delegation)
        self._add_glue(delegation, reply)

    def _add_glue(self, records: list[RR], reply: DNSRecord) -> None:
        for record in records:
            target = getattr(record.rdata, "target", None) or getattr(record.rdata, "label", None)
            if record.rtype not in (QTYPE.NS, QTYPE.SRV, QTYPE.MX) or target is None:
                continue
            found = self.store.lookup(str(target).lower())
            for rtype in ("A", "AAAA"):
                reply.ar.extend(found.rrsets.get(rtype, []))


@dataclass
class _FaultEffect:
    outcome: str | None = None
    delay_s: float = 0.0
    ttl: int | None = None
    negative_ttl: int | None = None
    wrong_ip: str | None = None
    cacheable: bool = True

    @classmethod
    def of(cls, faults: list[DnsFault], rng: random.Random) -> _FaultEffect:
        """Combine the faults on a name: modifiers stack, the oldest firing outcome wins."""
        effect = cls()
        now = time.monotonic()
        for fault in faults:
            effect.cacheable = effect.cacheable and fault.deterministic
            spec, params = fault.spec, fault.params
            if spec.probability < 1 and rng.random() >= spec.probability:
                continue
            if spec.kind == "delay":
                jitter = rng.uniform(-params.jitter_ms, params.jitter_ms)
                effect.delay_s += max(0.0, params.ms + jitter) / 1000.0
            elif spec.kind == "ttl":
                effect.ttl = params.ttl
            elif spec.kind == "negative_ttl":
                effect.negative_ttl = params.ttl
            elif spec.kind == "wrong_ip":
                effect.wrong_ip = params.address or _random_loopback(rng)
            elif spec.kind == "flap":
                bad_phase = int((now - fault.started) // params.period_s) % 2 == 0
                if bad_phase and effect.outcome is None:
                    effect.outcome = params.bad
            elif effect.outcome is None:
                effect.outcome = spec.kind
        return effect


def _packed_size(record: RR) -> int:
    buffer = DNSBuffer()
    record.pack(buffer)
    return len(buffer.data)


def _up_to_date(query: DNSRecord, soa: RR) -> bool:
    """Whether an IXFR's client already has ``soa``'s version (its SOA, in the authority
    section, is not older: RFC 1982)."""
    theirs = next((rr for rr in query.auth if rr.rtype == QTYPE.SOA), None)
    if theirs is None:
        return False
    return not serial_after(soa.rdata.times[0], theirs.rdata.times[0])


def _random_loopback(rng: random.Random) -> str:
    # Wrong answers stay on loopback: a client that follows one must never leave the machine.
    return str(ipaddress.IPv4Address(0x7FF00000 + rng.randrange(1, 0xFFFFE)))


def _negative_soa(zone: Zone, ttl_override: int | None, negative_ttl: int | None = None) -> RR:
    """The SOA of a negative answer (RFC 2308 §3); ``negative_ttl`` sets both its TTL and its
    MINIMUM, the two a resolver takes the lesser of."""
    if negative_ttl is not None:
        soa = zone.soa.rdata
        times = (*soa.times[:4], negative_ttl)
        return RR(
            zone.soa.rname, QTYPE.SOA, CLASS.IN, negative_ttl, SOA(soa.mname, soa.rname, times)
        )
    ttl = zone.negative_ttl if ttl_override is None else ttl_override
    return RR(zone.soa.rname, QTYPE.SOA, CLASS.IN, ttl, zone.soa.rdata)


def _owned(records: list[RR], name: str, owner: DNSLabel) -> list[RR]:
    """Records with the owner the client asked for (wildcards synthesise the query name):
    ``name`` as the store keys it, ``owner`` as it goes on the wire."""
    if not records or str(records[0].rname).lower() == name:
        return records
    return [RR(owner, r.rtype, r.rclass, r.ttl, r.rdata) for r in records]


def _with_ttl(record: RR, ttl: int) -> RR:
    return RR(record.rname, record.rtype, record.rclass, ttl, record.rdata)


def _swap_addresses(reply: DNSRecord, qname: DNSLabel, qtype: int, address: str) -> bool:
    """The answer's addresses replaced by ``address``; False when it is not of the type
    asked for (an IPv6 address for an A query), and nothing is changed."""
    is_v6 = ipaddress.ip_address(address).version == 6
    rtype = QTYPE.AAAA if is_v6 else QTYPE.A
    if qtype != rtype:
        return False
    kept = [rr for rr in reply.rr if rr.rtype != rtype]
    ttl = next((rr.ttl for rr in reply.rr if rr.rtype == rtype), 60)
    owner = kept[-1].rdata.label if kept and kept[-1].rtype == QTYPE.CNAME else qname
    reply.rr = [*kept, RR(owner, rtype, CLASS.IN, ttl, AAAA(address) if is_v6 else A(address))]
    reply.header.rcode = RCODE.NOERROR
    reply.auth = []
    return True


def _opt_like(query_opt: RR, ext_rcode: int = 0) -> RR:
    """The reply's OPT record: our payload size, and the query's DO bit copied (RFC 3225 §3:
    a server that does not sign still echoes it; validators and Zonemaster check it)."""
    flags = "do" if query_opt.ttl & _DO_BIT else ""
    return EDNS0(udp_len=SERVER_UDP_PAYLOAD, ext_rcode=ext_rcode, flags=flags)
