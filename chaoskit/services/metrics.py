"""Prometheus metrics every service exposes on ``/metrics``; names are shared so one scrape
parser reads them all (the recorder computes retry amplification from these)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

__all__ = ["ServiceMetrics"]


class ServiceMetrics:
    """One registry per service process."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "chaoskit_requests",
            "Requests served, by route and outcome",
            ["route", "outcome"],
            registry=r,
        )
        self.downstream_calls = Counter(
            "chaoskit_downstream_calls",
            "Calls to a dependency, every attempt counted, by outcome",
            ["dependency", "outcome"],
            registry=r,
        )
        self.downstream_retries = Counter(
            "chaoskit_downstream_retries",
            "Retries sent to a dependency",
            ["dependency"],
            registry=r,
        )
        self.retry_budget_exhausted = Counter(
            "chaoskit_retry_budget_exhausted",
            "Retries not sent: budget spent",
            ["dependency"],
            registry=r,
        )
        self.breaker_state = Gauge(
            "chaoskit_breaker_state", "0 closed, 1 half-open, 2 open", ["dependency"], registry=r
        )
        self.breaker_rejections = Counter(
            "chaoskit_breaker_rejections",
            "Calls refused by an open breaker",
            ["dependency"],
            registry=r,
        )
        self.shed = Counter("chaoskit_shed", "Requests refused with 503 at the bound", registry=r)
        self.in_flight = Gauge("chaoskit_in_flight", "Requests being served", registry=r)
        self.dns_lookups = Counter(
            "chaoskit_dns_lookups",
            "Name lookups by result: hit (cache), miss (asked the authority), stale, failure",
            ["result"],
            registry=r,
        )
        self.degraded = Counter(
            "chaoskit_degraded_responses", "Answers served degraded, by how", ["mode"], registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
