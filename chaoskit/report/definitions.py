"""The recovery metrics a report headlines: label, unit, definition, and which way is better.

The definitions are the ones ``chaoskit.experiment.analysis`` computes; they are shown one
hover away in HTML and one line away in Markdown, and travel with the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["HEADLINE", "MetricDef", "format_value"]


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    unit: Literal["s", "ms", "rps", "ratio", "percent", "count", "x", "bool"]
    definition: str
    better: Literal["lower", "higher", "none"] = "lower"
    missing: str = "-"
    """What ``None`` means for this metric."""


HEADLINE: tuple[MetricDef, ...] = (
    MetricDef(
        "time_to_impact_s",
        "Time to impact",
        "s",
        "From the first fault injection to the first sample that broke the SLO "
        "(error rate or p95 over the SLO window).",
        missing="no impact",
    ),
    MetricDef(
        "time_to_detect_s",
        "Time to detect",
        "s",
        "From the first fault injection to the first failing probe.",
        missing="not detected",
    ),
    MetricDef(
        "time_to_recover_from_revert_s",
        "Time to recover",
        "s",
        "From the last fault revert to the first of N consecutive samples within the SLO "
        "(N is recovery.consecutive_samples).",
        missing="not recovered",
    ),
    MetricDef(
        "time_to_recover_from_injection_s",
        "Recovered after injection",
        "s",
        "From the first fault injection to recovery: how long the incident lasted.",
    ),
    MetricDef(
        "outage_s",
        "Outage",
        "s",
        "Total time of samples outside the SLO between the first injection and recovery.",
    ),
    MetricDef(
        "client_outage_s",
        "Client outage",
        "s",
        "From the first failed client request after injection to the first success after "
        "the last failure: the outage at request resolution.",
    ),
    MetricDef(
        "availability_during_fault",
        "Availability during fault",
        "percent",
        "Successful client requests / all client requests, from first injection to last revert.",
        "higher",
    ),
    MetricDef(
        "error_budget_used",
        "Error budget used",
        "ratio",
        "Failed requests / the failures the availability target allows over the whole run "
        "(1.0 = the whole budget).",
    ),
    MetricDef(
        "peak_burn_rate",
        "Peak burn rate",
        "x",
        "The highest windowed error rate / (1 - availability target): how many times "
        "faster than sustainable the budget burned at worst.",
    ),
    MetricDef(
        "retry_amplification",
        "Retry amplification",
        "x",
        "DynamoDB attempts made by orders and fleet while serving, per client request, "
        "during the fault (1.0 = no retries).",
    ),
    MetricDef(
        "backlog_peak",
        "Backlog peak",
        "count",
        "The most work queued in the services (fleet's lease queue) at any sample.",
    ),
    MetricDef(
        "backlog_drain_s",
        "Backlog drain",
        "s",
        "From the last revert until the queue is back to its pre-fault level (or 10).",
    ),
    MetricDef(
        "status_page_time_to_report_s",
        "Status page reports",
        "s",
        "From the first fault injection to the first sample in which the status page no "
        "longer said everything was operational.",
        missing="never reported",
    ),
    MetricDef(
        "status_page_misleading_s",
        "Status page misleading",
        "s",
        "Time the status page said everything was operational while clients saw the SLO "
        "broken, from the first injection to recovery.",
    ),
    MetricDef(
        "resolver_amplification",
        "Resolver amplification",
        "x",
        "Queries per second at the lab resolver from the first injection to the last revert "
        "/ the rate before the first injection (1.0 = the fault changed nothing); the "
        "recorder's own queries left out.",
        missing="no baseline",
    ),
    MetricDef(
        "authority_amplification",
        "Authority amplification",
        "x",
        "Queries per second at the lab authority during the fault / before it (none when "
        "fewer than 5 queries reached it before the fault: a warm cache in front of it).",
        missing="no baseline",
    ),
    MetricDef(
        "stale_answers_served",
        "Stale answers served",
        "count",
        "Expired answers the lab resolver served (serve-expired) from the first injection on.",
        "none",
        missing="no resolver",
    ),
    MetricDef(
        "negative_cache_lag_s",
        "Negative-cache lag",
        "s",
        "From the last revert of a DNS fault (the record restored at the authority) until "
        "the lab resolver answers the watched record with an address again.",
        missing="not measured",
    ),
    MetricDef(
        "capacity_removed_peak",
        "Capacity removed (peak)",
        "percent",
        "The largest share of the load balancer's targets out of service (taken out by its "
        "health checks) at any sample from the first injection to recovery.",
        missing="no load balancer",
    ),
    MetricDef(
        "time_failed_open_s",
        "Time failed open",
        "s",
        "How long the load balancer sent traffic to every target because too few passed "
        "their checks (fail-open), from the first injection to recovery.",
        "none",
        missing="no load balancer",
    ),
    MetricDef(
        "goodput_during_fault_rps",
        "Goodput during fault",
        "rps",
        "Successful client requests per second answered within the SLO's latency bound "
        "(steady_state.slo.p95_below_ms), from first injection to last revert: the work "
        "that was worth doing.",
        "higher",
    ),
    MetricDef(
        "p99_during_fault_ms",
        "p99 during fault",
        "ms",
        "The 99th percentile latency of the successful client requests from first injection "
        "to last revert.",
        missing="nothing served",
    ),
    MetricDef(
        "client_requests",
        "Client requests",
        "count",
        "Requests the load (or the probe client) made over the whole run.",
        "none",
    ),
    MetricDef(
        "client_failures",
        "Client failures",
        "count",
        "Client requests that failed over the whole run.",
    ),
)


def format_value(metric: MetricDef, value: Any) -> str:
    """A value as a person reads it: ``-`` for not measured, units attached."""
    if value is None:
        return metric.missing
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = float(value)
    if metric.unit == "s":
        return f"{number:.2f} s" if number < 100 else f"{number:.0f} s"
    if metric.unit == "percent":
        return f"{number * 100:.2f} %"
    if metric.unit == "ratio":
        return f"{number:.2f}"
    if metric.unit == "x":
        return f"{number:g}\N{MULTIPLICATION SIGN}"
    if metric.unit == "ms":
        return f"{number:,.0f} ms"
    if metric.unit == "rps":
        return f"{number:,.1f}/s"
    return f"{number:,.0f}"
