"""Putting the lab back: every ledger entry reverted, verified and forgotten, then every
drift the ledger does not account for (a component stopped by hand, a toxic or DNS fault
nobody wrote down) repaired and checked again."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chaoskit.experiment.drift import Drift, find_drift, repair_drift
from chaoskit.experiment.faults import REGISTRY, AnyKind, in_revert_order
from chaoskit.experiment.ledger import Ledger, LedgerCorrupt, LedgerEntry

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend

__all__ = ["Recovery", "recover", "revert_and_verify"]


@dataclass
class Recovery:
    """What ``recover`` did: each ledger entry and each drift, and whether it held."""

    entries: list[tuple[LedgerEntry, bool, str]] = field(default_factory=list)
    drift: list[tuple[Drift, bool, str]] = field(default_factory=list)
    quarantined: Path | None = None

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.entries) and all(ok for _, ok, _ in self.drift)

    @property
    def nothing_to_do(self) -> bool:
        return not self.entries and not self.drift and self.quarantined is None


def revert_and_verify(kind: AnyKind, lab: LabBackend, entry: LedgerEntry) -> tuple[bool, str]:
    """Revert ``entry``'s fault and check it is over: whether it is, and what happened."""
    try:
        kind.revert(lab, entry)
        verified = kind.is_reverted(lab, entry)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return verified, "reverted and verified" if verified else "revert could not be verified"


def recover(lab: LabBackend) -> Recovery:
    """Revert every ledger entry, then repair whatever else differs from the lab as it
    should be; an unreadable ledger is moved aside and the lab checked without it."""
    ledger = Ledger(lab.state_dir)
    done = Recovery()
    try:
        entries = ledger.entries()
    except LedgerCorrupt:
        done.quarantined = ledger.quarantine()
        entries = []
    for entry in in_revert_order(entries):
        kind = REGISTRY.get(entry.kind)
        if kind is None:
            done.entries.append(
                (entry, False, f"unknown fault kind {entry.kind}; left in the ledger")
            )
            continue
        verified, detail = revert_and_verify(kind, lab, entry)
        if verified:
            ledger.remove(entry.id)
        done.entries.append((entry, verified, detail))
    left = [entry for entry, verified, _ in done.entries if not verified]
    drift = find_drift(lab, left)
    if drift:
        done.drift = repair_drift(lab, drift, left)
    if left and any(ok for _, ok, _ in done.drift):
        _once_more(lab, ledger, done)
    return done


def _once_more(lab: LabBackend, ledger: Ledger, done: Recovery) -> None:
    """The entries whose revert failed, reverted again now that the lab's stopped
    components run again: one that held a fault (Toxiproxy, the DNS server) started
    without it, so a revert that could not reach it (the machine restarted, the lab's
    processes killed) now verifies, rather than failing until a second ``recover``."""
    for i, (entry, verified, detail) in enumerate(done.entries):
        kind = REGISTRY.get(entry.kind)
        if verified or kind is None:
            continue
        again, said = revert_and_verify(kind, lab, entry)
        if again:
            ledger.remove(entry.id)
            at_first = detail.split(":", 1)[0]
            done.entries[i] = (entry, True, f"{said} once the lab ran again ({at_first} at first)")
