"""``dns.*``: faults on the lab DNS server; each carries its own expiry on the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import field_validator

from chaoskit._errors import InvalidInput
from chaoskit.dns.client import DnsAdminClient
from chaoskit.dns.faults import _PARAMS_BY_KIND, FAULT_KINDS
from chaoskit.experiment.faults.base import FaultKind, Params
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab.config import LabConfig

if TYPE_CHECKING:
    from chaoskit.lab.local import LocalLab

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
    "flap": "alternates good and bad (period_s, bad)",
    "failover": "answers with another name's address (to): the record failed over",
}


def _targets(config: LabConfig) -> list[str]:
    return [r.record for r in config.regions] + ["lab.test.", "ns1.lab.test."]


def _actor(entry: LedgerEntry) -> str:
    return f"chaoskit-run:{entry.run}:{entry.id}"


def _inject(lab: LocalLab, entry: LedgerEntry) -> dict[str, Any]:
    with lab.dns_admin(actor=_actor(entry)) as admin:
        fault = admin.add_fault(
            entry.kind.split(".", 1)[1],
            entry.target,
            duration_s=entry.expires_at - entry.written_at,
            probability=entry.probability,
            **entry.params,
        )
    return {"fault_id": fault["id"]}


def _ours(admin: DnsAdminClient, entry: LedgerEntry) -> list[dict[str, Any]]:
    fault_id = entry.handle.get("fault_id")
    return [f for f in admin.faults() if f.get("id") == fault_id or f.get("actor") == _actor(entry)]


def _revert(lab: LocalLab, entry: LedgerEntry) -> None:
    with lab.dns_admin() as admin:
        for fault in _ours(admin, entry):
            admin.lift_fault(fault["id"])


def _is_reverted(lab: LocalLab, entry: LedgerEntry) -> bool:
    with lab.dns_admin() as admin:
        return not _ours(admin, entry)


def _kind(
    name: str,
    params: type[Params] | None = None,
    inject: Callable[[LocalLab, LedgerEntry], dict[str, Any]] = _inject,
) -> FaultKind:
    """A DNS fault: the server's own kind ``name`` unless ``params`` and ``inject`` say how
    the controller turns it into one (as dns.failover does)."""
    return FaultKind(
        kind=f"dns.{name}",
        summary=SUMMARIES[name],
        params=params or _PARAMS_BY_KIND[name],  # type: ignore[arg-type]
        targets=_targets,
        inject=inject,
        revert=_revert,
        is_reverted=_is_reverted,
        expiry="dns-server",
        backends=("local", "compose"),
        target_patterns=True,
    )


class FailoverParams(Params):
    to: str
    """The name whose address the target answers with while failed over."""

    @field_validator("to")
    @classmethod
    def _absolute(cls, name: str) -> str:
        return name if name.endswith(".") else name + "."


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


def _inject_failover(lab: LocalLab, entry: LedgerEntry) -> dict[str, Any]:
    """The target answers with ``to``'s address, as a failover routing policy would; the
    DNS server lifts it at the entry's expiry like any other DNS fault."""
    params = FailoverParams.model_validate(entry.params)
    with lab.dns_admin(actor=_actor(entry)) as admin:
        address = _failover_address(admin, params.to)
        fault = admin.add_fault(
            "wrong_ip",
            entry.target,
            duration_s=entry.expires_at - entry.written_at,
            probability=entry.probability,
            address=address,
        )
    return {"fault_id": fault["id"], "address": address}


DNS_FAULTS = [
    *(_kind(name) for name in FAULT_KINDS),
    _kind("failover", FailoverParams, _inject_failover),
]
