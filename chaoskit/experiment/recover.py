"""Clearing the ledger: revert, verify and forget every fault that may still be active."""

from __future__ import annotations

import time
from pathlib import Path

from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab.local import LocalLab

__all__ = ["ledger_notice", "recover"]


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
    entries = Ledger(state_dir).entries()
    if not entries:
        return None
    now = time.time()
    listed = "; ".join(_describe(e, now) for e in entries)
    return (
        f"{len(entries)} fault(s) from an earlier run may still be active: {listed}. "
        "Run `chaoskit recover` to revert and clear them."
    )


def recover(lab: LocalLab) -> list[tuple[LedgerEntry, bool, str]]:
    """Revert every ledger entry; (entry, verified, detail) for each."""
    ledger = Ledger(lab.state_dir)
    results = []
    for entry in ledger.entries():
        kind = REGISTRY.get(entry.kind)
        if kind is None:
            results.append((entry, False, f"unknown fault kind {entry.kind}; left in the ledger"))
            continue
        try:
            kind.revert(lab, entry)
            verified = kind.is_reverted(lab, entry)
            detail = "reverted and verified" if verified else "revert could not be verified"
        except Exception as exc:
            verified, detail = False, f"{type(exc).__name__}: {exc}"
        if verified:
            ledger.remove(entry.id)
        results.append((entry, verified, detail))
    return results
