"""Putting one fault in and taking it out, in the order that survives a kill at any instant.

1. ``prepare`` reads what the revert needs (the target's identity) and changes nothing;
2. the ledger entry, holding that handle, is fsync'd;
3. ``inject`` makes the fault exist. Nothing about the fault is written after this.

A controller killed before 2 leaves nothing; between 2 and 3 a ledger entry whose revert
is harmless; after 3 a fault that its expiry (the DNS server's, the automation's or the
watchdog's) and ``chaoskit recover`` both end from the entry alone.

For tests, ``CHAOSKIT_KILL_AT=BOUNDARY[:KIND]`` SIGKILLs this process at that boundary.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chaoskit._errors import ComponentError
from chaoskit.experiment.faults import REGISTRY, carrier_held_down
from chaoskit.experiment.ledger import Ledger, LedgerEntry

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend

__all__ = [
    "BOUNDARIES",
    "EXPIRY_GRACE_S",
    "KILL_AT_ENV",
    "RevertOutcome",
    "inject_fault",
    "revert_fault",
]

KILL_AT_ENV = "CHAOSKIT_KILL_AT"
EXPIRY_GRACE_S = 3.0
"""How long past its planned end the lab-side expiry of a fault is set."""
BOUNDARIES = ("before-ledger", "after-ledger", "after-effect", "after-revert")
REVERT_ATTEMPTS = 5


def boundary(name: str, kind: str) -> None:
    """The test hook: die here, as a SIGKILLed controller would, when asked to."""
    wanted = os.environ.get(KILL_AT_ENV)
    if not wanted:
        return
    point, _, only = wanted.partition(":")
    if point == name and only in ("", kind):
        os.kill(os.getpid(), signal.SIGKILL)


def inject_fault(lab: LabBackend, ledger: Ledger, entry: LedgerEntry) -> LedgerEntry:
    """Make ``entry``'s fault exist; the entry as written to the ledger (with its handle).

    A failed injection is reverted (best effort: an unverified revert stays in the ledger
    for ``recover``) and its error raised."""
    kind = REGISTRY[entry.kind]
    params = kind.validated(entry)
    _refuse_while_its_carrier_is_held_down(ledger, entry)
    boundary("before-ledger", kind.kind)
    entry = entry.model_copy(update={"handle": kind.prepare(lab, entry, params)})
    ledger.add(entry)
    boundary("after-ledger", kind.kind)
    try:
        kind.inject(lab, entry, params)
    except BaseException:
        revert_fault(lab, ledger, entry)
        raise
    boundary("after-effect", kind.kind)
    return entry


def _refuse_while_its_carrier_is_held_down(ledger: Ledger, entry: LedgerEntry) -> None:
    """A fault whose carrier another fault in the ledger holds down (a DNS fault while the
    DNS server is paused, by this run or another controller) is refused at once: tried, it
    would wait out the component's timeouts, and so would the revert of the failed try."""
    for holder in ledger.entries():
        if holder.reverted_by is None and carrier_held_down(entry, [holder]):
            until = time.strftime("%H:%M:%S", time.localtime(holder.expires_at))
            how = "acts on it" if entry.target == holder.target else "goes in through it"
            raise ComponentError(
                holder.target,
                f"is held down by {holder.kind} (ledger entry {holder.id}, from "
                f"{holder.run}, expiring at {until}), and {entry.kind} {how}: "
                "put it in once that fault has ended",
            )


@dataclass
class RevertOutcome:
    verified: bool
    ended_at: float | None
    """``time.monotonic()`` of the first revert call that went through: the fault's end."""
    error: str | None = None


def revert_fault(lab: LabBackend, ledger: Ledger, entry: LedgerEntry) -> RevertOutcome:
    """Revert, verify, and only then forget ``entry``; a few tries before giving up."""
    kind = REGISTRY[entry.kind]
    outcome = RevertOutcome(verified=False, ended_at=None)
    for attempt in range(REVERT_ATTEMPTS):
        try:
            kind.revert(lab, entry)
            outcome.ended_at = outcome.ended_at or time.monotonic()
            if kind.is_reverted(lab, entry):
                outcome.verified = True
                break
        except Exception as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
        if attempt < REVERT_ATTEMPTS - 1:
            time.sleep(0.1)
    boundary("after-revert", kind.kind)
    if outcome.verified:
        ledger.remove(entry.id)
    return outcome
