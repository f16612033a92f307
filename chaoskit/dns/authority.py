"""The state of one DNS server: zones, run-time records, faults, events and the answer cache.

Every change goes through here, so each one is validated whole before anything is applied,
logged with who made it, and clears the answer cache.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import dns.exception
import dns.name

from chaoskit.dns.events import EventLog
from chaoskit.dns.faults import DnsFault, FaultSet, FaultSpec, is_pattern
from chaoskit.dns.records import RecordStore
from chaoskit.dns.responder import Responder
from chaoskit.dns.zone import has_escape, load_zone_file, normalise_name, parse_rrset

__all__ = ["DnsAuthority"]

APEX_TYPES = frozenset({"SOA", "NS"})
"""What makes a zone: kept at its apex whatever is deleted there."""


def _valid_name(name: str) -> str:
    """``name`` fully qualified and lower-cased; ValueError naming it when it is no domain name."""
    owner = normalise_name(name)
    try:
        dns.name.from_text(owner)
    except dns.exception.DNSException as exc:
        raise ValueError(f"name {name!r} is not a domain name: {exc}") from None
    if has_escape(owner):
        raise ValueError(f"name {name!r}: a name with an escaped character is not served")
    return owner


class DnsAuthority:
    """What the UDP/TCP listeners answer from and what the admin API changes."""

    def __init__(self, zone_paths: list[Path], events: EventLog | None = None) -> None:
        self.zone_paths = list(zone_paths)
        self.store = RecordStore([load_zone_file(p) for p in self.zone_paths])
        self.faults = FaultSet()
        self.events = events or EventLog()
        self.responder = Responder(self.store, self.faults)

    def reload_zones(self, actor: str) -> list[str]:
        zones = [load_zone_file(p) for p in self.zone_paths]  # all parse, or nothing changes
        with self.responder.changing():
            self.store.replace_zones(zones)
        origins = [z.origin for z in zones]
        self.events.record("zones.reloaded", actor, zones=origins)
        return origins

    def set_record(
        self, name: str, rtype: str, ttl: int, values: list[str], actor: str
    ) -> dict[str, Any]:
        owner = _valid_name(name)
        if self.store.zone_for(owner) is None:
            raise ValueError(f"name {owner} is not in any zone served here")
        records = parse_rrset(owner, rtype, ttl, values)
        problem = self._cname_problem(owner, rtype.upper(), len(records))
        if problem is None and rtype.upper() == "CNAME" and records:
            problem = self._cname_loop(owner, str(records[0].rdata.label).lower())
        if not records and rtype.upper() in APEX_TYPES and self._is_apex(owner):
            problem = f"{owner} NS: a zone's apex keeps at least one NS record"
        if problem:
            raise ValueError(problem)
        with self.responder.changing():
            self.store.set_rrset(owner, rtype, records)
        served = [r.rdata.toZone() for r in records]  # as served: a value given twice, once
        self.events.record(
            "record.set", actor, name=owner, type=rtype.upper(), ttl=ttl, values=served
        )
        return {"name": owner, "type": rtype.upper(), "ttl": ttl, "values": served}

    def _is_apex(self, owner: str) -> bool:
        zone = self.store.zone_for(owner)
        return zone is not None and zone.origin == owner

    def _cname_problem(self, owner: str, rtype: str, count: int) -> str | None:
        """Why an RRset of ``count`` records may not be set (RFC 1034 3.6.2, RFC 2181 10.1)."""
        if count == 0:
            return None
        others = sorted(self.store.types_held(owner) - {rtype})
        if rtype == "CNAME" and count > 1:
            return f"{owner} CNAME: a CNAME RRset holds one target name, not {count}"
        if rtype == "CNAME" and others:
            return (
                f"{owner} holds {', '.join(others)} records, and a CNAME cannot sit beside "
                "other data (RFC 1034 section 3.6.2): delete them first "
                f"(chaoskit dns delete {owner} TYPE)"
            )
        if "CNAME" in others:
            return (
                f"{owner} is a CNAME, and no other data can sit beside it "
                "(RFC 1034 section 3.6.2): delete the CNAME first "
                f"(chaoskit dns delete {owner} CNAME)"
            )
        return None

    def _cname_loop(self, owner: str, target: str) -> str | None:
        """Why a CNAME from ``owner`` to ``target`` may not be set: it would close a loop of
        CNAMEs, as zone files may not either (``zone_checks``)."""
        chain, name = [owner], target
        while name not in chain:
            chain.append(name)
            following = self.store.lookup(name).rrsets.get("CNAME")  # none outside our zones
            if not following:
                return None
            name = str(following[0].rdata.label).lower()
        if name != owner:
            return None  # a loop further on, not through owner: not this change's making
        return "CNAME loop: " + " -> ".join([*chain, owner])

    def delete_record(self, name: str, rtype: str | None, actor: str) -> int:
        """Delete one RRset, or every RRset of a name; at a zone's apex its SOA and NS stay
        (RFC 2136 section 3.4.2.3), and deleting either by type is refused."""
        owner = normalise_name(name)
        at_apex = self._is_apex(owner)
        if at_apex and rtype is not None and rtype.upper() in APEX_TYPES:
            raise ValueError(
                f"{owner} {rtype.upper()}: the SOA and NS records at a zone's apex cannot be "
                "deleted (a zone without them is no zone); to rehearse a broken delegation, "
                "inject a fault instead (chaoskit dns fault servfail|refused|drop NAME)"
            )
        keep = APEX_TYPES if at_apex else frozenset()
        with self.responder.changing():
            removed = self.store.delete_rrset(owner, rtype, keep=keep)
        self.events.record("record.deleted", actor, name=owner, type=rtype, removed=removed)
        return removed

    def add_fault(self, spec: FaultSpec) -> DnsFault:
        if not is_pattern(spec.name):
            _valid_name(spec.name)  # an exact name with an empty or overlong label matches none
        elif ".." in spec.name or re.search(r"[^.*?\[\]]{64}", spec.name):
            raise ValueError(
                f"name {spec.name!r} is not a domain name pattern: it holds an empty label "
                "or one over 63 octets, which no name has"
            )
        if not self.store.may_hold(spec.name):
            zones = ", ".join(z.origin for z in self.store.zones)
            raise ValueError(
                f"name: {spec.name!r} can match no name in the zones served here ({zones}), "
                "so the fault would change no answer"
            )
        with self.responder.changing():
            fault = self.faults.add(spec)
        self.events.record("fault.applied", spec.actor, **fault.to_json())
        return fault

    def lift_fault(self, fault_id: str, actor: str, reason: str = "lifted") -> DnsFault | None:
        with self.responder.changing():
            fault = self.faults.remove(fault_id)
        if fault is not None:
            self.events.record(
                f"fault.{reason}", actor, id=fault.id, kind=fault.spec.kind, name=fault.spec.name
            )
        return fault

    def lift_expired(self) -> list[DnsFault]:
        expired = self.faults.expired(time.monotonic())
        for fault in expired:
            self.lift_fault(fault.id, "server", reason="expired")
        return expired

    def records_json(self, name: str | None = None) -> list[dict[str, Any]]:
        wanted = normalise_name(name) if name else None
        return [
            {
                "name": owner,
                "type": rtype,
                "ttl": records[0].ttl if records else None,
                "values": [r.rdata.toZone() for r in records],
            }
            for owner, rtype, records in self.store.rrsets()
            if wanted is None or owner == wanted
        ]
