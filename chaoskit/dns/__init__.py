"""The lab DNS server: authoritative for the lab's zones, and bendable on command."""

from __future__ import annotations

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
