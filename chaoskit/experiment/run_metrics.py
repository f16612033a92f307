"""A finished run's metrics: the recovery metrics of ``analysis``, the DNS tier's and the
clients' own outage, from what the run recorded."""

from __future__ import annotations

import time
from typing import Any

from chaoskit.experiment.analysis import (
    Stage,
    client_outage_s,
    compute_metrics,
    goodput_metrics,
    stage_times,
)
from chaoskit.experiment.dns_metrics import dns_tier_metrics
from chaoskit.experiment.model import Experiment
from chaoskit.experiment.probes import ProbeResult
from chaoskit.experiment.recorder import ClientEvents, Sample
from chaoskit.experiment.run_result import FaultRecord

__all__ = ["run_metrics", "run_stages"]


def run_metrics(
    experiment: Experiment,
    samples: list[Sample],
    faults: list[FaultRecord],
    probes: list[ProbeResult],
    client_events: ClientEvents,
    t0_wall: float,
    recovery_timeout_s: float,
) -> dict[str, Any]:
    injected = [f.injected_t for f in faults if f.injected_t is not None]
    reverted = [
        f.reverted_t for f in faults if f.reverted_t is not None and f.injected_t is not None
    ]
    metrics = compute_metrics(
        samples, injected, reverted, probes, experiment.recovery.consecutive_samples,
        experiment.steady_state.slo.availability_target,
    )  # fmt: skip
    if injected:
        dns_reverts = [
            f.reverted_t for f in faults if f.reverted_t is not None and f.kind.startswith("dns.")
        ]
        fault_end = max(reverted) if reverted else (samples[-1].t if samples else 0.0)
        metrics.update(dns_tier_metrics(
            samples, min(injected), fault_end, max(dns_reverts) if dns_reverts else None
        ))  # fmt: skip
    if injected and reverted:
        horizon = t0_wall + max(reverted) + recovery_timeout_s
        events = client_events.all()
        metrics["client_outage_s"] = client_outage_s(
            events, t0_wall + min(injected), min(horizon, time.time())
        )
        metrics.update(goodput_metrics(
            events, t0_wall + min(injected), t0_wall + max(reverted),
            experiment.steady_state.slo.p95_below_ms,
        ))  # fmt: skip
    return metrics


def run_stages(
    experiment: Experiment,
    steps: list[dict[str, Any]],
    faults: list[FaultRecord],
    samples: list[Sample],
) -> list[dict[str, Any]]:
    """The experiment's ``stages`` as the run went: each from its step's start, settled at
    its fault's revert (or the step's end); stages whose step never ran are left out."""
    ran = {s["name"]: s for s in steps if s.get("name") and s.get("started_t") is not None}
    reverted = {f.name: f.reverted_t for f in faults if f.name and f.reverted_t is not None}
    stages = [
        Stage(name, ran[name]["started_t"], reverted.get(name, ran[name]["ended_t"]))
        for name in experiment.stages
        if name in ran
    ]
    return stage_times(samples, stages, experiment.recovery.consecutive_samples)
