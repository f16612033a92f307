"""Stop conditions: a subscriber to ``Sampled`` that fires ``StopConditionTripped`` once a
metric has stayed past its bound for the condition's ``for`` (only while the method or the
recovery runs)."""

from __future__ import annotations

from collections.abc import Callable

from chaoskit.experiment.events import RunEvents, Sampled, StopConditionTripped
from chaoskit.experiment.model import StopCondition
from chaoskit.experiment.recorder import Sample

__all__ = ["WATCHED_PHASES", "StopConditionWatch"]

WATCHED_PHASES = ("method", "recovery")


class StopConditionWatch:
    def __init__(
        self, conditions: list[StopCondition], events: RunEvents, phase: Callable[[], str]
    ) -> None:
        self.conditions = conditions
        self.events = events
        self.phase = phase
        self.tripped: StopConditionTripped | None = None
        self._breach_since: dict[str, float] = {}
        events.subscribe(self.on_sample, Sampled)

    def on_sample(self, event: Sampled) -> None:
        if self.tripped is not None or self.phase() not in WATCHED_PHASES:
            return
        sample = event.sample
        for condition in self.conditions:
            value = metric_value(sample, condition)
            breached = value is not None and (
                (condition.above is not None and value > condition.above)
                or (condition.below is not None and value < condition.below)
            )
            if value is None or not breached:
                self._breach_since.pop(condition.name, None)
                continue
            since = self._breach_since.setdefault(condition.name, sample.t)
            if sample.t - since >= condition.for_:
                bound = (
                    f"above {condition.above}"
                    if condition.above is not None
                    else f"below {condition.below}"
                )
                reason = (
                    f"stop condition {condition.name}: {condition.metric} {value:g} {bound} "
                    f"for {condition.for_:g}s"
                )
                self.tripped = StopConditionTripped(
                    sample.t, condition.name, condition.metric, value, reason
                )
                self.events.emit(self.tripped)
                return


def metric_value(sample: Sample, condition: StopCondition) -> float | None:
    if condition.metric == "error_rate":
        return sample.error_rate if sample.window_requests else None
    if condition.metric == "p95_ms":
        return sample.p95_ms
    return sample.rps
