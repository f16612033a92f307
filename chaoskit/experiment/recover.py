"""Putting the lab back: every ledger entry reverted, verified and forgotten, then every
drift the ledger does not account for (a component stopped by hand, a toxic or DNS fault
nobody wrote down) repaired and checked again."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chaoskit.experiment.drift import Drift, find_drift, repair_drift
from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.ledger import Ledger, LedgerCorrupt, LedgerEntry

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend

__all__ = ["Recovery", "ledger_notice", "recover"]


def _describe(entry: LedgerEntry, now: float) -> str:
    ago = now - entry.written_at
    state = (
        f"reverted by the {entry.reverted_by}"
        if entry.reverted_by
        else (
            "past its expiry"
            if entry.expires_at <= now
            else f"expires in {entry.expires_at - now:.0f}s"
        )
    )
    return f"{entry.kind} on {entry.target} (run {entry.run}, {ago:.0f}s ago, {state})"


def ledger_notice(state_dir: Path) -> str | None:
    """A warning naming the faults a controller left in the ledger, or None."""
    if not (state_dir / "ledger.json").exists():
        return None
    try:
        entries = Ledger(state_dir).entries()
    except LedgerCorrupt as exc:
        return f"the fault ledger is damaged ({exc}). Run `chaoskit recover` to repair the lab."
    if not entries:
        return None
    now = time.time()
    listed = "; ".join(_describe(e, now) for e in entries)
    return (
        f"{len(entries)} fault(s) from an earlier run may still be active: {listed}. "
        "Run `chaoskit recover` to revert and clear them."
    )


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
    for entry in entries:
        kind = REGISTRY.get(entry.kind)
        if kind is None:
            done.entries.append(
                (entry, False, f"unknown fault kind {entry.kind}; left in the ledger")
            )
            continue
        try:
            kind.revert(lab, entry)
            verified = kind.is_reverted(lab, entry)
            detail = "reverted and verified" if verified else "revert could not be verified"
        except Exception as exc:
            verified, detail = False, f"{type(exc).__name__}: {exc}"
        if verified:
            ledger.remove(entry.id)
        done.entries.append((entry, verified, detail))
    left = [entry for entry, verified, _ in done.entries if not verified]
    drift = find_drift(lab, left)
    if drift:
        done.drift = repair_drift(lab, drift, left)
    return done
