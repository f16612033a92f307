"""Running an experiment: lab, steady state, load, the timeline, revert, recovery, report.

``ExperimentRun`` only orchestrates. Its parts fire typed events (``events.py``) and the
rest subscribes: the journal writer and history (``run_journal.py``), the progress lines,
the stop conditions, the live view and whoever passed ``on_event``.

Whatever happens (a stop condition, Ctrl-C, SIGTERM, an exception), every fault injected
is reverted before ``execute`` returns, and each is in the ledger until its revert is
verified.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from chaoskit._errors import ChaoskitError
from chaoskit._outputs import guarded
from chaoskit._signals import handling
from chaoskit._text import slug
from chaoskit.experiment.analysis import first_recovery
from chaoskit.experiment.dns_counters import DnsCounters
from chaoskit.experiment.events import (
    PhaseChanged,
    RunErrored,
    RunEvent,
    RunEvents,
    RunFinished,
    Sampled,
    StopConditionTripped,
)  # fmt: skip
from chaoskit.experiment.fault_schedule import FaultSchedule
from chaoskit.experiment.faults.load import surge_control, surges
from chaoskit.experiment.loadrun import LocustRun
from chaoskit.experiment.manual_steps import ManualStepFailed, confirm_manual
from chaoskit.experiment.model import Experiment, Probe
from chaoskit.experiment.probes import ProbeResult, run_probe
from chaoskit.experiment.progress import ProgressLines
from chaoskit.experiment.recorder import ClientEvents, LoadStreamListener, Recorder, Sample
from chaoskit.experiment.report_warmup import warm_report_imports
from chaoskit.experiment.run_journal import RunHistory, RunJournal
from chaoskit.experiment.run_metrics import run_metrics
from chaoskit.experiment.run_result import EXIT_CODES, FaultRecord, RunResult, exit_code_for
from chaoskit.experiment.run_setup import (
    load_balancer_wanted,
    resolver_profile,
    service_profiles,
    watched_record,
)
from chaoskit.experiment.stop_conditions import StopConditionWatch
from chaoskit.experiment.timeline import PlannedStep, plan
from chaoskit.lab import catalogue
from chaoskit.lab.backend import LabBackend
from chaoskit.lab.health import http_ok, wait_until
from chaoskit.resolver.control import UnboundControl

if TYPE_CHECKING:
    from chaoskit.automation.process import AutomationProcess

__all__ = ["EXIT_CODES", "ExperimentRun", "FaultRecord", "RunOptions", "RunResult"]

TICK_S = 0.02
SETTLE_TIMEOUT_S = 60.0
PROBE_URL_PATH = "/orders/chaoskit-probe"
LOCUST_START_TIMEOUT_S = 30.0


class Aborted(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class RunOptions:
    out_dir: Path = Path("reports")
    profile: str | None = None
    interactive: bool = False
    echo: Callable[[str], None] = print
    on_event: Callable[[RunEvent], None] | None = None
    """Called with every event of the run, after the run's own subscribers."""
    abort_when: Callable[[], str | None] | None = None
    """Polled as the run waits: a reason ends the run as interrupted (a game day's halt)."""
    recovery_timeout_s: float | None = None
    fresh_services: bool = True
    manual_poll: Callable[[], bool] | None = None
    """Polled during a manual step: True once someone confirmed it (a game day's console).
    Without it, an interactive run waits for Enter on stdin."""
    trigger: str = field(default_factory=lambda: os.environ.get("CHAOSKIT_TRIGGER", "manual"))
    """Who started the run, for history: manual, schedule:<job>, gameday:<plan>."""


