"""What the charts plot, derived from a run's timeline: one ``ChartSpec`` per chart.

Counters become per-second rates over a one-second window, per-sample request counts
become rolling one-second throughput, and the DNS answer becomes a category per sample.
Nothing here knows about SVG; ``svg.py`` draws these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chaoskit.report.rundata import RunData, Timeline

__all__ = [
    "Band",
    "ChartSpec",
    "Series",
    "Threshold",
    "counter_rate",
    "dns_categories",
    "rolling_rate",
    "run_charts",
]

Reduce = Literal["mean", "max", "min"]

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f")
FAILURE_COLOURS = ("#dc2626", "#ea580c", "#b45309", "#be185d", "#7c2d12", "#9f1239")


@dataclass
class Series:
    name: str
    values: list[float | None]
    colour: str
    reduce: Reduce = "mean"
    dashed: bool = False
    t: list[float] | None = None
    """Its own time axis (overlaid runs); ``None``: the chart's."""


@dataclass
class Threshold:
    value: float
    label: str


@dataclass
class Band:
    """A categorical strip: one label per sample, each category with its colour."""

    labels: list[str]
    colours: dict[str, str]
    severity: dict[str, int]
    """Downsampling keeps the most severe label of a bucket."""
    t: list[float] | None = None


@dataclass
class ChartSpec:
    key: str
    title: str
    unit: str
    note: str
    series: list[Series] = field(default_factory=list)
    thresholds: list[Threshold] = field(default_factory=list)
    step: bool = False
    bands: list[tuple[str, Band]] = field(default_factory=list)
    """Categorical strips, one row each (a DNS chart); a chart has series or bands."""

    @property
    def has_data(self) -> bool:
        if self.bands:
            return any(any(band.labels) for _, band in self.bands)
        return any(v is not None for s in self.series for v in s.values)


def _window(timeline: Timeline, seconds: float = 1.0) -> int:
    return max(1, round(seconds / timeline.sample_period)) if len(timeline) > 1 else 1


def _window_sums(values: list[float], window: int) -> list[float]:
    """The sum of each value and the ``window - 1`` before it."""
    sums, running = [], 0.0
    for i, value in enumerate(values):
        running += value - (values[i - window] if i >= window else 0.0)
        sums.append(running)
    return sums


def _per_second(total: float, span: float) -> float | None:
    return round(total / span, 3) if span > 0 else None


def rolling_rate(counts: list[float], window: int, period: float) -> list[float | None]:
    """Per-second rate of per-sample counts, summed over the last ``window`` samples."""
    sums = _window_sums(counts, window)
    return [_per_second(total, min(i + 1, window) * period) for i, total in enumerate(sums)]


def counter_rate(t: list[float], values: list[float | None], window: int) -> list[float | None]:
    """Per-second rate of a cumulative counter over ``window`` samples; a drop (a restarted
    service) counts from zero rather than as a negative rate."""
    increments: list[float] = [0.0]
    previous = values[0] if values else None
    for value in values[1:]:
        if value is None or previous is None:
            increments.append(0.0)
        else:
            increments.append(value - previous if value >= previous else value)
        previous = value if value is not None else previous
    sums = _window_sums(increments, window)
    return [_per_second(total, t[i] - t[max(0, i - window)]) for i, total in enumerate(sums)]


DNS_COLOURS = {
    "expected": "#16a34a",
    "other addresses": "#ca8a04",
    "EMPTY": "#dc2626",
    "NXDOMAIN": "#9333ea",
    "SERVFAIL": "#be185d",
    "REFUSED": "#7c2d12",
    "TIMEOUT": "#4b5563",
    "ERROR": "#111827",
    "not asked": "#e5e7eb",
}


def _is_addresses(answer: str) -> bool:
    return bool(answer) and (answer[0].isdigit() or ":" in answer)


def dns_categories(answers: list[str]) -> Band:
    """``expected`` for the first answer seen, ``other addresses`` for different addresses,
    else the failure (EMPTY, NXDOMAIN, SERVFAIL, TIMEOUT...)."""
    baseline = next((a for a in answers if _is_addresses(a)), None)
    labels: list[str] = []
    for answer in answers:
        if not answer:
            labels.append("not asked")
        elif answer == baseline:
            labels.append("expected")
        elif _is_addresses(answer):
            labels.append("other addresses")
        else:
            labels.append(answer)
    colours = {label: DNS_COLOURS.get(label, "#6b7280") for label in dict.fromkeys(labels)}
    severity = {label: (0 if label in ("expected", "not asked") else 1) for label in colours}
    return Band(labels, colours, severity)


