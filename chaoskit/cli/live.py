"""The run's live view (phase, active faults with time left, rps, error rate, p95), drawn
from the run's events, and the final summary table. Without a terminal it prints a status
line every few seconds."""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live
from rich.table import Table

from chaoskit.cli._console import styled
from chaoskit.experiment.events import FaultInjected, FaultReverted, PhaseChanged, Sampled

if TYPE_CHECKING:
    from chaoskit.experiment.events import RunEvent
    from chaoskit.experiment.recorder import Sample
    from chaoskit.experiment.runner import RunResult

__all__ = ["LiveView"]

REFRESH_S = 0.25
PLAIN_EVERY_S = 5.0


class LiveView:
    """Pass ``on_event`` to the run; ``echo`` prints its progress lines above the view."""

    def __init__(self, console: Console, title: str = "chaoskit run") -> None:
        self.console = console
        self.title = title
        self._live: Live | None = None
        self._last = 0.0
        self.phase = "setup"
        self.t = 0.0
        self.sample: Sample | None = None
        self.active: dict[str, FaultInjected] = {}

    def __enter__(self) -> LiveView:
        if self.console.is_terminal:
            self._live = Live(console=self.console, refresh_per_second=4, transient=True)
            self._live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, exc, tb)
            self._live = None

    def echo(self, message: str) -> None:
        self.console.print(message, highlight=False)

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, PhaseChanged):
            self.phase = event.phase
        elif isinstance(event, FaultInjected):
            self.active[event.ledger_id] = event
        elif isinstance(event, FaultReverted):
            self.active.pop(event.ledger_id, None)
        elif isinstance(event, Sampled):
            self.sample = event.sample
        else:
            return
        self.t = max(self.t, event.t)
        self._refresh()

    def _refresh(self) -> None:
        now = time.monotonic()
        interval = REFRESH_S if self._live is not None else PLAIN_EVERY_S
        if now - self._last < interval:
            return
        self._last = now
        if self._live is not None:
            self._live.update(self._table())
        else:
            self.console.print(self._line(), highlight=False)

    def _numbers(self) -> tuple[str, str, str]:
        sample = self.sample
        if sample is None:
            return "-", "-", "-"
        p95 = "-" if sample.p95_ms is None else f"{sample.p95_ms:.0f} ms"
        # no request ended in the window (all hang, or none sent): no rate, not 0 %
        errors = f"{sample.error_rate:.1%}" if sample.window_requests else "-"
        return f"{sample.rps:.0f}", errors, p95

    def _faults(self) -> str:
        active = [
            f"{f.label} ({max(0.0, (f.revert_due_t or self.t) - self.t):.1f}s left)"
            for f in list(self.active.values())
        ]
        return ", ".join(active) or "none"

    def _line(self) -> str:
        rps, errors, p95 = self._numbers()
        return (
            f"[{self.t:7.2f}s] {self.phase}: {rps} rps, errors {errors}, p95 {p95}; "
            f"faults: {self._faults()}"
        )

    def _table(self) -> Table:
        rps, errors, p95 = self._numbers()
        table = Table(title=self.title, show_header=False)
        table.add_row("time", f"{self.t:.1f}s")
        table.add_row("phase", self.phase)
        table.add_row("active faults", self._faults())
        table.add_row("rps", rps)
        table.add_row("error rate", errors)
        table.add_row("p95", p95)
        return table

    def summary(self, result: RunResult) -> None:
        table = Table(title=f"{result.title}: {result.status}")
        table.add_column("measure")
        table.add_column("value")
        colour = "green" if result.held else "red"
        table.add_row("verdict", styled((result.verdict, colour)))
        for fault in result.faults:
            window = (
                f"{fault.injected_t:.2f}s → {fault.reverted_t:.2f}s"
                if fault.injected_t is not None and fault.reverted_t is not None
                else "-"
            )
            table.add_row(f"{fault.kind} on {fault.target}", f"{fault.outcome} ({window})")
        for key, value in result.metrics.items():
            table.add_row(key, "-" if value is None else str(value))
        self.console.print(table)
        for client, during in _never_asked(result.run_dir):
            self.console.print(
                styled(
                    (f"{client} sent no DNS query during {during}", "yellow"),
                    ": it never exercised that fault (a pooled connection, or its own cache)",
                ),
                soft_wrap=True,
            )
        # paths on lines of their own: a table cell would cut them short in a narrow log
        self.console.print(f"run directory: {result.run_dir}", highlight=False, soft_wrap=True)
        report = result.run_dir / "report.html"
        if report.exists():
            self.console.print(f"report: {report}", highlight=False, soft_wrap=True)


def _never_asked(run_dir: Path) -> list[tuple[str, str]]:
    """(service, DNS fault) pairs in which the service sent the authority nothing."""
    from chaoskit.report import load_run
    from chaoskit.report.dns_clients import dns_client_table

    try:
        table = dns_client_table(load_run(run_dir))
    except Exception:  # the run's own files are what the summary reports on; never fail it
        return []
    return table.silent() if table is not None else []
