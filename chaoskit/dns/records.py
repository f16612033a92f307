"""The records the server answers from: zone files plus changes made at run time."""

from __future__ import annotations

from dataclasses import dataclass

from dnslib import CLASS, QTYPE, RR, SOA

from chaoskit.dns.zone import Zone, normalise_name

__all__ = ["Lookup", "RecordStore", "serial_after"]

SERIAL_SPACE = 2**32


def serial_after(a: int, b: int) -> bool:
    """Whether SOA serial ``a`` is newer than ``b`` (RFC 1982 serial number arithmetic)."""
    return a != b and (a - b) % SERIAL_SPACE < SERIAL_SPACE // 2


def _with_serial(soa: RR, serial: int) -> RR:
    times = (serial % SERIAL_SPACE, *soa.rdata.times[1:])
    return RR(soa.rname, QTYPE.SOA, CLASS.IN, soa.ttl, SOA(soa.rdata.mname, soa.rdata.rname, times))


@dataclass(frozen=True)
class Lookup:
    """What the store knows about a name: its zone, whether it exists, and its RRsets."""

    zone: Zone | None
    exists: bool
    rrsets: dict[str, list[RR]]
    owner: str  # the name itself, or the wildcard that synthesised it
    cut: str | None = None
    """The delegation (NS records below a zone's apex) at or above the name, if any: from
    there down the data is the child zone's and the answer a referral (RFC 1034 §4.3.2)."""


