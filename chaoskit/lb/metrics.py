"""The load balancer's Prometheus series (``lb_*``), on the control plane's ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["LoadBalancerMetrics"]


class LoadBalancerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.registered = Gauge("lb_targets_registered", "Targets registered", registry=r)
        self.healthy = Gauge("lb_targets_healthy", "Targets passing their checks", registry=r)
        self.in_service = Gauge("lb_targets_in_service", "Targets HAProxy sends to", registry=r)
        self.nodes_in_dns = Gauge("lb_nodes_in_dns", "LB nodes in the LB's DNS name", registry=r)
        self.capacity_removed = Gauge(
            "lb_capacity_removed", "Share of the targets out of service", registry=r
        )
        self.failed_open = Gauge("lb_failed_open", "1 while failing open", registry=r)
        self.failed_open_seconds = Counter(
            "lb_failed_open_seconds", "Time spent failing open", registry=r
        )
        self.removals = Counter("lb_removals", "Targets taken out of service", registry=r)
        self.restorations = Counter("lb_restorations", "Targets put back in service", registry=r)
        self.held = Counter(
            "lb_removals_held",
            "Removals the velocity control refused (per target and round)",
            registry=r,
        )
        self.checks = Counter(
            "lb_health_checks", "Health checks sent, by outcome", ["outcome"], registry=r
        )
