"""The method resolved to a timeline: when each step starts and, for faults, ends.

A step with ``at`` starts at that offset from the start of the method; a fault with ``at``
runs alongside what follows. A step without ``at`` starts when the step before it has
finished; a fault without ``at`` holds for its duration before the next step starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaoskit.experiment.model import Step

__all__ = ["PlannedStep", "late_steps", "plan"]


@dataclass(frozen=True)
class PlannedStep:
    index: int
    step: Step
    start_s: float
    end_s: float
    """For a fault, when it is reverted; for a wait, when it ends; else its start."""

    @property
    def label(self) -> str:
        step = self.step
        if step.fault is not None:
            return f"{step.fault} on {step.target}"
        if step.wait is not None:
            return f"wait {step.wait:g}s"
        if step.probe is not None:
            return f"probe {step.probe.name}"
        if step.manual is not None:
            return f"manual: {step.manual.prompt}"
        return f"rollback {step.rollback}"


def plan(steps: list[Step]) -> list[PlannedStep]:
    """Start and end of every step, assuming probes take no time and manual steps their
    timeout (a person may answer sooner)."""
    planned = []
    cursor = 0.0
    for index, step in enumerate(steps):
        start = step.at if step.at is not None else cursor
        if step.fault is not None:
            end = start + (step.duration or 0.0)
            cursor = end if step.at is None else max(cursor, start)
        elif step.wait is not None:
            end = start + step.wait
            cursor = end
        elif step.manual is not None:
            end = start + step.manual.timeout
            cursor = end
        else:
            end = start
            cursor = start
        planned.append(PlannedStep(index, step, start, end))
    return planned


def late_steps(steps: list[Step]) -> list[tuple[int, float, float]]:
    """Steps whose ``at`` falls before the steps listed ahead of them let the method reach
    them, as (index, at, soonest start): steps run in the order listed, so each of these
    would start late, not at its ``at``. A manual step counts as answered at once."""
    late = []
    reached = 0.0
    for index, step in enumerate(steps):
        if step.at is not None and step.at < reached - 1e-6:  # 0.1 + 0.2 is not above 0.3
            late.append((index, step.at, reached))
        start = reached if step.at is None else max(step.at, reached)
        if step.fault is not None and step.at is None:
            reached = start + (step.duration or 0.0)
        elif step.wait is not None:
            reached = start + step.wait
        else:
            reached = start
    return late
