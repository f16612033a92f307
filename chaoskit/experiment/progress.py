"""A run's progress as lines of text (``[  12.34s] injected dns.blank on ...``), a
subscriber of the run's events: what ``chaoskit run`` prints above its live view."""

from __future__ import annotations

from collections.abc import Callable

from chaoskit.experiment.events import (
    FaultInjected,
    FaultReverted,
    PhaseChanged,
    RunEvent,
    RunEvents,
    StopConditionTripped,
)  # fmt: skip

__all__ = ["ProgressLines"]


class ProgressLines:
    def __init__(self, events: RunEvents, echo: Callable[[str], None]) -> None:
        self.echo = echo
        events.subscribe(
            self._on_event, PhaseChanged, FaultInjected, FaultReverted, StopConditionTripped
        )

    def _on_event(self, event: RunEvent) -> None:
        if isinstance(event, PhaseChanged):
            self.echo(f"[{event.t:7.2f}s] phase: {event.phase}")
        elif isinstance(event, FaultInjected):
            self.echo(f"[{event.t:7.2f}s] injected {event.label}")
        elif isinstance(event, FaultReverted) and event.verified:
            self.echo(f"[{event.t:7.2f}s] reverted {event.label}")
        elif isinstance(event, FaultReverted):
            self.echo(
                f"could not verify the revert of {event.label} ({event.error}); it stays in "
                "the ledger: run `chaoskit recover`"
            )
        elif isinstance(event, StopConditionTripped):
            self.echo(f"[{event.t:7.2f}s] {event.reason}: aborting")
