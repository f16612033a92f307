"""What happens in a run, as typed events, and the bus that hands them to subscribers.

A run fires ``PhaseChanged``, ``FaultInjected``, ``FaultReverted``, ``Sampled``,
``ProbeResult``, ``StopConditionTripped`` and, last, ``RunFinished``; the journal writer,
the live view, the stop conditions and history subscribe, as Locust's stats subscribe to
``events.request``. Faults from Python (``chaoskit.Lab.fault``) fire the same two fault
events, so a measurement marks them. A subscriber that raises is reported and skipped: it
never stops a run or the revert of a fault.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from chaoskit.experiment.probes import ProbeResult
from chaoskit.experiment.recorder import Sample

if TYPE_CHECKING:
    from chaoskit.experiment.run_result import RunResult

__all__ = [
    "EVENT_TYPES", "FaultInjected", "FaultReverted", "PhaseChanged", "ProbeResult", "RunErrored",
    "RunEvent", "RunEvents", "RunFinished", "Sampled", "StopConditionTripped", "event_json",
]  # fmt: skip


@dataclass(frozen=True)
class PhaseChanged:
    t: float
    """Seconds since the run began, as every event's ``t``."""
    phase: str
    previous: str


@dataclass(frozen=True)
class _FaultEvent:
    t: float
    kind: str
    target: str

    @property
    def label(self) -> str:
        return f"{self.kind} on {self.target}"


@dataclass(frozen=True)
class FaultInjected(_FaultEvent):
    params: dict[str, Any] = field(default_factory=dict)
    step: int | None = None
    """The method step that put it in; None for a fault from Python."""
    name: str | None = None
    ledger_id: str = ""
    revert_due_t: float | None = None
    expires_at: float | None = None
    """Wall-clock time after which the watchdog reverts it if nothing else has."""


@dataclass(frozen=True)
class FaultReverted(_FaultEvent):
    verified: bool
    """False: the revert could not be confirmed, and the fault stays in the ledger."""
    step: int | None = None
    name: str | None = None
    ledger_id: str = ""
    error: str | None = None


@dataclass(frozen=True)
class Sampled:
    sample: Sample

    @property
    def t(self) -> float:
        return self.sample.t


@dataclass(frozen=True)
class StopConditionTripped:
    t: float
    name: str
    metric: str
    value: float
    reason: str


@dataclass(frozen=True)
class RunFinished:
    t: float
    result: RunResult


@dataclass(frozen=True)
class RunErrored:
    """The run stopped on an error before it had a result (the lab could not be made ready,
    say); its faults were reverted first. The last event of such a run, in place of
    ``RunFinished``: the error goes on to the caller."""

    t: float
    error: str
    exit_code: int


RunEvent = (
    PhaseChanged | FaultInjected | FaultReverted | Sampled | ProbeResult | StopConditionTripped
    | RunFinished | RunErrored
)  # fmt: skip
EVENT_TYPES: tuple[type, ...] = (
    PhaseChanged, FaultInjected, FaultReverted, Sampled, ProbeResult, StopConditionTripped,
    RunFinished, RunErrored,
)  # fmt: skip


def event_json(event: RunEvent) -> dict[str, Any]:
    """One event as a JSON object: ``{"event": "FaultInjected", "t": ..., ...}``."""
    if isinstance(event, RunFinished):
        result = event.result
        body: dict[str, Any] = {
            "t": event.t, "status": result.status, "verdict": result.verdict,
            "held": result.held, "exit_code": result.exit_code, "run_dir": str(result.run_dir),
            "metrics": result.metrics,
        }  # fmt: skip
    elif isinstance(event, Sampled):
        body = {"t": event.t, **event.sample.row()}
    else:
        body = asdict(event)
    return {"event": type(event).__name__, **body}


class RunEvents:
    """The bus: ``subscribe(handler, FaultInjected, ...)`` (no types: every event), ``emit``.
    Handlers run on the emitting thread (``Sampled`` on the recorder's), in the order they
    subscribed."""

    def __init__(self, on_error: Callable[[str], None] | None = None) -> None:
        self._handlers: list[tuple[Callable[[Any], None], tuple[type, ...]]] = []
        self._lock = threading.Lock()
        self._on_error = on_error
        self._failed: set[int] = set()

    def subscribe(self, handler: Callable[[Any], None], *kinds: type) -> Callable[[], None]:
        """Call ``handler`` with each event of these types; the returned function
        unsubscribes it."""
        for kind in kinds:
            if kind not in EVENT_TYPES:
                raise TypeError(f"{kind!r} is not a run event; expected one of "
                                + ", ".join(t.__name__ for t in EVENT_TYPES))  # fmt: skip
        entry = (handler, tuple(kinds) or EVENT_TYPES)
        with self._lock:
            self._handlers = [*self._handlers, entry]

        def unsubscribe() -> None:
            with self._lock:
                self._handlers = [h for h in self._handlers if h is not entry]

        return unsubscribe

    def emit(self, event: RunEvent) -> None:
        for handler, kinds in self._handlers:  # a copy: handlers may (un)subscribe
            if not isinstance(event, kinds):
                continue
            try:
                handler(event)
            except Exception as exc:  # one subscriber's bug must not stop the run
                self._report(handler, event, exc)

    def _report(self, handler: Callable[[Any], None], event: RunEvent, exc: Exception) -> None:
        key = id(handler)
        if key in self._failed or self._on_error is None:
            return
        self._failed.add(key)  # once per subscriber: a sampled handler fails at 10 Hz
        name = getattr(handler, "__qualname__", repr(handler))
        self._on_error(
            f"event subscriber {name} failed on {type(event).__name__}: "
            f"{type(exc).__name__}: {exc} (further failures of it are not shown)"
        )
