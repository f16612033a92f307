"""What a zone file must be before dnspython reads it, each problem at its line.

dnspython parses the syntax, but silently drops records outside the origin, keeps one of
two SOAs, expands ``$GENERATE`` in full, and reports a name too long or a type chaoskit does
not serve without a line. This scan walks the file line by line (``$ORIGIN``, owners
carried over, parentheses, comments) and refuses, at the line: a relative ``$ORIGIN``,
``$GENERATE`` ranges over :data:`MAX_GENERATED` names, names over 255 octets or labels over
63, owners outside the zone, a second SOA, types chaoskit does not serve, CNAME beside
other data, CNAME loops, and more than :data:`MAX_RECORDS` records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["MAX_GENERATED", "MAX_RECORDS", "ZoneLine", "check_zone_text"]

MAX_GENERATED = 10_000
MAX_RECORDS = 10_000
"""A lab zone, not a TLD: more records than this are refused before dnspython reads them."""
CLASSES = {"IN", "CH", "HS", "CS"}
_TTL = re.compile(r"^\d+[smhdwSMHDW]?(\d+[smhdwSMHDW])*$")
_RANGE = re.compile(r"^(\d+)-(\d+)(?:/(\d+))?$")


@dataclass(frozen=True)
class ZoneLine:
    line: int
    owner: str
    rtype: str
    rdata: list[str]


@dataclass
class _Scan:
    origin: str | None
    zone_origin: str | None = None
    records: list[ZoneLine] = field(default_factory=list)
    generated: int = 0


def _strip_comment(line: str) -> str:
    quoted = False
    for i, char in enumerate(line):
        if char == '"' and (i == 0 or line[i - 1] != "\\"):
            quoted = not quoted
        elif char == ";" and not quoted:
            return line[:i]
    return line


def _logical_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """(first line number, content, starts with blank) with parentheses joined."""
    pending: tuple[int, str, bool] | None = None
    depth = 0
    for number, raw in enumerate(text.splitlines(), 1):
        content = _strip_comment(raw)
        if pending is None:
            if not content.strip():
                continue
            pending = (number, content, raw[:1] in (" ", "\t"))
        else:
            pending = (pending[0], pending[1] + " " + content, pending[2])
        depth += content.count("(") - content.count(")")
        if depth <= 0:
            line, joined, blank = pending
            yield line, joined.replace("(", " ").replace(")", " "), blank
            pending, depth = None, 0
    if pending is not None:
        yield pending[0], pending[1].replace("(", " ").replace(")", " "), pending[2]


def _absolute(name: str, origin: str | None) -> str | None:
    if name == "@":
        return origin
    if name.endswith("."):
        return name.lower()
    return f"{name}.{origin}".lower() if origin else None


def _name_problem(name: str) -> str | None:
    labels = name.rstrip(".").split(".")
    if any(len(label) > 63 for label in labels):
        return "a label is longer than 63 octets"
    if sum(len(label) + 1 for label in labels) + 1 > 255:
        return f"the name is longer than 255 octets ({len(name)} characters)"
    return None


def check_zone_text(text: str, origin: str | None) -> list[tuple[int, str]]:
    """Every problem as (line, message); empty when dnspython may read the text."""
    from chaoskit.dns.zone import SUPPORTED_TYPES

    scan = _Scan(origin=origin.lower() if origin else None, zone_origin=origin)
    problems: list[tuple[int, str]] = []
    owner: str | None = None
    for number, content, blank in _logical_lines(text):
        tokens = content.split()
        if not tokens:
            continue
        if tokens[0].startswith("$"):
            problems += _directive(scan, number, tokens)
            continue
        if not blank:
            owner = _absolute(tokens[0], scan.origin)
            tokens = tokens[1:]
            if owner is None:
                problems.append((number, f"{tokens and content.split()[0]!r} is relative "
                                         "and no $ORIGIN is set"))  # fmt: skip
                continue
            problem = _name_problem(owner)
            if problem:
                problems.append((number, problem))
                continue
        if owner is None:
            continue
        while tokens and (_TTL.match(tokens[0]) or tokens[0].upper() in CLASSES):
            tokens = tokens[1:]
        if not tokens:
            continue
        rtype = tokens[0].upper()
        if rtype not in SUPPORTED_TYPES:
            served = ", ".join(sorted(SUPPORTED_TYPES))
            problems.append((number, f"{owner} {rtype}: type not served by chaoskit "
                                     f"(served: {served})"))  # fmt: skip
            continue
        if rtype == "SOA" and scan.zone_origin is None:
            scan.zone_origin = owner
        scan.records.append(ZoneLine(number, owner, rtype, tokens[1:]))
        if len(scan.records) > MAX_RECORDS:
            return [(number, f"more than {MAX_RECORDS:,} records; a lab zone holds up to that")]
    problems += _record_problems(scan)
    if not scan.records and not problems:
        problems.append((1, "the zone file has no records (it needs an SOA and an NS)"))
    return sorted(problems)


def _directive(scan: _Scan, number: int, tokens: list[str]) -> list[tuple[int, str]]:
    name = tokens[0].upper()
    if name == "$ORIGIN" and len(tokens) > 1:
        if not tokens[1].endswith("."):
            return [(number, f"$ORIGIN {tokens[1]} needs the final dot ({tokens[1]}.)")]
        scan.origin = tokens[1].lower()
        scan.zone_origin = scan.zone_origin or scan.origin
    elif name == "$GENERATE" and len(tokens) > 1:
        match = _RANGE.match(tokens[1])
        if not match:
            return [(number, f"$GENERATE range {tokens[1]!r} is not START-STOP[/STEP]")]
        start, stop, step = int(match[1]), int(match[2]), int(match[3] or 1)
        if step < 1 or stop < start:
            return [(number, f"$GENERATE range {tokens[1]!r} is empty or backwards")]
        scan.generated += (stop - start) // step + 1
        if scan.generated > MAX_GENERATED:
            return [(number, f"$GENERATE makes more than {MAX_GENERATED:,} names in this file")]
    elif name == "$INCLUDE":
        return [(number, "$INCLUDE is not read: give each zone file to chaoskit")]
    return []


def _record_problems(scan: _Scan) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    origin = scan.zone_origin
    types: dict[str, dict[str, int]] = {}
    soa_seen: int | None = None
    cnames: dict[str, tuple[str, int]] = {}
    for record in scan.records:
        if origin and not (record.owner == origin or record.owner.endswith("." + origin)):
            problems.append((record.line, f"{record.owner} is outside the zone's origin {origin}"
                                          " (dnspython would drop it without a word)"))  # fmt: skip
            continue
        if record.rtype == "SOA":
            if soa_seen is not None:
                problems.append((record.line, f"a second SOA (the first is on line {soa_seen})"))
                continue
            soa_seen = record.line
        types.setdefault(record.owner, {}).setdefault(record.rtype, record.line)
        if record.rtype == "CNAME" and record.rdata:
            target = _absolute(record.rdata[0], origin)
            if target:
                cnames[record.owner] = (target, record.line)
    for owner, seen in types.items():
        if "CNAME" in seen and len(seen) > 1:
            others = ", ".join(t for t in seen if t != "CNAME")
            problems.append((seen["CNAME"], f"{owner} has a CNAME beside other data ({others})"))
    for owner, (_, line) in cnames.items():
        chain, name = [owner], cnames[owner][0]
        while name in cnames and name not in chain:
            chain.append(name)
            name = cnames[name][0]
        if name in chain and name == owner:
            problems.append((line, "CNAME loop: " + " -> ".join([*chain, owner])))
    return problems
