"""The lab DNS server: authoritative for the lab's zones, and bendable on command.

The names below are imported when first used: a module that needs only the fault kinds or
the zone reader does not pay for the admin client's HTTP stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaoskit._lazy import lazy_names

if TYPE_CHECKING:
    from chaoskit.dns.client import DnsAdminClient
    from chaoskit.dns.faults import FAULT_KINDS, DnsFault, FaultSpec
    from chaoskit.dns.records import RecordStore
    from chaoskit.dns.zone import Zone, load_zone_file

__all__ = [
    "FAULT_KINDS",
    "DnsAdminClient",
    "DnsFault",
    "FaultSpec",
    "RecordStore",
    "Zone",
    "load_zone_file",
]

_HOMES = {
    "FAULT_KINDS": "chaoskit.dns.faults",
    "DnsAdminClient": "chaoskit.dns.client",
    "DnsFault": "chaoskit.dns.faults",
    "FaultSpec": "chaoskit.dns.faults",
    "RecordStore": "chaoskit.dns.records",
    "Zone": "chaoskit.dns.zone",
    "load_zone_file": "chaoskit.dns.zone",
}


__getattr__ = lazy_names(__name__, _HOMES, globals())
