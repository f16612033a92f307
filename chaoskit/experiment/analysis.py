"""Recovery metrics from the samples and the fault times (all times in run seconds).

- time to impact: first bad sample at or after the first injection;
- time to detect: first failing probe at or after the first injection;
- time to recover: to the first of ``N`` consecutive good samples after the last revert,
  measured from that revert and from the first injection;
- outage: total time of bad samples between the first injection and recovery;
- availability during the fault: successful client requests / all, from first injection
  to last revert;
- error budget used: failed requests / ((1 - availability target) x requests), whole run;
  peak burn rate: the highest window error rate / (1 - target);
- retry amplification: DynamoDB attempts made by orders and fleet while serving requests
  / client requests, during the fault (1.0 means no retries);
- backlog: the peak of queued work, and the time from the last revert until it is back
  to its pre-fault level;
- goodput during the fault: successful requests per second within the SLO's latency bound,
  and the p99 of successful requests, from first injection to last revert;
- stages (an experiment's ``stages``): how long each lasted for the clients and its outage.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chaoskit.experiment.probes import ProbeResult
from chaoskit.experiment.recorder import STATUS_PAGE_KEY, Sample

__all__ = [
    "Stage",
    "client_outage_s",
    "compute_metrics",
    "first_recovery",
    "goodput_metrics",
    "stage_times",
]


def first_recovery(samples: Sequence[Sample], after: float, consecutive: int) -> float | None:
    """Time of the first sample of the first run of ``consecutive`` good samples after ``after``."""
    run_start: float | None = None
    run = 0
    for sample in samples:
        if sample.t < after:
            continue
        if sample.good:
            run_start = sample.t if run == 0 else run_start
            run += 1
            if run >= consecutive:
                return run_start
        else:
            run = 0
    return None


def client_outage_s(
    events: Sequence[tuple[float, bool, float, str]], start_wall: float, end_wall: float
) -> float | None:
    """From the first failed request after ``start_wall`` to the first success after the last
    failure before ``end_wall``: the outage as clients lived it, at request resolution."""
    window = [e for e in events if e[0] >= start_wall]
    failures = [e[0] for e in window if not e[1] and e[0] <= end_wall]
    if not failures:
        return 0.0
    back = [e[0] for e in window if e[1] and e[0] > failures[-1]]
    return round(back[0] - failures[0], 3) if back else None


@dataclass(frozen=True)
class Stage:
    """One named stage of a run: the step that began it, and when that step's own action
    was over (a fault's revert, any other step's end), in run seconds."""

    name: str
    started_t: float
    settled_t: float


def stage_times(
    samples: Sequence[Sample], stages: Sequence[Stage], consecutive: int
) -> list[dict[str, Any]]:
    """How long each stage lasted for the clients: from its step to the first of
    ``consecutive`` good samples after the step's action was over, or, when no recovery
    came before it, to the next stage (or the last sample); and its bad-sample time."""
    period = (samples[-1].t - samples[0].t) / (len(samples) - 1) if len(samples) >= 2 else 0.1
    timed = []
    for i, stage in enumerate(stages):
        following = stages[i + 1].started_t if i + 1 < len(stages) else None
        recovered = first_recovery(samples, stage.settled_t, consecutive)
        if recovered is not None and following is not None and recovered > following:
            recovered = None
        last = samples[-1].t if samples else stage.started_t
        end = recovered if recovered is not None else (following if following is not None else last)
        bad = sum(1 for s in samples if stage.started_t <= s.t < end and not s.good)
        timed.append({
            "name": stage.name, "started_t": round(stage.started_t, 3),
            "recovered_t": round(recovered, 3) if recovered is not None else None,
            "took_s": round(max(0.0, end - stage.started_t), 3),
            "recovered": recovered is not None, "outage_s": round(bad * period, 3),
        })  # fmt: skip
    return timed


def goodput_metrics(
    events: Sequence[tuple[float, bool, float, str]],
    start_wall: float,
    end_wall: float,
    latency_bound_ms: float | None,
) -> dict[str, float | None]:
    """What the clients got done during the fault: successful requests per second answered
    within the SLO's latency bound (all successes without one), and the 99th percentile of
    the successful requests' latency (the nearest-rank percentile)."""
    window = end_wall - start_wall
    served = sorted(e[2] for e in events if start_wall <= e[0] <= end_wall and e[1])
    if window <= 0 or not served:
        return {"goodput_during_fault_rps": 0.0 if window > 0 else None,
                "p99_during_fault_ms": None}  # fmt: skip
    good = len(served) if latency_bound_ms is None else bisect_right(served, latency_bound_ms)
    rank = max(1, math.ceil(0.99 * len(served)))
    return {
        "goodput_during_fault_rps": round(good / window, 2),
        "p99_during_fault_ms": round(served[rank - 1], 1),
    }


def _delta(samples: Sequence[Sample], key: str, start: float, end: float) -> float | None:
    inside = [s.services[key] for s in samples if start <= s.t <= end and key in s.services]
    return inside[-1] - inside[0] if len(inside) >= 2 else None