class ExperimentRun:
    def __init__(
        self, experiment: Experiment, source: Path, lab: LabBackend, options: RunOptions
    ) -> None:
        self.experiment = experiment
        self.source = source
        self.lab = lab
        self.options = options
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.run_id = f"{stamp}-{slug(experiment.title)}"
        self.run_dir = options.out_dir / self.run_id
        self.t0 = time.monotonic()
        self.t0_wall = time.time()
        self.phase = "setup"
        self.steps: list[dict[str, Any]] = []
        self.marks: dict[str, float] = {}
        """When each step of the run's own machinery ended (the journal's ``timings``)."""
        self.method_started_t: float | None = None
        self.client_events = ClientEvents()
        self.recorder: Recorder | None = None
        self.automation: AutomationProcess | None = None
        self._counters: DnsCounters | None = None
        self._abort: Aborted | None = None
        self.echo = guarded(options.echo, self._output_closed)
        self.events = RunEvents(on_error=self.echo)
        self.journal = RunJournal(self, self.events, self.echo)
        RunHistory(self, self.events, self.echo)
        ProgressLines(self.events, self.echo)
        self.stop_conditions = StopConditionWatch(
            experiment.stop_conditions, self.events, lambda: self.phase
        )
        self.events.subscribe(self._on_tripped, StopConditionTripped)
        if options.on_event is not None:
            self.events.subscribe(guarded(options.on_event, self._output_closed))
        self.schedule = FaultSchedule(lab, self.run_id, self.events, self.t0, self.now)

    # ---- state ----------------------------------------------------------------------------
    def now(self) -> float:
        return time.monotonic() - self.t0

    @property
    def faults(self) -> list[FaultRecord]:
        return self.schedule.records

    @property
    def probes(self) -> list[ProbeResult]:
        return self.journal.probes

    def active_faults(self) -> list[FaultRecord]:
        return self.schedule.active()

    def latest_sample(self) -> Sample | None:
        samples = self.recorder.samples if self.recorder else []
        return samples[-1] if samples else None

    def watched_record(self) -> str:
        return watched_record(self.experiment, self.lab.config)

    # ---- waiting and aborts ---------------------------------------------------------------
    def request_abort(self, status: str, reason: str) -> None:
        """Stop the run from another thread: it reverts every fault and writes its report."""
        if self._abort is None:
            self._abort = Aborted(status, reason)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.request_abort("interrupted", f"interrupted by {signal.Signals(signum).name}")

    def _output_closed(self) -> None:
        self.request_abort("interrupted", "interrupted as its output was closed (the terminal "
                           "hung up or the reader of its pipe ended)")  # fmt: skip

    def _on_tripped(self, event: StopConditionTripped) -> None:
        self.request_abort("aborted", event.reason)

    def _abort_requested(self) -> bool:
        if self._abort is None and self.options.abort_when is not None:
            reason = self.options.abort_when()
            if reason:
                self.request_abort("interrupted", reason)
        return self._abort is not None

    def _check(self) -> None:
        if self._abort_requested():
            assert self._abort is not None
            raise self._abort

    def _sleep_until(self, t: float) -> None:
        """Wait until run time ``t``, reverting faults that fall due, watching for aborts."""
        while True:
            self._check()
            self.schedule.revert_due()
            remaining = t - self.now()
            if remaining <= 0:
                self.schedule.revert_due()
                return
            time.sleep(min(TICK_S, remaining))

    def _set_phase(self, phase: str) -> None:
        if phase != self.phase:
            previous, self.phase = self.phase, phase
            self.events.emit(PhaseChanged(self.now(), phase, previous))

    def _mark(self, moment: str) -> None:
        self.marks[moment] = round(self.now(), 3)

    # ---- the run ----------------------------------------------------------------------------
    def execute(self) -> RunResult:
        status, verdict = "completed", ""
        observing = _Observers()
        failure: Exception | None = None
        with handling(self._on_signal):
            try:
                self._prepare_lab(observing)
                self._observe(observing)
                self._steady_state_before()
                self._run_method(observing)
                verdict = self._recover_and_judge(observing)
            except Aborted as exc:
                status, verdict = exc.status, exc.reason
            except Exception as exc:  # goes on to the caller, once history knows of it
                failure = exc
                raise
            finally:
                self._set_phase("teardown")
                observing.during_stop.set()
                self.schedule.revert_all()
                self._stop_observing(observing)
                self._restore_load_balancer()
                if failure is not None:
                    code = failure.exit_code if isinstance(failure, ChaoskitError) else 1
                    self.events.emit(RunErrored(self.now(), _described(failure), code))
        held = status == "completed" and verdict == "hypothesis held"
        self._mark("torn_down")
        metrics = run_metrics(
            self.experiment, self.recorder.samples if self.recorder else [], self.faults,
            self.probes, self.client_events, self.t0_wall, self._recovery_timeout(),
        )  # fmt: skip
        result = RunResult(status, verdict, held, exit_code_for(status, held), self.run_dir,
                           metrics, self.experiment.title, list(self.faults))  # fmt: skip
        self.events.emit(RunFinished(self.now(), result))
        return result

    def _prepare_lab(self, observing: _Observers) -> None:
        if self.options.fresh_services:
            self.lab.stop_services()  # every run starts from the same state
            self._mark("services_stopped")
        profile = self.options.profile
        wanted = load_balancer_wanted(self.experiment, self.lab.state.lb_configured)
        self.lab.set_load_balancer(wanted)
        self._start_load(observing)  # held at its gate while the lab is made ready
        self.lab.up(
            profiles=service_profiles(self.experiment, self.lab.config, profile),
            resolver=resolver_profile(self.experiment, profile),
        )
        self._mark("lab_up")
        if self.options.fresh_services:
            self._await_settled()
            self._mark("services_settled")
        self._check()
        self._mark("lab_checked")
        self._start_automation()

    def _restore_load_balancer(self) -> None:
        """A run that asked for another load balancer than the lab file's leaves the lab
        file's (a controller killed first leaves it to the next run)."""
        try:
            self.lab.set_load_balancer(self.lab.state.lb_configured)
        except ChaoskitError as exc:
            print(f"chaoskit: could not put the load balancer back as configured: {exc}",
                  file=sys.stderr)  # fmt: skip

    def _observe(self, observing: _Observers) -> None:
        """The recorder, and with a load section Locust and the stream of its results."""
        exp, config = self.experiment, self.lab.config
        has_status = "status" in catalogue.sample_services(config)
        self.recorder = Recorder(
            hz=exp.sample_hz, slo=exp.steady_state.slo,
            dns_server=(config.dns.host, config.dns.port), watched_record=self.watched_record(),
            service_urls=catalogue.metrics_urls(config),
            # with load, Locust's stream is the client; without, a probe client is
            probe_url=None if exp.load else catalogue.probe_url(config, PROBE_URL_PATH),
            events=self.client_events,
            status_url=f"http://{config.services.status}/status" if has_status else None,
            phase=lambda: self.phase, active_faults=lambda: len(self.active_faults()),
            on_sample=lambda sample: self.events.emit(Sampled(sample)),
            t0=self.t0, **self._dns_tier(),
        )  # fmt: skip
        self.recorder.start()
        if exp.load is None or observing.locust is None or observing.listener is None:
            warm_report_imports()  # the reports need them at the end
            self._sleep_until(self.now() + 1.0)  # a second of samples before anything
            return
        observing.locust.release()
        self._mark("load_released")
        self._set_phase("warmup")
        self._await_first_results(observing.listener, observing.locust)
        self._mark("first_results")
        warm_report_imports()  # while the load warms up, not while Locust starts
        self._sleep_until(self.now() + exp.load.warmup)

    def _start_load(self, observing: _Observers) -> None:
        """With a load section: the stream of Locust's results, and Locust started, its
        users held until ``_observe`` lets them go."""
        exp, config = self.experiment, self.lab.config
        if exp.load is None:
            return
        observing.listener = LoadStreamListener(self.client_events)
        observing.listener.start()
        planned_s = max((p.end_s for p in plan(exp.method)), default=0.0)
        observing.locust = LocustRun(
            exp.load, exp.load.host or catalogue.load_host(config),
            observing.listener.address, planned_s + self._recovery_timeout() + 60,
            self.run_dir / "logs", self.source.parent,
            surge_control(self.lab.state_dir) if surges(exp) else None, self.lab.load_zygote(),
        )  # fmt: skip
        observing.locust.start()
        self._mark("locust_started")

    def _steady_state_before(self) -> None:
        self._set_phase("steady-state-before")
        failed = [r for r in self._run_probes("before") if not r.ok]
        if failed:
            which = "; ".join(f"{r.name} ({r.detail})" for r in failed)
            raise Aborted("failed", f"steady state not met before the method: {which}")

    def _run_method(self, observing: _Observers) -> None:
        self._set_phase("method")
        observing.during = threading.Thread(
            target=self._during_probes, args=(observing.during_stop,), daemon=True
        )
        observing.during.start()
        self.method_started_t = self.now()
        for planned in plan(self.experiment.method):
            self._sleep_until(self.method_started_t + planned.start_s)
            self._run_step(planned)
        while (due := self.schedule.next_due()) is not None:
            self._sleep_until(due)
        self.schedule.revert_all()

    def _recover_and_judge(self, observing: _Observers) -> str:
        self._set_phase("recovery")
        recovered = self._await_recovery()
        self._set_phase("steady-state-after")
        observing.during_stop.set()
        after_failed = [r for r in self._run_probes("after") if not r.ok]
        unverified = [f for f in self.faults if f.outcome == "revert_unverified"]
        problems = []
        if not recovered:
            problems.append(f"not recovered within {self._recovery_timeout():g}s")
        problems += [f"probe {r.name} failed after ({r.detail})" for r in after_failed]
        problems += [f"revert of {f.kind} on {f.target} not verified" for f in unverified]
        if not problems:
            return "hypothesis held"
        return "hypothesis not held: " + "; ".join(problems)

    def _stop_observing(self, observing: _Observers) -> None:
        if self.automation is not None:
            self.automation.stop()
        if observing.locust is not None:
            observing.locust.stop()
        if self.recorder is not None:
            self.recorder.stop()
        if self._counters is not None:
            self._counters.close()
        if observing.listener is not None:
            observing.listener.stop()
        if observing.during is not None:
            observing.during.join(5)

    # ---- steps ------------------------------------------------------------------------------
    def _run_step(self, planned: PlannedStep) -> None:
        step = planned.step
        started = self.now()
        outcome, detail = "done", ""
        try:
            if step.fault is not None:
                record = self.schedule.inject(planned)
                if step.at is None:  # in sequence: hold the fault before the next step
                    self._sleep_until(record.revert_due_t or self.now())
                    self.schedule.revert_due()
            elif step.wait is not None:
                self._sleep_until(self.now() + step.wait)
            elif step.probe is not None:
                result = self._probe(step.probe, "method")
                outcome, detail = ("passed" if result.ok else "failed"), result.detail
            elif step.manual is not None:
                outcome = confirm_manual(
                    step.manual, now=self.now, sleep_until=self._sleep_until,
                    echo=self.echo, interactive=self.options.interactive,
                    poll=self.options.manual_poll, unattended=self._unattended,
                )  # fmt: skip
            elif step.rollback is not None:
                self.schedule.revert_now([
                    r for r in self.active_faults()
                    if step.rollback == "all" or r.name == step.rollback
                ])  # fmt: skip
        except Aborted as exc:
            outcome, detail = "interrupted", exc.reason
            raise
        except ManualStepFailed as exc:
            outcome, detail = "error", str(exc)
            raise Aborted("failed", str(exc)) from exc
        except ChaoskitError as exc:
            outcome, detail = "error", str(exc)
            raise Aborted("failed", f"step {planned.index} ({planned.label}): {exc}") from exc
        finally:
            self.steps.append(
                {
                    "index": planned.index, "name": step.name, "action": step.action,
                    "label": planned.label, "planned_start_s": planned.start_s,
                    "started_t": round(started, 3), "ended_t": round(self.now(), 3),
                    "outcome": outcome, "detail": detail,
                }
            )  # fmt: skip

    def _probe(self, probe: Probe, phase: str) -> ProbeResult:
        result = run_probe(probe, self.lab.config, phase, self.now(), self.latest_sample)
        self.events.emit(result)
        return result

    def _run_probes(self, when: str) -> list[ProbeResult]:
        return [self._probe(p, when) for p in self.experiment.steady_state.probes if when in p.when]

    def _during_probes(self, stop: threading.Event) -> None:
        probes = [p for p in self.experiment.steady_state.probes if "during" in p.when]
        due = dict.fromkeys(range(len(probes)), 0.0)
        while not stop.wait(0.05):
            for i, probe in enumerate(probes):
                if self.now() >= due[i]:
                    self._probe(probe, self.phase)
                    due[i] = self.now() + probe.interval

    def _unattended(self, action: str) -> str:
        """What a person would have done, scripted: ``automation.repair``."""
        if action == "automation.repair" and self.automation is not None:
            repaired = self.automation.repair()
            self.echo(
                f"[{self.now():7.2f}s] automation repaired by script"
                + ("" if repaired else " (the record did not come back within 5 s)")
            )
            return "automated" if repaired else "automated_unverified"
        return "skipped"

    # ---- the lab's parts for a run ------------------------------------------------------------
    def _await_settled(self) -> None:
        """Give freshly started services the time to take their leases and reach their
        dependencies (deep health), so the steady state is checked on a settled stack; one
        that never settles is left to that check to report. (With --no-fresh the stack is
        checked as it is.)"""
        if "gateway" not in catalogue.sample_services(self.lab.config):
            return  # a team's services were healthy (their own check) when `up` returned
        gateway = self.lab.config.services.gateway
        settled = wait_until(
            lambda: self._abort_requested() or http_ok(gateway.host, gateway.port, "/health/deep"),
            SETTLE_TIMEOUT_S,
            interval_s=0.25,
        )
        if not settled:
            self.echo(
                f"[{self.now():7.2f}s] the stack did not settle within "
                f"{SETTLE_TIMEOUT_S:.0f}s (gateway deep health)"
            )

    def _start_automation(self) -> None:
        mode = self.experiment.stack.automation
        if mode == "off":
            return
        from chaoskit.automation.process import AutomationProcess

        planned_s = max((p.end_s for p in plan(self.experiment.method)), default=0.0)
        until = time.time() + planned_s + self._recovery_timeout() + 120
        self.automation = AutomationProcess(
            self.lab, mode, until, self.run_dir / "logs" / "automation.log"
        )
        self.automation.start()
        self.echo(f"[{self.now():7.2f}s] DNS automation running ({mode})")

    def _dns_tier(self) -> dict[str, Any]:
        """The recorder's view of the lab resolver, when the lab has one running."""
        config = self.lab.config
        if "resolver" not in self.lab.state.components:
            return {}
        control = UnboundControl(config.resolver_control.host, config.resolver_control.port)
        clients = self.lab.dns_clients()
        resolver_address = next(a for a, name in clients.items() if name == "resolver")
        via_resolver = [a.name for a in config.apps if a.system_resolver]
        self._counters = DnsCounters(
            control, self.lab.dns_admin(), resolver_address, clients, via_resolver
        )
        resolver = (config.resolver.host, config.resolver.port)
        return {"dns_counters": self._counters.read, "resolver": resolver}

    def _await_first_results(self, listener: LoadStreamListener, locust: LocustRun) -> None:
        """The warm-up counts from Locust's first results, not from its (slow) start."""
        deadline = self.now() + LOCUST_START_TIMEOUT_S
        log = self.run_dir / "logs"
        while listener.datagrams == 0:
            if not locust.running():
                said = locust.last_words()
                why = f": {said}" if said else ""
                raise Aborted("failed", f"Locust ended before it sent a result{why}; see {log}")
            if self.now() >= deadline:
                raise Aborted(
                    "failed",
                    f"Locust sent no results within {LOCUST_START_TIMEOUT_S:g}s; see {log}",
                )
            self._sleep_until(self.now() + 0.1)

    def _recovery_timeout(self) -> float:
        return self.options.recovery_timeout_s or self.experiment.recovery.timeout

    def _await_recovery(self) -> bool:
        assert self.recorder is not None
        last_revert = max((f.reverted_t or 0.0 for f in self.faults), default=self.now())
        deadline = self.now() + self._recovery_timeout()
        needed = self.experiment.recovery.consecutive_samples
        while self.now() < deadline:
            if first_recovery(self.recorder.samples, last_revert, needed) is not None:
                return True
            self._sleep_until(self.now() + 0.1)
        return False


@dataclass
class _Observers:
    """What watches the run while it goes, so teardown stops whatever got started."""

    locust: LocustRun | None = None
    listener: LoadStreamListener | None = None
    during: threading.Thread | None = None
    during_stop: threading.Event = field(default_factory=threading.Event)


def _described(error: Exception) -> str:
    """An error as the CLI prints it: the message of chaoskit's own, the type of any other."""
    return str(error) if isinstance(error, ChaoskitError) else f"{type(error).__name__}: {error}"