def _failure_kinds(timeline: Timeline) -> list[str]:
    totals: dict[str, int] = {}
    for failures in timeline.failures:
        for kind, count in failures.items():
            totals[kind] = totals.get(kind, 0) + count
    return sorted(totals, key=lambda k: (-totals[k], k))


def _services_with(timeline: Timeline, prefix: str) -> list[str]:
    return sorted(k.removeprefix(prefix) for k in timeline.services if k.startswith(prefix))


def succeeded_per_s(timeline: Timeline) -> list[float | None]:
    """Successful client requests per second over a 1 s window."""
    ok = [v or 0.0 for v in timeline.column("ok")]
    return rolling_rate(ok, _window(timeline), timeline.sample_period)


def error_rate_percent(timeline: Timeline) -> list[float | None]:
    """The windowed error rate in percent; a gap where the window saw no request."""
    rates = timeline.column("error_rate")
    counted = timeline.column("window_requests")
    return [
        None if r is None or not w else round(r * 100, 3)
        for r, w in zip(rates, counted, strict=True)
    ]


def retries_per_s(timeline: Timeline, key: str = "retries") -> list[float | None]:
    """A retry counter (``retries`` or ``retries_<service>``) as a per-second rate."""
    return counter_rate(timeline.t, timeline.column(key), _window(timeline))


def throughput_chart(timeline: Timeline) -> ChartSpec:
    window, period = _window(timeline), timeline.sample_period
    series = [Series("succeeded", succeeded_per_s(timeline), PALETTE[0])]
    kinds = _failure_kinds(timeline)
    shown, rest = kinds[:5], kinds[5:]
    for i, kind in enumerate(shown):
        counts = [float(f.get(kind, 0)) for f in timeline.failures]
        series.append(
            Series(f"failed: {kind}", rolling_rate(counts, window, period), FAILURE_COLOURS[i])
        )
    if rest:
        counts = [float(sum(f.get(k, 0) for k in rest)) for f in timeline.failures]
        series.append(
            Series("failed: other", rolling_rate(counts, window, period), FAILURE_COLOURS[5])
        )
    return ChartSpec(
        "throughput", "Client throughput and errors by kind", "req/s",
        "Client requests per second over a 1 s window: successes, and failures by kind.",
        series,
    )  # fmt: skip


def latency_chart(timeline: Timeline, p95_slo_ms: float | None) -> ChartSpec:
    series = [
        Series("p50", timeline.column("p50_ms"), PALETTE[2], "max"),
        Series("p95", timeline.column("p95_ms"), PALETTE[0], "max"),
        Series("p99", timeline.column("p99_ms"), PALETTE[3], "max"),
    ]
    thresholds = [Threshold(p95_slo_ms, f"SLO p95 < {p95_slo_ms:g} ms")] if p95_slo_ms else []
    return ChartSpec(
        "latency", "Client latency percentiles", "ms",
        "Latency percentiles of successful client requests over the SLO window (a gap: "
        "no request succeeded).",
        series, thresholds,
    )  # fmt: skip


def error_rate_chart(timeline: Timeline, error_rate_slo: float) -> ChartSpec:
    return ChartSpec(
        "error_rate", "Client error rate", "%",
        "Failed / all client requests over the SLO window, against the SLO.",
        [Series("error rate", error_rate_percent(timeline), PALETTE[1], "max")],
        [Threshold(error_rate_slo * 100, f"SLO < {error_rate_slo * 100:g} %")],
    )  # fmt: skip


def dns_chart(timeline: Timeline, record: str) -> ChartSpec:
    return ChartSpec(
        "dns", f"What DNS answered for {record}", "",
        "The lab DNS server's answer for the watched record at each sample.",
        bands=[("", dns_categories(timeline.dns_answer))],
    )  # fmt: skip


def retries_chart(timeline: Timeline) -> ChartSpec:
    services = _services_with(timeline, "retries_")
    keys = [f"retries_{s}" for s in services] or (
        ["retries"] if "retries" in timeline.services else []
    )
    series = [
        Series(
            key.removeprefix("retries_"), retries_per_s(timeline, key), PALETTE[i % len(PALETTE)]
        )
        for i, key in enumerate(keys)
    ]
    return ChartSpec(
        "retries", "Retries per service", "retries/s",
        "Downstream retries each service made, per second over a 1 s window.",
        series,
    )  # fmt: skip


