"""Faults a controller left in the ledger when it was killed: the ledger check every run
makes (``chaoskit run``, a game day, a suite, ``chaoskit.Lab.open``).

The DNS server and the watchdog end such a fault at its expiry without the controller. A
run clears an entry once it is past its expiry and the lab shows the fault ended; any other
entry may still be in force, and the run is refused: that is ``chaoskit recover``'s to
revert, verify and clear.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chaoskit._errors import InvalidInput
from chaoskit.experiment.ledger import Ledger, LedgerCorrupt, LedgerEntry, describe_entry

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend

__all__ = ["clear_or_refuse_orphans"]


def clear_or_refuse_orphans(
    backend_lab: LabBackend, live: Callable[[list[LedgerEntry]], set[str]]
) -> list[LedgerEntry]:
    """Clear the entries past their expiry that the lab shows ended, and return them; raise
    InvalidInput (exit 2) naming the others. ``live(entries)`` gives the ids of entries a
    live controller holds (a run in progress, another test process): those are left alone."""
    state_dir = backend_lab.state_dir
    if not (state_dir / "ledger.json").exists():
        return []  # no fault was ever made here
    ledger = Ledger(state_dir)
    try:
        entries = ledger.entries()
    except LedgerCorrupt as exc:
        raise InvalidInput(f"the fault ledger is damaged ({exc}); run `chaoskit recover`") from None
    held = live(entries) if entries else set()
    cleared, pending = [], []
    for entry in entries:
        if entry.id in held:
            continue
        if entry.expires_at <= time.time() and _ended(backend_lab, entry):
            ledger.remove(entry.id)
            cleared.append(entry)
        else:
            pending.append(entry)
    if pending:
        now = time.time()
        listed = "; ".join(
            describe_entry(e, now, "the lab does not show it ended" if e.expires_at <= now else "")
            for e in pending
        )
        raise InvalidInput(
            f"{len(pending)} fault(s) left by a controller that is gone may still be active: "
            f"{listed}. Run `chaoskit recover` to revert and clear them."
        )
    return cleared


def _ended(backend_lab: LabBackend, entry: LedgerEntry) -> bool:
    from chaoskit.experiment.faults import REGISTRY

    kind = REGISTRY.get(entry.kind)
    if kind is None or not backend_lab.state.components:
        return False  # a kind this version does not know, or a lab that is not up
    try:
        return kind.is_reverted(backend_lab, entry)
    except Exception:  # the lab cannot say: recover's business
        return False