class RecordStore:
    """Zone-file records overlaid by run-time changes; a reload keeps the run-time layer.

    The merged view is rebuilt on every change (changes are rare, lookups are hot), so a lookup
    is a couple of dict reads.
    """

    def __init__(self, zones: list[Zone]) -> None:
        self._zones: list[Zone] = []
        self._overlay: dict[tuple[str, str], list[RR] | None] = {}
        self._by_name: dict[str, dict[str, list[RR]]] = {}
        self._existing: set[str] = set()
        self._cuts: set[str] = set()
        self.replace_zones(zones)

    @property
    def zones(self) -> list[Zone]:
        return list(self._zones)

    def replace_zones(self, zones: list[Zone]) -> None:
        """Serve these zones from now on, keeping run-time changes that still fall inside them.

        A zone served before keeps its serial unless the file's is newer (RFC 1982): the
        serial never goes back, so secondaries and monitors see every change."""
        origins = [z.origin for z in zones]
        if len(set(origins)) != len(origins):
            raise ValueError(f"the same zone is loaded twice: {sorted(origins)}")
        served = {z.origin: z.soa.rdata.times[0] for z in self._zones}
        for zone in zones:
            old = served.get(zone.origin)
            if old is not None and not serial_after(zone.soa.rdata.times[0], old):
                self._set_serial(zone, old)
        self._zones = sorted(zones, key=lambda z: len(z.origin), reverse=True)
        self._overlay = {k: v for k, v in self._overlay.items() if self.zone_for(k[0])}
        self._rebuild()

    def zone_for(self, name: str) -> Zone | None:
        """The most specific zone that contains ``name``, if any."""
        name = normalise_name(name)
        for zone in self._zones:
            if name == zone.origin or name.endswith("." + zone.origin):
                return zone
        return None

    def may_hold(self, pattern: str) -> bool:
        """Whether a name matching ``pattern`` (an fnmatch glob) can be in a zone served here."""
        pattern = normalise_name(pattern)
        last_glob = max(pattern.rfind(char) for char in "*?]")
        if last_glob < 0:
            return self.zone_for(pattern) is not None
        literal_end = pattern[last_glob + 1 :]
        if "." not in literal_end:
            return True
        below = literal_end.split(".", 1)[1]  # every matching name ends with "." + below
        if not below:
            return True
        return any(
            below == z.origin or below.endswith("." + z.origin) or z.origin.endswith("." + below)
            for z in self._zones
        )

    def types_held(self, name: str) -> set[str]:
        """The types of the RRsets at ``name`` that hold at least one record."""
        return {
            rtype
            for rtype, records in self._by_name.get(normalise_name(name), {}).items()
            if records
        }

    def set_rrset(self, name: str, rtype: str, records: list[RR]) -> None:
        """Replace one RRset; an empty list leaves the name in place with no records of the type."""
        self._overlay[(normalise_name(name), rtype.upper())] = list(records)
        self._changed(name)

    def delete_rrset(
        self, name: str, rtype: str | None = None, keep: frozenset[str] = frozenset()
    ) -> int:
        """Delete one RRset, or every RRset of a name but the types in ``keep``; returns how
        many were removed."""
        owner = normalise_name(name)
        held = self._by_name.get(owner, {})
        types = [rtype.upper()] if rtype else [each for each in held if each not in keep]
        removed = 0
        for each in types:
            if self._by_name.get(owner, {}).get(each) is not None:
                removed += 1
            self._overlay[(owner, each)] = None
        if removed:
            self._changed(owner)
        else:
            self._rebuild()
        return removed

    def _changed(self, name: str) -> None:
        """A run-time change at ``name``: its zone's serial goes up by one (RFC 1034 4.3.5)."""
        zone = self.zone_for(name)
        if zone is not None:
            self._set_serial(zone, zone.soa.rdata.times[0] + 1)
        self._rebuild()

    @staticmethod
    def _set_serial(zone: Zone, serial: int) -> None:
        zone.soa = _with_serial(zone.soa, serial)
        if (zone.origin, "SOA") in zone.rrsets:
            zone.rrsets[(zone.origin, "SOA")] = [zone.soa]

    def rrsets(self) -> list[tuple[str, str, list[RR]]]:
        """Every RRset served now, sorted by name and type."""
        return [
            (name, rtype, records)
            for name in sorted(self._by_name)
            for rtype, records in sorted(self._by_name[name].items())
        ]

    def lookup(self, name: str) -> Lookup:
        """Find a name, falling back to a wildcard (RFC 4592) when it does not exist."""
        zone = self.zone_for(name)
        if zone is None:
            return Lookup(None, False, {}, name)
        found = self._by_name.get(name)
        cut = self._cut_above(name, zone.origin) if self._cuts else None
        if cut is not None:  # glue, or a name of the child zone's: no wildcard applies
            return Lookup(zone, name in self._existing, found or {}, name, cut)
        if found is not None or name in self._existing:
            return Lookup(zone, True, found or {}, name)
        encloser = name
        while encloser != zone.origin:
            encloser = encloser.split(".", 1)[1]
            if encloser in self._existing:
                wildcard = "*." + encloser
                if wildcard in self._by_name:
                    return Lookup(zone, True, self._by_name[wildcard], wildcard)
                break
        return Lookup(zone, False, {}, name)

    def _cut_above(self, name: str, origin: str) -> str | None:
        """The highest delegation at or above ``name`` below ``origin`` (one below it is the
        child zone's own business)."""
        highest = None
        node = name
        while node != origin and "." in node:
            if node in self._cuts:
                highest = node
            node = node.split(".", 1)[1]
        return highest

    def _rebuild(self) -> None:
        merged: dict[tuple[str, str], list[RR]] = {}
        for zone in self._zones:
            merged.update(zone.rrsets)
        for key, records in self._overlay.items():
            if records is None:
                merged.pop(key, None)
            else:
                merged[key] = records
        by_name: dict[str, dict[str, list[RR]]] = {}
        for (owner, rtype), records in merged.items():
            by_name.setdefault(owner, {})[rtype] = records
        existing: set[str] = set()
        for owner in by_name:
            holder = self.zone_for(owner)
            if holder is None:
                continue
            node = owner
            existing.add(node)
            while node != holder.origin:  # empty non-terminals exist too (RFC 4592 §2.2.2)
                node = node.split(".", 1)[1]
                existing.add(node)
        self._by_name = by_name
        self._existing = existing
        self._cuts = {
            owner
            for owner, rrsets in by_name.items()
            if "NS" in rrsets and (holder := self.zone_for(owner)) and owner != holder.origin
        }
