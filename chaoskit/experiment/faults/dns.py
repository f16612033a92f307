"""``dns.*``: faults on the lab DNS server; each carries its own expiry on the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import field_validator

from chaoskit._errors import InvalidInput
from chaoskit.dns.client import DnsAdminClient
from chaoskit.dns.faults import _PARAMS_BY_KIND, FAULT_KINDS
from chaoskit.experiment.faults.access import DnsAccess
from chaoskit.experiment.faults.base import FaultKind, Params
from chaoskit.experiment.handles import DnsFaultHandle, handle_of
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab import catalogue
from chaoskit.lab.config import LabConfig, domain_name

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend

__all__ = ["DNS_FAULTS"]

SUMMARIES = {
    "blank": "NOERROR with no addresses: the record is empty (the incident)",
    "nxdomain": "the name does not exist",
    "servfail": "the server fails",
    "refused": "the server refuses",
    "drop": "no reply: clients time out",
    "delay": "answers late (ms, jitter_ms)",
    "wrong_ip": "answers with another address (address)",
    "ttl": "serves records with another TTL (ttl)",
    "negative_ttl": "negative answers say to cache them this long (ttl: SOA TTL and minimum)",
    "flap": "alternates good and bad (period_s, bad)",
    "failover": "answers with another name's address (to): the record failed over",
}


def _targets(config: LabConfig) -> list[str]:
    return [r for r, _ in catalogue.lab_records(config)] + [config.zone, f"ns1.{config.zone}"]


def _actor(entry: LedgerEntry) -> str:
    return f"chaoskit-run:{entry.run}:{entry.id}"


def _prepare(lab: DnsAccess, entry: LedgerEntry, _params: Params) -> DnsFaultHandle:
    return DnsFaultHandle(fault_id=f"ck-{entry.id}", actor=_actor(entry))


def _add(lab: DnsAccess, entry: LedgerEntry, kind: str, **params: Any) -> None:
    handle = handle_of(entry.handle, DnsFaultHandle)
    with lab.dns_admin(actor=handle.actor) as admin:
        admin.add_fault(
            kind,
            entry.target,
            duration_s=entry.expires_at - entry.written_at,
            probability=entry.probability,
            fault_id=handle.fault_id,
            **params,
        )


def _inject(lab: DnsAccess, entry: LedgerEntry, params: Params) -> None:
    _add(lab, entry, entry.kind.split(".", 1)[1], **params.model_dump(exclude_none=True))


def _ours(admin: DnsAdminClient, entry: LedgerEntry) -> list[dict[str, Any]]:
    handle = handle_of(entry.handle, DnsFaultHandle)
    return [
        f
        for f in admin.faults()
        if f.get("id") == handle.fault_id or f.get("actor") == handle.actor
    ]


def _revert(lab: DnsAccess, entry: LedgerEntry) -> None:
    with lab.dns_admin() as admin:
        for fault in _ours(admin, entry):
            admin.lift_fault(fault["id"])


def _is_reverted(lab: DnsAccess, entry: LedgerEntry) -> bool:
    with lab.dns_admin() as admin:
        return not _ours(admin, entry)


def _kind(
    name: str,
    params: type[Params] | None = None,
    prepare: Callable[[LabBackend, LedgerEntry, Any], DnsFaultHandle] = _prepare,
    inject: Callable[[LabBackend, LedgerEntry, Any], None] = _inject,
) -> FaultKind[Any, DnsFaultHandle]:
    """A DNS fault: the server's own kind ``name`` unless ``params``, ``prepare`` and
    ``inject`` say how the controller turns it into one (as dns.failover does)."""
    return FaultKind(
        kind=f"dns.{name}",
        summary=SUMMARIES[name],
        params=params or _PARAMS_BY_KIND[name],
        targets=_targets,
        prepare=prepare,
        inject=inject,
        revert=_revert,
        is_reverted=_is_reverted,
        expiry="dns-server",
        backends=("local", "compose"),
        target_patterns=True,
        carried_by="dns",
        probabilistic=True,
    )


class FailoverParams(Params):
    to: str
    """The name whose address the target answers with while failed over."""

    @field_validator("to")
    @classmethod
    def _absolute(cls, name: str) -> str:
        """Fully qualified and lower-cased; an empty name passed validate and failed at
        the injection, after the warm-up."""
        try:
            return domain_name(name)
        except ValueError:
            raise ValueError(
                f"expected the domain name of a record in the lab (e.g. dynamodb.us-west-2."
                f"lab.test), got {name!r}"
            ) from None


def _failover_address(admin: DnsAdminClient, to: str) -> str:
    addresses = [
        value
        for record in admin.records(to)
        if record.get("type") == "A"
        for value in record.get("values", [])
    ]
    if not addresses:
        raise InvalidInput(f"dns.failover: {to} has no A record to fail over to")
    return str(addresses[0])


def _prepare_failover(lab: DnsAccess, entry: LedgerEntry, params: FailoverParams) -> DnsFaultHandle:
    """The address to fail over to is read before anything is written or faulted."""
    with lab.dns_admin() as admin:
        address = _failover_address(admin, params.to)
    return _prepare(lab, entry, params).model_copy(update={"address": address})


def _inject_failover(lab: DnsAccess, entry: LedgerEntry, _params: FailoverParams) -> None:
    """The target answers with ``to``'s address, as a failover routing policy would; the
    DNS server lifts it at the entry's expiry like any other DNS fault."""
    _add(lab, entry, "wrong_ip", address=handle_of(entry.handle, DnsFaultHandle).address)


DNS_FAULTS = [
    *(_kind(name) for name in FAULT_KINDS),
    _kind("failover", FailoverParams, _prepare_failover, _inject_failover),
]
