"""Subscribers that keep what a run did: ``RunJournal`` (``events.jsonl`` as the run goes,
then the run directory and its report when it ends) and ``RunHistory`` (the run's row in
the history database)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from chaoskit.experiment.events import (
    PhaseChanged,
    ProbeResult,
    RunErrored,
    RunEvent,
    RunEvents,
    RunFinished,
    Sampled,
    event_json,
)  # fmt: skip
from chaoskit.experiment.run_result import EXIT_CODES, RunResult

if TYPE_CHECKING:
    from chaoskit.experiment.runner import ExperimentRun
    from chaoskit.schedule.history import RunRecord

__all__ = ["EVENTS_LOG", "RunHistory", "RunJournal"]

EVENTS_LOG = "events.jsonl"
"""Every event but the samples (those are ``timeline.csv``), a JSON object a line, each
flushed when it happens: what a killed controller had done is still there."""


class RunJournal:
    """The phases and probe results of a run, as its events told them, and its files."""

    def __init__(self, run: ExperimentRun, events: RunEvents, echo: Callable[[str], None]) -> None:
        self.run = run
        self.echo = echo
        self.phases: list[tuple[str, float]] = [("setup", 0.0)]
        self.probes: list[ProbeResult] = []
        self._log: IO[str] | None = None
        self._log_failed = False
        self._lock = threading.Lock()
        events.subscribe(self._on_event)

    def _on_event(self, event: RunEvent) -> None:
        if isinstance(event, PhaseChanged):
            self.phases.append((event.phase, event.t))
        elif isinstance(event, ProbeResult):
            with self._lock:
                self.probes.append(event)
        if not isinstance(event, Sampled):
            self._append(event)
        if isinstance(event, RunFinished):
            self._write(event)

    def _append(self, event: RunEvent) -> None:
        with self._lock:
            try:
                if self._log is None:
                    self.run.run_dir.mkdir(parents=True, exist_ok=True)
                    self._log = (self.run.run_dir / EVENTS_LOG).open("a", encoding="utf-8")
                self._log.write(json.dumps(event_json(event), default=str) + "\n")
                self._log.flush()
            except OSError as exc:  # a full disk: said once, and the run goes on to its end
                self._close_log()
                if not self._log_failed:
                    self._log_failed = True
                    self.echo(f"{EVENTS_LOG} not written: {type(exc).__name__}: {exc}")
                return
            if isinstance(event, RunFinished | RunErrored):
                self._close_log()

    def _close_log(self) -> None:
        log, self._log = self._log, None
        if log is not None:
            with contextlib.suppress(OSError):  # what it could not flush is lost either way
                log.close()

    def _write(self, event: RunFinished) -> None:
        from chaoskit.experiment.report_files import write_run_dir
        from chaoskit.report import load_run, render_run

        result = event.result
        try:
            write_run_dir(self.run, self, result.status, result.verdict, result.metrics)
        except Exception as exc:  # a full disk, say: the run's result is still told
            self._incomplete(result, f"journal not written: {type(exc).__name__}: {exc}")
            return
        try:  # rendered from the run directory, exactly as `chaoskit report` would
            render_run(load_run(self.run.run_dir))
        except Exception as exc:  # a report that fails must not hide the run's result
            self._incomplete(result, f"report not written: {type(exc).__name__}: {exc}")

    def _incomplete(self, result: RunResult, what: str) -> None:
        """Say what is missing; a run that held exits 1 all the same, so that a CI job does
        not pass on a JUnit file that is not there (history, subscribed later, records 1)."""
        if result.exit_code == EXIT_CODES["held"]:
            result.exit_code = EXIT_CODES["not_held"]
            what += " (the hypothesis held; exit 1, as the run's files are incomplete)"
        self.echo(what)


class RunHistory:
    """The run's row in ``STATE_DIR/history.db``, from its run directory."""

    def __init__(self, run: ExperimentRun, events: RunEvents, echo: Callable[[str], None]) -> None:
        self.run = run
        self.echo = echo
        self._started = False
        events.subscribe(self._on_started, PhaseChanged)
        events.subscribe(self._on_finished, RunFinished)
        events.subscribe(self._on_errored, RunErrored)

    def _on_started(self, _: PhaseChanged) -> None:
        """At the run's first phase, its row as running: a controller killed from then on
        leaves a run that history shows did not finish."""
        if self._started:
            return
        self._started = True
        try:
            self._record_start()
        except Exception as exc:  # history must not stop a run
            self.echo(f"history not recorded: {_why(exc)}")

    def _record_start(self) -> None:
        import os

        from chaoskit.lab import process
        from chaoskit.schedule.history import RUNNING, record_start

        pid = os.getpid()
        record = self._unfinished(RUNNING, RUNNING, exit_code=-1)
        record_start(self.run.lab.state_dir, record, pid, process.start_time(pid))

    def _unfinished(self, status: str, verdict: str, exit_code: int) -> RunRecord:
        """The run's row before it has a result: what is known from its start."""
        from chaoskit.schedule.history import RunRecord

        run = self.run
        return RunRecord(
            run_id=run.run_id, title=run.experiment.title, source=str(run.source),
            started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run.t0_wall)),
            status=status, verdict=verdict, held=False, exit_code=exit_code,
            profile=str(run.experiment.stack.profile), trigger=run.options.trigger,
            run_dir=str(run.run_dir.resolve()), report=None, time_to_recover_s=None,
            availability=None, metrics={},
        )  # fmt: skip

    def _on_errored(self, event: RunErrored) -> None:
        """A run that stopped on an error: its row says so, not that it is still running."""
        from chaoskit.schedule.history import ERROR, record_run

        try:
            verdict = f"stopped on an error before its end: {event.error}"
            record_run(self.run.lab.state_dir, self._unfinished(ERROR, verdict, event.exit_code))
        except Exception as exc:  # history must not hide the error itself
            self.echo(f"history not recorded: {_why(exc)}")

    def _on_finished(self, event: RunFinished) -> None:
        from chaoskit.experiment.report_files import JOURNAL

        result = event.result
        try:
            if (result.run_dir / JOURNAL).exists():
                self._record(result.run_dir, result.exit_code)
            else:  # not written (a full disk): the result as the run knows it
                self._record_result(result)
        except Exception as exc:  # nor may history
            self.echo(f"history not recorded: {_why(exc)}")

    def _record_result(self, result: RunResult) -> None:
        import dataclasses

        from chaoskit.schedule.history import record_run

        record = dataclasses.replace(
            self._unfinished(result.status, result.verdict, result.exit_code),
            held=result.held, metrics=result.metrics,
            time_to_recover_s=result.metrics.get("time_to_recover_from_revert_s"),
            availability=result.metrics.get("availability_during_fault"),
        )  # fmt: skip
        record_run(self.run.lab.state_dir, record)

    def _record(self, run_dir: Path, exit_code: int) -> None:
        from chaoskit.report import load_run
        from chaoskit.schedule.history import RunRecord, record_run

        journal = load_run(run_dir).journal
        metrics = journal.metrics
        report = run_dir / "report.html"
        record_run(
            self.run.lab.state_dir,
            RunRecord(
                run_id=self.run.run_id, title=self.run.experiment.title,
                source=str(self.run.source), started_at=journal.started_at,
                status=journal.status, verdict=journal.verdict, held=journal.held,
                exit_code=exit_code, profile=journal.profile, trigger=self.run.options.trigger,
                run_dir=str(run_dir.resolve()),
                report=str(report.resolve()) if report.exists() else None,
                time_to_recover_s=metrics.get("time_to_recover_from_revert_s"),
                availability=metrics.get("availability_during_fault"), metrics=metrics,
            ),
        )  # fmt: skip


def _why(exc: Exception) -> str:
    """An error as one line: chaoskit's own say what happened; others are named too."""
    from chaoskit._errors import ChaoskitError

    return str(exc) if isinstance(exc, ChaoskitError) else f"{type(exc).__name__}: {exc}"
