"""Running an experiment: lab, steady state, load, the timeline, revert, recovery, report.

Whatever happens (a stop condition, Ctrl-C, SIGTERM, an exception), every fault injected
is reverted before ``execute`` returns, and each is in the ledger until its revert is
verified.
"""

from __future__ import annotations

import heapq
import itertools
import os
import select
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
from chaoskit._signals import handling
from chaoskit._text import slug
from chaoskit.experiment.analysis import client_outage_s, compute_metrics, first_recovery
from chaoskit.experiment.dns_counters import DnsCounters
from chaoskit.experiment.dns_metrics import dns_tier_metrics
from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.injection import EXPIRY_GRACE_S, inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.experiment.loadrun import LocustRun
from chaoskit.experiment.model import Experiment, Probe, Step, StopCondition
from chaoskit.experiment.probes import ProbeResult, run_probe
from chaoskit.experiment.recorder import ClientEvents, LoadStreamListener, Recorder, Sample
from chaoskit.experiment.timeline import PlannedStep, plan
from chaoskit.lab import catalogue
from chaoskit.lab.health import http_ok, wait_until
from chaoskit.lab.local import LocalLab
from chaoskit.resolver.control import UnboundControl
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.services.resilience.settings import ServiceProfile

if TYPE_CHECKING:
    from chaoskit.automation.process import AutomationProcess
    from chaoskit.report import RunData

__all__ = ["EXIT_CODES", "ExperimentRun", "FaultRecord", "RunOptions", "RunResult"]

EXIT_CODES = {"held": 0, "not_held": 1, "aborted": 3, "interrupted": 3}
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
    on_tick: Callable[[ExperimentRun], None] | None = None
    recovery_timeout_s: float | None = None
    fresh_services: bool = True
    manual_poll: Callable[[], bool] | None = None
    """Polled during a manual step: True once someone confirmed it (a game day's console).
    Without it, an interactive run waits for Enter on stdin."""
    trigger: str = field(default_factory=lambda: os.environ.get("CHAOSKIT_TRIGGER", "manual"))
    """Who started the run, for history: manual, schedule:<job>, gameday:<plan>."""


@dataclass
class FaultRecord:
    step: int
    name: str | None
    kind: str
    target: str
    params: dict[str, Any]
    entry: LedgerEntry
    injected_t: float | None = None
    revert_due_t: float | None = None
    reverted_t: float | None = None
    verified: bool = False
    outcome: str = "pending"
    error: str | None = None

    def journal(self) -> dict[str, Any]:
        return {
            "step": self.step, "name": self.name, "kind": self.kind, "target": self.target,
            "params": self.params, "ledger_id": self.entry.id, "injected_t": self.injected_t,
            "revert_due_t": self.revert_due_t, "reverted_t": self.reverted_t,
            "verified": self.verified, "outcome": self.outcome, "error": self.error,
            "expires_at": self.entry.expires_at,
        }  # fmt: skip


@dataclass
class RunResult:
    status: str
    verdict: str
    held: bool
    exit_code: int
    run_dir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    faults: list[FaultRecord] = field(default_factory=list)
    """Each fault step: what it targeted, when it was in, how it ended."""


