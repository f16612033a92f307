"""A run as a list of things that happened, in time order, and the spans and instants the
charts mark: fault windows, and impact / detect / recover. Times are seconds from the
run's origin (the start of the method)."""

from __future__ import annotations

from dataclasses import dataclass

from chaoskit.report.rundata import RunData
from chaoskit.report.svg import Mark, Window

__all__ = ["Event", "fault_windows", "marks", "run_events"]

IMPACT, DETECT, RECOVER = "#dc2626", "#ca8a04", "#16a34a"


@dataclass(frozen=True)
class Event:
    t: float
    kind: str
    text: str
    outcome: str = ""
    """``ok``, ``bad`` or empty: how the page colours the row."""


def fault_windows(run: RunData, end: float | None = None) -> list[Window]:
    """Each injected fault from injection to revert (or to ``end`` if never reverted)."""
    last = end if end is not None else (run.timeline.t[-1] if run.timeline.t else 0.0)
    return [
        Window(
            f.injected_t - run.origin,
            (f.reverted_t if f.reverted_t is not None else last) - run.origin,
            f.label,
        )
        for f in run.journal.faults
        if f.injected_t is not None
    ]


def marks(run: RunData) -> list[Mark]:
    metrics = run.journal.metrics
    injected = [f.injected_t for f in run.journal.faults if f.injected_t is not None]
    reverted = [f.reverted_t for f in run.journal.faults if f.reverted_t is not None]
    if not injected:
        return []
    first = min(injected) - run.origin
    found: list[Mark] = []
    if metrics.get("time_to_impact_s") is not None:
        found.append(Mark(first + metrics["time_to_impact_s"], "impact", IMPACT))
    if metrics.get("time_to_detect_s") is not None:
        found.append(Mark(first + metrics["time_to_detect_s"], "detect", DETECT))
    if reverted and metrics.get("time_to_recover_from_revert_s") is not None:
        recovered = max(reverted) - run.origin + metrics["time_to_recover_from_revert_s"]
        found.append(Mark(recovered, "recover", RECOVER))
    return found


def _phase_events(run: RunData) -> list[Event]:
    events: list[Event] = []
    previous = None
    for t, phase in zip(run.timeline.t, run.timeline.phase, strict=True):
        if phase != previous:
            events.append(Event(t - run.origin, "phase", phase))
            previous = phase
    return events


def _step_events(run: RunData) -> list[Event]:
    events: list[Event] = []
    for step in run.journal.steps:
        if step.started_t is None:
            events.append(Event(step.planned_start_s, "step", f"{step.label}: {step.outcome}"))
            continue
        events.append(Event(step.started_t - run.origin, "step", step.label))
        if step.ended_t is not None and step.ended_t - step.started_t >= 0.5:
            detail = f" ({step.detail})" if step.detail else ""
            outcome = "bad" if step.outcome in ("failed", "aborted") else ""
            events.append(
                Event(step.ended_t - run.origin, "step", f"{step.label}: {step.outcome}{detail}",
                      outcome)
            )  # fmt: skip
    return events


def _fault_events(run: RunData) -> list[Event]:
    events: list[Event] = []
    for fault in run.journal.faults:
        if fault.injected_t is not None:
            events.append(Event(fault.injected_t - run.origin, "fault", f"injected {fault.label}"))
        if fault.reverted_t is not None:
            verified = "verified" if fault.verified else "NOT verified"
            how = f"({verified}{fault.overstayed})"
            ok = fault.verified and not fault.overstayed
            events.append(
                Event(fault.reverted_t - run.origin, "fault", f"reverted {fault.label} {how}",
                      "ok" if ok else "bad")
            )  # fmt: skip
        elif fault.error:
            events.append(Event(0.0, "fault", f"{fault.label}: {fault.error}", "bad"))
    return events


def _probe_events(run: RunData) -> list[Event]:
    """Before and after results, and each change of a probe's result during the method."""
    events: list[Event] = []
    last: dict[str, bool] = {}
    for probe in run.journal.probes:
        t = probe.t - run.origin
        outcome = "ok" if probe.ok else "bad"
        if probe.phase != "method":
            events.append(
                Event(t, "probe", f"{probe.name} ({probe.phase}): {probe.detail}", outcome)
            )
        elif last.get(probe.name) != probe.ok:
            state = "passing again" if probe.ok else "failing"
            events.append(Event(t, "probe", f"{probe.name} {state}: {probe.detail}", outcome))
        if probe.phase == "method":
            last[probe.name] = probe.ok
    return events


def run_events(run: RunData) -> list[Event]:
    events = _phase_events(run) + _step_events(run) + _fault_events(run) + _probe_events(run)
    events += [Event(m.t, "measure", m.label, "bad" if m.label != "recover" else "ok")
               for m in marks(run)]  # fmt: skip
    order = {"phase": 0, "fault": 1, "step": 2, "measure": 3, "probe": 4}
    return sorted(events, key=lambda e: (round(e.t, 3), order.get(e.kind, 9)))
