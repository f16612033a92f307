"""``dns.failover`` on the real lab DNS server: the record answers with the other region's
address while it lasts, and exactly the original answer after its revert."""

from __future__ import annotations

import time

import dns.message
import dns.query
import dns.rdatatype
import pytest

from chaoskit._errors import InvalidInput
from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.injection import inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab import LocalLab

pytestmark = pytest.mark.lab


def answer(lab: LocalLab, name: str) -> tuple[list[str], int]:
    query = dns.message.make_query(name, dns.rdatatype.A)
    reply = dns.query.udp(query, lab.config.dns.host, port=lab.config.dns.port, timeout=2)
    (rrset,) = reply.answer
    return sorted(rr.address for rr in rrset), rrset.ttl


def failover_entry(to: str) -> LedgerEntry:
    now = time.time()
    return LedgerEntry(
        run="test-failover", kind="dns.failover", target="dynamodb.us-east-1.lab.test.",
        params={"to": to}, duration_s=30, written_at=now, expires_at=now + 30,
    )  # fmt: skip


def test_failover_answers_with_the_other_region_then_restores(lab: LocalLab) -> None:
    east, west = (r.proxy.host for r in lab.config.regions)
    before = answer(lab, "dynamodb.us-east-1.lab.test")
    assert before[0] == [east]
    kind = REGISTRY["dns.failover"]
    ledger = Ledger(lab.state_dir)
    entry = inject_fault(lab, ledger, failover_entry("dynamodb.us-west-2.lab.test"))
    try:
        assert answer(lab, "dynamodb.us-east-1.lab.test")[0] == [west]
        assert answer(lab, "dynamodb.us-west-2.lab.test")[0] == [west]
        assert not kind.is_reverted(lab, entry)
    finally:
        assert revert_fault(lab, ledger, entry).verified
    assert kind.is_reverted(lab, entry)
    assert ledger.entries() == []
    assert answer(lab, "dynamodb.us-east-1.lab.test") == before


def test_failover_to_a_name_without_an_address_is_refused(lab: LocalLab) -> None:
    ledger = Ledger(lab.state_dir)
    with pytest.raises(InvalidInput, match="no A record"):
        inject_fault(lab, ledger, failover_entry("nowhere.lab.test"))
    with lab.dns_admin() as admin:
        assert admin.faults() == []
    assert ledger.entries() == []  # refused before anything was written
