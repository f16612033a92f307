"""Running a game day: the plan's steps in order, with people in the loop.

Before a step with a checkpoint the coordinator answers go, skip or no-go (no-go ends the
game day). Manual steps wait for ``done``. Experiments run as ``chaoskit run`` would, with
the step's profile and the plan's stop conditions added. ``halt`` from the console (or
Ctrl-C) aborts the running experiment, which reverts every fault, and ends the game day;
at the end the ledger is checked and anything left in it is reverted.

``unattended`` (``--yes``): every checkpoint is go, manual steps are marked done, and the
console is not read. The result goes to ``OUT/<time>-gameday-<slug>/``: ``gameday.json``,
``gameday.md``, ``gameday.html`` and the runs under ``runs/``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from chaoskit._errors import ChaoskitError
from chaoskit._outputs import guarded
from chaoskit._signals import handling
from chaoskit._text import slug
from chaoskit.experiment.ledger import Ledger
from chaoskit.experiment.recover import recover
from chaoskit.gameday.console import Console, LogEntry
from chaoskit.gameday.load import LoadedPlan
from chaoskit.gameday.model import GameDayStep
from chaoskit.lab.backend import LabBackend

__all__ = ["GameDay", "GameDayResult", "StepOutcome"]


@dataclass
class StepOutcome:
    name: str
    kind: str
    decision: str
    """go, skip, no-go, unattended, or empty when there was no checkpoint."""
    outcome: str
    detail: str = ""
    run_dir: str | None = None
    held: bool | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class GameDayResult:
    status: str
    """completed, halted, stopped (no-go at a checkpoint)."""
    directory: Path
    steps: list[StepOutcome]
    log: list[LogEntry]
    exit_code: int


class GameDay:
    def __init__(
        self,
        loaded: LoadedPlan,
        lab: LabBackend,
        out_dir: Path,
        *,
        unattended: bool,
        source: TextIO | None,
        echo: Callable[[str], None] = print,
        lab_file: Path | None = None,
    ) -> None:
        self.loaded = loaded
        self.lab_file = lab_file
        self.plan = loaded.plan
        self.lab = lab
        self.unattended = unattended
        self.echo = guarded(echo, self._output_closed)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.directory = out_dir / f"{stamp}-gameday-{slug(self.plan.title, 40, 'gameday')}"
        self.console = Console(None if unattended else source, self.echo, self.halt)
        self.outcomes: list[StepOutcome] = []

    def halt(self, reason: str) -> None:
        """End the game day; a running experiment sees it at once and reverts its faults."""
        self.console.halted = self.console.halted or reason

    def _halted(self) -> str | None:
        halted = self.console.halted
        return f"game day halted: {halted}" if halted is not None else None

    def _output_closed(self) -> None:
        """Between experiments too (a run has its own guard): the game day ends."""
        if self.console.halted is None:
            reason = "its output was closed (the terminal hung up or the reader of its pipe ended)"
            self.console.add("halt", reason)
            self.halt(reason)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.console.halted is None:
            self.console.add("halt", "interrupted (Ctrl-C, SIGTERM or a hangup)")
        self.halt("interrupted")

    def run(self) -> GameDayResult:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.console.start()
        self.console.add("step", f"game day started: {self.plan.title}")
        status = "completed"
        with handling(self._on_signal):
            for step in self.plan.steps:
                decision = "halt" if self.console.halted else self._checkpoint(step)
                if decision in ("halt", "no-go"):
                    status = "halted" if decision == "halt" else "stopped"
                    break
                if decision == "skip":
                    continue
                if step.manual is not None:
                    self._manual(step, decision)
                else:
                    self._experiment(step, decision)
            if self.console.halted is not None:
                status = "halted"
        self._make_clean()
        self.console.add("step", f"game day {status}")
        result = GameDayResult(status, self.directory, self.outcomes, list(self.console.log),
                               self._exit_code(status))  # fmt: skip
        self._write(result)
        return result

    def _exit_code(self, status: str) -> int:
        if status != "completed":
            return 3
        ran = [o for o in self.outcomes if o.kind == "experiment" and o.held is not None]
        return 0 if all(o.held for o in ran) else 1

    def _checkpoint(self, step: GameDayStep) -> str:
        if not step.checkpoint:
            return ""
        if self.unattended:
            self.console.add("decision", f"{step.name}: go (unattended) — {step.checkpoint}")
            return "unattended"
        if self.plan.abort_criteria:
            self.echo("abort criteria: " + "; ".join(self.plan.abort_criteria))
        answer, rest = self.console.ask(
            f"GO/NO-GO before '{step.name}': {step.checkpoint}", ("go", "skip", "no-go"), 3600
        )
        if answer == "timeout":
            answer, rest = "no-go", rest or "no answer"
        if answer != "halt":
            self.console.add("decision", f"{step.name}: {answer}" + (f" ({rest})" if rest else ""))
        if answer in ("skip", "no-go"):
            self.outcomes.append(StepOutcome(step.name, self._kind(step), answer, "not run", rest))
        return answer

    @staticmethod
    def _kind(step: GameDayStep) -> str:
        return "manual" if step.manual is not None else "experiment"

    def _manual(self, step: GameDayStep, decision: str) -> None:
        self.echo(f"MANUAL STEP '{step.name}': {step.manual}")
        if step.runbook:
            self.echo(step.runbook.rstrip())
        if self.unattended:
            outcome, detail = "done", "unattended"
        else:
            answer, detail = self.console.ask("when finished", ("done", "skip"), step.timeout)
            outcome = {"done": "done", "skip": "skipped", "halt": "halted"}.get(answer, "timed out")
        self.console.add("step", f"{step.name}: {outcome}")
        self.outcomes.append(StepOutcome(step.name, "manual", decision, outcome, detail))

    def _experiment(self, step: GameDayStep, decision: str) -> None:
        from chaoskit.runs import run_experiment

        experiment = self.loaded.experiments[step.name]
        if step.runbook:
            self.echo(step.runbook.rstrip())
        self.console.add("step", f"{step.name}: experiment '{experiment.title}' started")
        try:
            result = run_experiment(
                self.loaded.experiment_path(step.name), profile=step.profile,
                out=self.directory / "runs", state_dir=self.lab.state_dir,
                lab_file=self.lab_file, echo=self.echo,
                stop_conditions=self.plan.stop_conditions,
                manual_poll=None if self.unattended else self.console.manual_poll,
                abort_when=self._halted, trigger=f"gameday:{self.plan.title}",
            )  # fmt: skip
        except ChaoskitError as exc:  # refused before anything was injected (e.g. drift)
            self.console.add("step", f"{step.name}: not run: {exc}")
            self.echo(f"WARNING: {step.name} not run: {exc}")
            self.outcomes.append(StepOutcome(step.name, "experiment", decision, "not run",
                                             str(exc), held=False))  # fmt: skip
            return
        finally:
            self.console.close_question()
        self.console.add("step", f"{step.name}: {result.status}: {result.verdict}")
        if result.status == "interrupted" and self.console.halted is None:
            # the run's own handler took the Ctrl-C (SIGTERM, hangup, closed output) meant for
            # the whole game day: no later step runs
            self.console.add("halt", result.verdict)
            self.halt(result.verdict)
        keys = ("time_to_recover_from_revert_s", "availability_during_fault",
                "time_to_impact_s", "retry_amplification")  # fmt: skip
        self.outcomes.append(StepOutcome(
            step.name, "experiment", decision, result.status, result.verdict,
            str(result.run_dir), result.held, {k: result.metrics.get(k) for k in keys},
        ))  # fmt: skip

    def _make_clean(self) -> None:
        """Nothing a game day injected outlives it: revert whatever the ledger still holds."""
        if not Ledger(self.lab.state_dir).entries():
            return
        recovery = recover(self.lab)
        for entry, verified, detail in recovery.entries:
            self.console.add("step", f"recover {entry.kind} on {entry.target}: {detail}")
            if not verified:
                self.echo(f"WARNING: {entry.kind} on {entry.target}: {detail}")
        for drift, repaired, detail in recovery.drift:
            self.console.add("step", f"recover {drift.describe()}: {detail}")
            if not repaired:
                self.echo(f"WARNING: {drift.describe()}: {detail}")

    def _write(self, result: GameDayResult) -> None:
        from chaoskit.gameday.report import render_gameday_html, render_gameday_markdown

        record = {
            "title": self.plan.title,
            "plan": str(self.loaded.path),
            "window": {"start": self.plan.window.start_at.isoformat(),
                       "end": self.plan.window.end_at.isoformat()},
            "status": result.status,
            "exit_code": result.exit_code,
            "steps": [asdict(o) for o in result.steps],
            "log": [asdict(e) for e in result.log],
        }  # fmt: skip
        (self.directory / "gameday.json").write_text(json.dumps(record, indent=2, default=str))
        (self.directory / "gameday.md").write_text(render_gameday_markdown(self.loaded, result))
        (self.directory / "gameday.html").write_text(render_gameday_html(self.loaded, result))