class ExperimentRun:
    def __init__(
        self, experiment: Experiment, source: Path, lab: LocalLab, options: RunOptions
    ) -> None:
        self.experiment = experiment
        self.source = source
        self.lab = lab
        self.options = options
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.run_id = f"{stamp}-{slug(experiment.title)}"
        self.run_dir = options.out_dir / self.run_id
        self.ledger = Ledger(lab.state_dir)
        self.automation: AutomationProcess | None = None
        self.phase = "setup"
        self.faults: list[FaultRecord] = []
        self.steps: list[dict[str, Any]] = []
        self.probes: list[ProbeResult] = []
        self.events = ClientEvents()
        self.recorder: Recorder | None = None
        self._counters: DnsCounters | None = None
        self.phase_log: list[tuple[str, float]] = [("setup", 0.0)]
        self.marks: dict[str, float] = {}
        """Each phase and the run second it began (the journal's ``phases``)."""
        self.t0 = time.monotonic()
        self.t0_wall = time.time()
        self._abort: Aborted | None = None
        self._reverts: list[tuple[float, int, FaultRecord]] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()
        self._breach_since: dict[str, float] = {}
        self.method_started_t: float | None = None

    # ---- time and aborts --------------------------------------------------------------
    def now(self) -> float:
        return time.monotonic() - self.t0

    def active_faults(self) -> list[FaultRecord]:
        return [f for f in self.faults if f.injected_t is not None and f.reverted_t is None]

    def latest_sample(self) -> Sample | None:
        samples = self.recorder.samples if self.recorder else []
        return samples[-1] if samples else None

    def _await_settled(self) -> None:
        """Give freshly started services the time to take their leases and reach their
        dependencies (deep health), so the steady state is checked on a settled stack; one
        that never settles is left to that check to report. (With --no-fresh the stack is
        checked as it is.)"""
        if "gateway" not in catalogue.sample_services(self.lab.config):
            return  # a team's services were healthy (their own check) when `up` returned
        gateway = self.lab.config.services.gateway
        settled = wait_until(
            lambda: self._abort is not None or http_ok(gateway.host, gateway.port, "/health/deep"),
            SETTLE_TIMEOUT_S,
            interval_s=0.25,
        )
        if not settled:
            self.options.echo(
                f"[{self.now():7.2f}s] the stack did not settle within "
                f"{SETTLE_TIMEOUT_S:.0f}s (gateway deep health)"
            )

    def _check(self) -> None:
        if self._abort is not None:
            raise self._abort

    def _sleep_until(self, t: float) -> None:
        """Wait until run time ``t``, reverting faults that fall due, watching for aborts."""
        while True:
            self._check()
            self._revert_due()
            if self.options.on_tick is not None:
                self.options.on_tick(self)
            remaining = t - self.now()
            if remaining <= 0:
                self._revert_due()
                return
            time.sleep(min(TICK_S, remaining))

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._abort is None:
            self._abort = Aborted("interrupted", f"interrupted by {signal.Signals(signum).name}")

    def request_abort(self, status: str, reason: str) -> None:
        """Stop the run from another thread: it reverts every fault and writes its report."""
        if self._abort is None:
            self._abort = Aborted(status, reason)

    # ---- faults -------------------------------------------------------------------------
    def _inject(self, planned: PlannedStep) -> FaultRecord:
        step = planned.step
        kind = REGISTRY[step.fault or ""]
        duration = step.duration or 0.0
        now_wall = time.time()
        entry = LedgerEntry(
            run=self.run_id, kind=kind.kind, target=step.target or "", params=step.params,
            probability=step.probability, duration_s=duration, written_at=now_wall,
            expires_at=now_wall + duration + EXPIRY_GRACE_S,
        )  # fmt: skip
        record = FaultRecord(planned.index, step.name, kind.kind, entry.target, step.params, entry)
        with self._lock:
            self.faults.append(record)
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
            heapq.heappush(self._reverts, (record.revert_due_t, next(self._seq), record))
        self.options.echo(f"[{record.injected_t:7.2f}s] injected {kind.kind} on {entry.target}")
        return record

    def _revert_due(self) -> None:
        with self._lock:
            while self._reverts and self._reverts[0][0] <= self.now():
                _, _, record = heapq.heappop(self._reverts)
                self._revert(record)

    def _revert(self, record: FaultRecord) -> None:
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
                self.options.echo(
                    f"[{record.reverted_t:7.2f}s] reverted {record.kind} on {record.target}"
                )
            else:
                record.outcome, record.error = "revert_unverified", outcome.error
                self.options.echo(
                    f"could not verify the revert of {record.kind} on {record.target} "
                    f"({outcome.error}); it stays in the ledger: run `chaoskit recover`"
                )

    def revert_all(self) -> None:
        with self._lock:
            for record in list(self.faults):
                if record.reverted_t is None:
                    self._revert(record)
            self._reverts.clear()

    # ---- stop conditions (recorder thread) ------------------------------------------------
    def _on_sample(self, sample: Sample) -> None:
        if self.phase not in ("method", "recovery") or self._abort is not None:
            return
        for condition in self.experiment.stop_conditions:
            value = _metric(sample, condition)
            breached = value is not None and (
                (condition.above is not None and value > condition.above)
                or (condition.below is not None and value < condition.below)
            )
            if not breached:
                self._breach_since.pop(condition.name, None)
                continue
            since = self._breach_since.setdefault(condition.name, sample.t)
            if sample.t - since >= condition.for_:
                bound = (
                    f"above {condition.above}"
                    if condition.above is not None
                    else f"below {condition.below}"
                )
                self._abort = Aborted(
                    "aborted",
                    f"stop condition {condition.name}: {condition.metric} {value:g} {bound} "
                    f"for {condition.for_:g}s",
                )

    # ---- steps --------------------------------------------------------------------------
    def _probe(self, probe: Probe, phase: str) -> ProbeResult:
        result = run_probe(probe, self.lab.config, phase, self.now(), self.latest_sample)
        with self._lock:
            self.probes.append(result)
        return result

    def _during_probes(self, stop: threading.Event) -> None:
        probes = [p for p in self.experiment.steady_state.probes if "during" in p.when]
        due = dict.fromkeys(range(len(probes)), 0.0)
        while not stop.wait(0.05):
            for i, probe in enumerate(probes):
                if self.now() >= due[i]:
                    self._probe(probe, self.phase)
                    due[i] = self.now() + probe.interval

    def _manual(self, step: Step) -> str:
        manual = step.manual
        assert manual is not None
        self.options.echo(f"MANUAL STEP: {manual.prompt}")
        if manual.runbook:
            self.options.echo(manual.runbook.rstrip())
        deadline = self.now() + manual.timeout
        poll = self.options.manual_poll
        if manual.unattended is not None and poll is None and not self.options.interactive:
            return self._unattended(manual.unattended)
        if poll is not None or self.options.interactive:
            how = "type done" if poll is not None else "press Enter"
            self.options.echo(f"{how} when done (timeout {manual.timeout:g}s)")
            while self.now() < deadline:
                self._sleep_until(self.now() + 0.1)
                if poll is not None:
                    if poll():
                        return "confirmed"
                    continue
                ready, _, _ = select.select([sys.stdin], [], [], 0)
                if ready:
                    sys.stdin.readline()
                    return "confirmed"
        else:
            self._sleep_until(deadline)
        if manual.unattended is not None:
            return self._unattended(manual.unattended)
        if manual.on_timeout == "fail":
            raise Aborted(
                "failed", f"manual step not confirmed within {manual.timeout:g}s: {manual.prompt}"
            )
        return "timed_out_continued"

    def watched_record(self) -> str:
        """The DNS name the recorder asks about: the first DNS fault's target, else the
        us-east-1 endpoint."""
        for step in self.experiment.method:
            kind = REGISTRY.get(step.fault or "")
            if kind is not None and kind.family == "dns" and kind.target_patterns and step.target:
                return step.target
        records = [r for r, _ in catalogue.lab_records(self.lab.config)]
        east = [r.record for r in self.lab.config.regions if r.region == "us-east-1"]
        return (east or records or [self.lab.config.zone])[0]

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
        self.options.echo(f"[{self.now():7.2f}s] DNS automation running ({mode})")

    def _unattended(self, action: str) -> str:
        """What a person would have done, scripted: ``automation.repair``."""
        if action == "automation.repair" and self.automation is not None:
            repaired = self.automation.repair()
            self.options.echo(
                f"[{self.now():7.2f}s] automation repaired by script"
                + ("" if repaired else " (the record did not come back within 5 s)")
            )
            return "automated" if repaired else "automated_unverified"
        return "skipped"

    def _run_step(self, planned: PlannedStep) -> None:
        step = planned.step
        started = self.now()
        outcome, detail = "done", ""
        try:
            if step.fault is not None:
                record = self._inject(planned)
                if step.at is None:  # in sequence: hold the fault before the next step
                    self._sleep_until(record.revert_due_t or self.now())
                    self._revert_due()
            elif step.wait is not None:
                self._sleep_until(self.now() + step.wait)
            elif step.probe is not None:
                result = self._probe(step.probe, "method")
                outcome, detail = ("passed" if result.ok else "failed"), result.detail
            elif step.manual is not None:
                outcome = self._manual(step)
            elif step.rollback is not None:
                for record in self.active_faults():
                    if step.rollback == "all" or record.name == step.rollback:
                        self._revert(record)
        except Aborted as exc:
            outcome, detail = "interrupted", exc.reason
            raise
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

    def _profiles(self) -> dict[str, ServiceProfile]:
        stack = self.experiment.stack
        default = self.options.profile or stack.profile
        profiles: dict[str, ServiceProfile] = {}
        for name in catalogue.sample_services(self.lab.config):
            choice = stack.services.get(name)
            if self.options.profile is not None or choice is None:
                profiles[name] = ServiceProfile(profile=default)  # type: ignore[arg-type]
            elif isinstance(choice, str):
                profiles[name] = ServiceProfile(profile=choice)
            else:
                profiles[name] = ServiceProfile(profile=choice.profile, overrides=choice.overrides)
        return profiles

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

    def _resolver(self) -> ResolverProfile | None:
        """The stack's resolver profile; unset, the run's profile."""
        choice = self.experiment.stack.resolver
        if choice is None:
            default = self.options.profile or self.experiment.stack.profile
            return ResolverProfile(profile=default)  # type: ignore[arg-type]
        if isinstance(choice, str):
            return ResolverProfile(profile=choice)
        return ResolverProfile(profile=choice.profile, overrides=choice.overrides)

    # ---- the run ------------------------------------------------------------------------
    def execute(self) -> RunResult:
        status, verdict = "completed", ""
        locust: LocustRun | None = None
        listener: LoadStreamListener | None = None
        during_stop = threading.Event()
        during_thread: threading.Thread | None = None
        exp = self.experiment
        with handling(self._on_signal):
            try:
                self._set_phase("setup")
                if self.options.fresh_services:
                    self.lab.stop_services()  # every run starts from the same state
                    self._mark("services_stopped")
                self.lab.up(profiles=self._profiles(), resolver=self._resolver())
                self._mark("lab_up")
                if self.options.fresh_services:
                    self._await_settled()
                    self._mark("services_settled")
                self._check()
                self._mark("lab_checked")
                self._start_automation()
                config = self.lab.config
                watched = self.watched_record()
                has_status = "status" in catalogue.sample_services(config)
                self.recorder = Recorder(
                    hz=exp.sample_hz, slo=exp.steady_state.slo,
                    dns_server=(config.dns.host, config.dns.port), watched_record=watched,
                    service_urls=catalogue.metrics_urls(config),
                    # with load, Locust's stream is the client; without, a probe client is
                    probe_url=None if exp.load else catalogue.probe_url(config, PROBE_URL_PATH),
                    events=self.events,
                    status_url=f"http://{config.services.status}/status" if has_status else None,
                    phase=lambda: self.phase,
                    active_faults=lambda: len(self.active_faults()), on_sample=self._on_sample,
                    t0=self.t0, **self._dns_tier(),
                )  # fmt: skip
                self.recorder.start()
                if exp.load is not None:
                    listener = LoadStreamListener(self.events)
                    listener.start()
                    planned_s = max((p.end_s for p in plan(exp.method)), default=0.0)
                    locust = LocustRun(
                        exp.load, exp.load.host or catalogue.load_host(config),
                        listener.address, planned_s + self._recovery_timeout() + 60,
                        self.run_dir / "logs", self.source.parent,
                    )  # fmt: skip
                    locust.start()
                    self._mark("locust_started")
                    self._set_phase("warmup")
                    self._await_first_results(listener, locust)
                    self._mark("first_results")
                    self._sleep_until(self.now() + exp.load.warmup)
                else:
                    self._sleep_until(self.now() + 1.0)  # a second of samples before anything
                self._set_phase("steady-state-before")
                failed = [r for r in self._run_probes("before") if not r.ok]
                if failed:
                    which = "; ".join(f"{r.name} ({r.detail})" for r in failed)
                    raise Aborted("failed", f"steady state not met before the method: {which}")
                self._set_phase("method")
                during_thread = threading.Thread(
                    target=self._during_probes, args=(during_stop,), daemon=True
                )
                during_thread.start()
                self.method_started_t = self.now()
                for planned in plan(exp.method):
                    self._sleep_until(self.method_started_t + planned.start_s)
                    self._run_step(planned)
                while self._reverts:
                    self._sleep_until(self._reverts[0][0])
                self.revert_all()
                self._set_phase("recovery")
                recovered = self._await_recovery()
                self._set_phase("steady-state-after")
                during_stop.set()
                after_failed = [r for r in self._run_probes("after") if not r.ok]
                unverified = [f for f in self.faults if f.outcome == "revert_unverified"]
                problems = []
                if not recovered:
                    problems.append(f"not recovered within {self._recovery_timeout():g}s")
                problems += [f"probe {r.name} failed after ({r.detail})" for r in after_failed]
                problems += [f"revert of {f.kind} on {f.target} not verified" for f in unverified]
                verdict = (
                    "hypothesis held"
                    if not problems
                    else "hypothesis not held: " + "; ".join(problems)
                )
            except Aborted as exc:
                status, verdict = exc.status, exc.reason
            finally:
                self._set_phase("teardown")
                during_stop.set()
                self.revert_all()
                if self.automation is not None:
                    self.automation.stop()
                if locust is not None:
                    locust.stop()
                if self.recorder is not None:
                    self.recorder.stop()
                if self._counters is not None:
                    self._counters.close()
                if listener is not None:
                    listener.stop()
                if during_thread is not None:
                    during_thread.join(5)
        held = status == "completed" and verdict == "hypothesis held"
        exit_code = 0 if held else (3 if status in ("aborted", "interrupted") else 1)
        self._mark("torn_down")
        metrics = self._metrics()
        self._write(status, verdict, metrics, exit_code)
        return RunResult(status, verdict, held, exit_code, self.run_dir, metrics,
                         self.experiment.title, list(self.faults))  # fmt: skip

    def _await_first_results(self, listener: LoadStreamListener, locust: LocustRun) -> None:
        """The warm-up counts from Locust's first results, not from its (slow) start."""
        deadline = self.now() + LOCUST_START_TIMEOUT_S
        while listener.datagrams == 0:
            if self.now() >= deadline or not locust.running():
                log = self.run_dir / "logs"
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

    def _run_probes(self, when: str) -> list[ProbeResult]:
        return [self._probe(p, when) for p in self.experiment.steady_state.probes if when in p.when]

    def _mark(self, moment: str) -> None:
        """When a step of the run's own machinery ended (the journal's ``timings``)."""
        self.marks[moment] = round(self.now(), 3)

    def _set_phase(self, phase: str) -> None:
        if phase != self.phase:
            self.phase = phase
            self.phase_log.append((phase, self.now()))
            self.options.echo(f"[{self.now():7.2f}s] phase: {phase}")

    def _metrics(self) -> dict[str, Any]:
        samples = self.recorder.samples if self.recorder else []
        injected = [f.injected_t for f in self.faults if f.injected_t is not None]
        reverted = [
            f.reverted_t
            for f in self.faults
            if f.reverted_t is not None and f.injected_t is not None
        ]
        metrics = compute_metrics(
            samples, injected, reverted, self.probes,
            self.experiment.recovery.consecutive_samples,
            self.experiment.steady_state.slo.availability_target,
        )  # fmt: skip
        if injected:
            dns_reverts = [
                f.reverted_t
                for f in self.faults
                if f.reverted_t is not None and f.kind.startswith("dns.")
            ]
            fault_end = max(reverted) if reverted else (samples[-1].t if samples else 0.0)
            metrics.update(dns_tier_metrics(
                samples, min(injected), fault_end, max(dns_reverts) if dns_reverts else None
            ))  # fmt: skip
        if injected and reverted:
            horizon = self.t0_wall + max(reverted) + self._recovery_timeout()
            metrics["client_outage_s"] = client_outage_s(
                self.events.all(), self.t0_wall + min(injected), min(horizon, time.time())
            )
        return metrics

    def _write(self, status: str, verdict: str, metrics: dict[str, Any], exit_code: int) -> None:
        from chaoskit.experiment.report_files import write_run_dir
        from chaoskit.report import load_run, render_run

        write_run_dir(self, status, verdict, metrics)
        run: RunData | None = None
        try:  # rendered from the run directory, exactly as `chaoskit report` would
            run = load_run(self.run_dir)
            render_run(run)
        except Exception as exc:  # a report that fails must not hide the run's result
            self.options.echo(f"report not written: {type(exc).__name__}: {exc}")
        try:
            if run is not None:
                self._record_history(run, exit_code)
        except Exception as exc:  # nor may history
            self.options.echo(f"history not recorded: {type(exc).__name__}: {exc}")

    def _record_history(self, run: RunData, exit_code: int) -> None:
        from chaoskit.schedule.history import RunRecord, record_run

        journal, metrics = run.journal, run.journal.metrics
        report = self.run_dir / "report.html"
        record_run(
            self.lab.state_dir,
            RunRecord(
                run_id=self.run_id, title=self.experiment.title, source=str(self.source),
                started_at=journal.started_at, status=journal.status, verdict=journal.verdict,
                held=journal.held, exit_code=exit_code, profile=journal.profile,
                trigger=self.options.trigger, run_dir=str(self.run_dir.resolve()),
                report=str(report.resolve()) if report.exists() else None,
                time_to_recover_s=metrics.get("time_to_recover_from_revert_s"),
                availability=metrics.get("availability_during_fault"), metrics=metrics,
            ),
        )  # fmt: skip


def _metric(sample: Sample, condition: StopCondition) -> float | None:
    if condition.metric == "error_rate":
        return sample.error_rate if sample.window_requests else None
    if condition.metric == "p95_ms":
        return sample.p95_ms
    return sample.rps