def breakers_chart(timeline: Timeline) -> ChartSpec:
    services = _services_with(timeline, "breakers_open_")
    series = [
        Series(s, timeline.column(f"breakers_open_{s}"), PALETTE[i % len(PALETTE)], "max")
        for i, s in enumerate(services)
    ]
    return ChartSpec(
        "breakers", "Open circuit breakers per service", "open",
        "Circuit breakers in the open state in each service (none drawn: no breakers "
        "configured in this profile).",
        series, step=True,
    )  # fmt: skip


def queue_chart(timeline: Timeline) -> ChartSpec:
    series = [
        Series("queue depth", timeline.column("queue_depth"), PALETTE[4], "max"),
        Series("leases held", timeline.column("leases_held"), PALETTE[2], "min"),
    ]
    return ChartSpec(
        "queue", "Fleet queue depth and leases held", "count",
        "Work queued in fleet's lease queue, and hosts holding a valid lease.",
        series, step=True,
    )  # fmt: skip


def replication_chart(timeline: Timeline) -> ChartSpec:
    return ChartSpec(
        "replication", "Replication lag (us-east-1 → us-west-2)", "s",
        "Age of the oldest write orders has not yet replicated to the other region.",
        [Series("replication lag", timeline.column("replication_lag_s"), PALETTE[5], "max")],
    )  # fmt: skip


def watched_record(run: RunData) -> str:
    recorded = (run.journal.model_extra or {}).get("watched_record")
    if recorded:
        return str(recorded).rstrip(".")
    for step in run.journal.experiment.get("method", []):
        if str(step.get("fault") or "").startswith("dns.") and step.get("target"):
            return str(step["target"])
    return "dynamodb.us-east-1.lab.test"


def dns_queries_chart(timeline: Timeline) -> ChartSpec | None:
    """Queries per second at the lab resolver and at the lab authority (a retry storm, or
    a flushed cache, shows at one and not the other); none when no resolver was sampled."""
    tiers = [
        ("at the resolver", "resolver_queries"),
        ("at the authority", "authority_queries"),
        ("authority, from the resolver", "authority_from_resolver"),
    ]
    series = [
        Series(label, counter_rate(timeline.t, timeline.column(key), _window(timeline)),
               PALETTE[i % len(PALETTE)])
        for i, (label, key) in enumerate(tiers)
        if key in timeline.services
    ]  # fmt: skip
    if not series:
        return None
    return ChartSpec(
        "dns-queries", "DNS queries at the resolver and at the authority", "queries/s",
        "Every client's queries reach the resolver; only its cache misses reach the "
        "authority, beside the clients that ask the authority directly.",
        series,
    )  # fmt: skip


def load_balancer_chart(timeline: Timeline) -> ChartSpec | None:
    """The load balancer's targets: registered, passing their checks, in service, and the
    removals so far (each step up is one taken out); none without a load balancer."""
    if "lb_targets_registered" not in timeline.services:
        return None
    removals = timeline.column("lb_removals_total")
    first = next((v for v in removals if v is not None), 0.0)
    series = [
        Series("registered", timeline.column("lb_targets_registered"), PALETTE[0], "max"),
        Series("healthy", timeline.column("lb_targets_healthy"), PALETTE[2], "min"),
        Series("in service", timeline.column("lb_targets_in_service"), PALETTE[4], "min"),
        Series("removals so far", [None if v is None else v - first for v in removals],
               PALETTE[1], "max", dashed=True),
    ]  # fmt: skip
    return ChartSpec(
        "load-balancer", "Load balancer targets: registered, healthy, in service", "targets",
        "Targets the load balancer's checks pass, and those HAProxy sends traffic to; the "
        "dashed line counts the targets health checks took out since the run began.",
        series, step=True,
    )  # fmt: skip


def run_charts(run: RunData) -> list[ChartSpec]:
    slo = run.journal.experiment.get("steady_state", {}).get("slo", {})
    timeline = run.timeline
    return [
        throughput_chart(timeline),
        error_rate_chart(timeline, float(slo.get("error_rate_below", 0.01))),
        latency_chart(timeline, slo.get("p95_below_ms")),
        dns_chart(timeline, watched_record(run)),
        *[chart for chart in (dns_queries_chart(timeline),) if chart is not None],
        retries_chart(timeline),
        breakers_chart(timeline),
        queue_chart(timeline),
        replication_chart(timeline),
        *[chart for chart in (load_balancer_chart(timeline),) if chart is not None],
    ]