def compute_metrics(
    samples: Sequence[Sample],
    injections: Sequence[float],
    reverts: Sequence[float],
    probes: Sequence[ProbeResult],
    consecutive: int,
    availability_target: float,
) -> dict[str, Any]:
    metrics: dict[str, Any] = {"samples": len(samples)}
    if len(samples) >= 2:
        metrics["sample_hz"] = round((len(samples) - 1) / (samples[-1].t - samples[0].t), 2)
    total = sum(s.requests for s in samples)
    failed = sum(s.requests - s.ok for s in samples)
    allowed = (1 - availability_target) * total
    metrics["client_requests"] = total
    metrics["client_failures"] = failed
    metrics["error_budget_used"] = round(failed / allowed, 3) if allowed else None
    peak_error = max((s.error_rate for s in samples), default=0.0)
    metrics["peak_burn_rate"] = round(peak_error / (1 - availability_target), 1)
    if not injections:
        return metrics
    first_injection, last_revert = min(injections), max(reverts) if reverts else None
    bad_after = [s.t for s in samples if s.t >= first_injection and not s.good]
    metrics["time_to_impact_s"] = round(bad_after[0] - first_injection, 3) if bad_after else None
    failing = [p.t for p in probes if p.t >= first_injection and not p.ok]
    metrics["time_to_detect_s"] = round(failing[0] - first_injection, 3) if failing else None
    recovered_at = (
        first_recovery(samples, last_revert, consecutive) if last_revert is not None else None
    )
    metrics["recovered"] = recovered_at is not None
    if not bad_after and recovered_at is not None:  # never impacted: nothing to recover from
        metrics["time_to_recover_from_revert_s"] = 0.0
        metrics["time_to_recover_from_injection_s"] = 0.0
    elif recovered_at is not None and last_revert is not None:
        metrics["time_to_recover_from_revert_s"] = round(max(0.0, recovered_at - last_revert), 3)
        metrics["time_to_recover_from_injection_s"] = round(recovered_at - first_injection, 3)
    else:
        metrics["time_to_recover_from_revert_s"] = None
        metrics["time_to_recover_from_injection_s"] = None
    end = recovered_at if recovered_at is not None else (samples[-1].t if samples else 0.0)
    period = 1.0 / metrics.get("sample_hz", 10.0)
    outage = sum(1 for s in samples if first_injection <= s.t < end and not s.good) * period
    metrics["outage_s"] = round(outage, 3)
    fault_end = last_revert if last_revert is not None else end
    during = [s for s in samples if first_injection <= s.t <= fault_end]
    requests_during = sum(s.requests for s in during)
    metrics["availability_during_fault"] = (
        round(sum(s.ok for s in during) / requests_during, 4) if requests_during else None
    )
    attempts = _delta(samples, "dynamodb_attempts", first_injection, fault_end)
    counted = sum(s.requests for s in during[1:])  # the requests the counter's delta covers
    metrics["retry_amplification"] = (
        round(attempts / counted, 2) if attempts is not None and counted else None
    )
    baseline = [s.services.get("queue_depth", 0.0) for s in samples if s.t < first_injection]
    depths = [s.services.get("queue_depth", 0.0) for s in samples]
    metrics["backlog_peak"] = max(depths, default=0.0)
    level = max(max(baseline, default=0.0), 10.0)
    drained = [
        s.t for s in samples if last_revert is not None and s.t >= last_revert
        and s.services.get("queue_depth", 0.0) <= level
    ]  # fmt: skip
    metrics["backlog_drain_s"] = (
        round(drained[0] - last_revert, 3) if drained and last_revert is not None else None
    )
    metrics.update(_status_page_metrics(samples, first_injection, end, period))
    metrics.update(_load_balancer_metrics(samples, first_injection, end))
    return metrics


def _load_balancer_metrics(
    samples: Sequence[Sample], first_injection: float, end: float
) -> dict[str, Any]:
    """How much capacity the load balancer's checks took out, and how long it failed open,
    from the first injection to recovery; none without a load balancer."""
    since = [s for s in samples if first_injection <= s.t <= end]
    removed = [
        s.services["lb_capacity_removed"] for s in since if "lb_capacity_removed" in s.services
    ]
    if not removed:
        return {"capacity_removed_peak": None, "time_failed_open_s": None}
    failed_open = _delta(samples, "lb_failed_open_seconds_total", first_injection, end)
    return {
        "capacity_removed_peak": round(max(removed), 3),
        "time_failed_open_s": round(failed_open, 3) if failed_open is not None else 0.0,
    }


def _status_page_metrics(
    samples: Sequence[Sample], first_injection: float, end: float, period: float
) -> dict[str, Any]:
    """How soon the status page stopped claiming all is well, and how long it claimed so
    while clients were failing (runs recorded without the page get neither)."""
    claims = [
        (s, s.services[STATUS_PAGE_KEY] >= 1.0)
        for s in samples
        if first_injection <= s.t and STATUS_PAGE_KEY in s.services
    ]
    if not claims:
        return {}
    reported = [s.t for s, operational in claims if not operational]
    misleading = sum(1 for s, operational in claims if s.t < end and operational and not s.good)
    return {
        "status_page_time_to_report_s": (
            round(reported[0] - first_injection, 3) if reported else None
        ),
        "status_page_misleading_s": round(misleading * period, 3),
    }
