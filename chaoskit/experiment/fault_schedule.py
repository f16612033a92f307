"""A run's faults: each put in through the ledger, held for its duration, and reverted when
it falls due (or at once, by ``revert_all``), firing ``FaultInjected`` and
``FaultReverted`` as it goes."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chaoskit.experiment.events import FaultInjected, FaultReverted, RunEvents
from chaoskit.experiment.faults import REGISTRY, carrier_held_down, in_revert_order, revert_order
from chaoskit.experiment.injection import EXPIRY_GRACE_S, inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.experiment.run_result import FaultRecord
from chaoskit.experiment.timeline import PlannedStep

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend

__all__ = ["FaultSchedule"]

TOGETHER_S = 0.5
"""Faults due within this of each other end together (one step's injection takes a moment,
so faults of one ``at`` and one duration fall due a little apart)."""


class FaultSchedule:
    """The faults of run ``run_id``, on the run's clock (``now``: seconds since ``t0``, a
    ``time.monotonic()``)."""

    def __init__(
        self, lab: LabBackend, run_id: str, events: RunEvents, t0: float,
        now: Callable[[], float],
    ) -> None:  # fmt: skip
        self.lab = lab
        self.ledger = Ledger(lab.state_dir)
        self.run_id = run_id
        self.events = events
        self.t0 = t0
        self.now = now
        self.records: list[FaultRecord] = []
        self._due: list[tuple[float, int, FaultRecord]] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()

    def active(self) -> list[FaultRecord]:
        return [f for f in self.records if f.injected_t is not None and f.reverted_t is None]

    def next_due(self) -> float | None:
        """When the next scheduled revert falls due; None when none is pending."""
        with self._lock:
            return self._due[0][0] if self._due else None

    def inject(self, planned: PlannedStep) -> FaultRecord:
        """Put the step's fault in (ledger first); raises what the injection raised, after
        reverting what it could."""
        step = planned.step
        kind = REGISTRY[step.fault or ""]
        duration = step.duration or 0.0
        now_wall = time.time()
        entry = LedgerEntry(
            run=self.run_id, kind=kind.kind, target=kind.canonical_target(step.target or ""),
            params=step.params,
            probability=step.probability, duration_s=duration, written_at=now_wall,
            expires_at=now_wall + duration + EXPIRY_GRACE_S,
        )  # fmt: skip
        record = FaultRecord(planned.index, step.name, kind.kind, entry.target, step.params, entry)
        with self._lock:
            self.records.append(record)
            try:
                record.entry = inject_fault(self.lab, self.ledger, entry)
            except BaseException as exc:
                record.outcome, record.error = "injection_failed", str(exc)
                record.reverted_t = self.now()
                record.verified = all(e.id != entry.id for e in self.ledger.entries())
                if not record.verified:
                    record.outcome = "revert_unverified"
                raise
            record.injected_t = self.now()
            record.revert_due_t = record.injected_t + duration
            record.outcome = "injected"
            heapq.heappush(self._due, (record.revert_due_t, next(self._seq), record))
        self.events.emit(FaultInjected(
            record.injected_t, record.kind, record.target, record.params, record.step,
            record.name, record.entry.id, record.revert_due_t, record.entry.expires_at,
        ))  # fmt: skip
        return record

    def revert_due(self) -> None:
        """Revert every fault whose time has come. Of faults that end together (within
        ``TOGETHER_S``), those that start a component again go last: one due a moment
        before the others waits for them (``revert_order``)."""
        with self._lock:
            now = self.now()
            due: list[tuple[float, int, FaultRecord]] = []
            while self._due and self._due[0][0] <= now:
                due.append(heapq.heappop(self._due))
            ending_soon = any(
                at <= now + TOGETHER_S and not revert_order(r.kind) for at, _, r in self._due
            )
            if ending_soon:
                for item in due:
                    if revert_order(item[2].kind):
                        heapq.heappush(self._due, item)  # after the faults it ends with
            self.revert_now([r for _, _, r in due if not (ending_soon and revert_order(r.kind))])

    def revert_now(self, records: list[FaultRecord]) -> None:
        """Revert ``records`` in order (``in_revert_order``). One whose carrier another
        fault of the run holds down (a DNS fault while the DNS server is paused or killed)
        is reverted when that fault ends, not tried meanwhile: the try would wait out its
        timeouts, and hold the other fault past its time while it did."""
        with self._lock:
            for record in in_revert_order(records):
                holder = self._holding_down_the_carrier_of(record)
                if holder is None or holder.revert_due_t is None:
                    self.revert(record)
                else:
                    heapq.heappush(self._due, (holder.revert_due_t, next(self._seq), record))

    def _holding_down_the_carrier_of(self, record: FaultRecord) -> FaultRecord | None:
        others = [o for o in self.active() if o is not record]
        return next((o for o in others if carrier_held_down(record, [o])), None)

    def revert(self, record: FaultRecord) -> None:
        """Revert and verify one fault (idempotent). Unverified, it stays in the ledger."""
        with self._lock:
            if record.reverted_t is not None:
                return
            outcome = revert_fault(self.lab, self.ledger, record.entry)
            ended = outcome.ended_at - self.t0 if outcome.ended_at is not None else None
            record.reverted_t = ended if ended is not None else self.now()
            record.verified = outcome.verified
            if record.verified:
                if record.outcome == "injected":
                    record.outcome = "reverted"
            else:
                record.outcome, record.error = "revert_unverified", outcome.error
        self.events.emit(FaultReverted(
            record.reverted_t, record.kind, record.target, record.verified, record.step,
            record.name, record.entry.id, record.error,
        ))  # fmt: skip

    def revert_all(self) -> None:
        """Revert every fault still in force (those that restart a component last)."""
        with self._lock:
            self.revert_now([r for r in self.records if r.reverted_t is None])
            self._due.clear()
