"""lb: the control plane of the sample load balancer, in the image of NLB's health checks.

HAProxy is the data plane (``chaoskit.lb.haproxy``). This service checks each target
(the gateway and its replicas) every ``lb.health_check.interval_s``, decides with
``chaoskit.lb.policy`` which serve (thresholds, velocity control, fail-open), applies that
through HAProxy's runtime API, and keeps the LB's own DNS name pointing at the nodes whose
zone has a target in service (zonal DNS failover). Each round also repairs HAProxy's or
the DNS server's state when it differs (one of them restarted).

GET /targets, GET /health, GET /metrics, GET /settings.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from chaoskit.lab.config import Endpoint
from chaoskit.lb.haproxy import HaproxyError, HaproxyRuntime
from chaoskit.lb.metrics import LoadBalancerMetrics
from chaoskit.lb.policy import CapacityPolicy, Decision, TargetHealth
from chaoskit.services import DNS_TOKEN_ENV
from chaoskit.services.base import Service, cancel_tasks, run_app

__all__ = ["LoadBalancerService", "main"]

DNS_RESYNC_ROUNDS = 5


class LoadBalancerService:
    def __init__(self, service: Service, dns_token_file: Path | None = None) -> None:
        self.service = service
        config = service.config
        self.layout = config.lb
        self.settings = service.resilience.lb
        self.targets: dict[str, Endpoint] = {
            name: config.sample_endpoint(name) for name in self.layout.targets()
        }
        self.check_paths: dict[str, Endpoint] = dict(
            zip(self.layout.targets(), self.layout.checks, strict=True)
        )  # each target's checks through its own proxy: a fault can fail them alone
        self.health = {name: TargetHealth() for name in self.targets}
        self.policy = CapacityPolicy(tuple(self.targets), self.settings)
        self.runtime = HaproxyRuntime(self.layout.runtime)
        self.metrics = LoadBalancerMetrics(service.metrics.registry)
        self.metrics.registered.set(len(self.targets))
        self.dns_token_file = dns_token_file
        self.record_ttl = config.record_ttl
        self.dns_url = f"http://{config.dns_admin}"
        self.nodes_in_dns: list[str] | None = None
        self.rounds = 0
        self.last_round_at: float | None = None
        self.last_error = ""
        self._last_decision: Decision | None = None

    def app(self) -> web.Application:
        app = self.service.app()
        app.router.add_get("/targets", self.summary)
        app.router.add_get("/health", self.health_page)
        app.cleanup_ctx.append(lambda _app: self._lifecycle())
        return app

    async def _lifecycle(self) -> AsyncIterator[None]:
        task: asyncio.Task[None] = asyncio.create_task(self._control_loop())
        yield
        await cancel_tasks([task])

    async def _control_loop(self) -> None:
        check = self.settings.health_check
        while True:
            started = time.monotonic()
            try:
                await self._round()
                self.last_error = ""
            except (HaproxyError, OSError) as exc:  # the round is tried again next time
                self.last_error = str(exc)
            await asyncio.sleep(max(0.0, check.interval_s - (time.monotonic() - started)))

    async def _check(self, name: str) -> tuple[bool, str]:
        """One health check: one new connection, one request, no retry (as an NLB check;
        an HTTP client library retries a request whose connection closed)."""
        endpoint, check = self.check_paths[name], self.settings.health_check
        request = (
            f"GET {check.path} HTTP/1.1\r\nHost: {self.targets[name]}\r\n"
            "User-Agent: chaoskit-lb-health-check\r\nConnection: close\r\n\r\n"
        )
        try:
            async with asyncio.timeout(check.timeout_s):
                reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
                try:
                    writer.write(request.encode())
                    await writer.drain()
                    status_line = await reader.readline()
                finally:
                    writer.close()
        except TimeoutError:
            return False, f"no answer in {check.timeout_s:g}s"
        except OSError as exc:
            return False, f"{type(exc).__name__}: {exc}"
        parts = status_line.split()
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            return False, "closed with no answer" if not status_line else "not an HTTP answer"
        status = int(parts[1])
        return 200 <= status < 400, "" if status < 400 else f"HTTP {status}"

    async def _round(self) -> None:
        loop = asyncio.get_running_loop()
        if self.rounds == 0:  # start from what HAProxy does now: a restart drops no traffic
            serving = await loop.run_in_executor(self.service.executor, self.runtime.in_service)
            self.policy.in_service = serving & set(self.targets)
        results = await asyncio.gather(*(self._check(name) for name in self.targets))
        for name, (ok, error) in zip(self.targets, results, strict=True):
            self.health[name].record(ok, self.settings.health_check, error)
            self.metrics.checks.labels("pass" if ok else "fail").inc()
        now = time.monotonic()
        decision = self.policy.decide({n: h.state for n, h in self.health.items()}, now)
        await loop.run_in_executor(self.service.executor, self._apply, decision)
        self._count(decision, now)
        await loop.run_in_executor(self.service.executor, self._publish_nodes, decision)
        self.rounds += 1

    def _apply(self, decision: Decision) -> None:
        """HAProxy's servers as decided; whatever differs is set, so a restarted HAProxy
        is brought back to the decision too."""
        serving = self.runtime.in_service()
        for name in self.targets:
            wanted = name in decision.in_service
            if wanted != (name in serving):
                self.runtime.set_in_service(name, wanted)

    def _count(self, decision: Decision, now: float) -> None:
        m = self.metrics
        m.removals.inc(len(decision.removed))
        m.restorations.inc(len(decision.restored))
        m.held.inc(len(decision.held))
        m.healthy.set(sum(1 for h in self.health.values() if h.state == "healthy"))
        m.in_service.set(len(decision.in_service))
        m.capacity_removed.set(self.policy.capacity_removed())
        m.failed_open.set(1 if decision.failed_open else 0)
        if decision.failed_open and self.last_round_at is not None:
            m.failed_open_seconds.inc(now - self.last_round_at)
        self.last_round_at = now
        self._last_decision = decision

    def nodes_serving(self, decision: Decision) -> list[str]:
        """The nodes whose zone has a target in service."""
        zones = {self.layout.zone_of(i) for i, name in enumerate(self.targets)
                 if name in decision.in_service}  # fmt: skip
        return [node.host for i, node in enumerate(self.layout.nodes) if i in zones]

    def _publish_nodes(self, decision: Decision) -> None:
        """The LB's name: A records of the serving nodes (none: the name is removed)."""
        if self.dns_token_file is None:
            return
        from chaoskit._errors import DnsAdminError
        from chaoskit.dns.client import DnsAdminClient

        nodes = self.nodes_serving(decision)
        resync = self.rounds % DNS_RESYNC_ROUNDS == 0
        if nodes == self.nodes_in_dns and not resync:
            return
        try:
            with DnsAdminClient.from_token_file(
                self.dns_url, self.dns_token_file, actor="lb", timeout=2.0
            ) as admin:
                if resync and nodes == self.nodes_in_dns:
                    served = admin.records(self.layout.record)
                    values = sorted(v for r in served if r.get("type") == "A"
                                    for v in r.get("values", []))  # fmt: skip
                    if values == sorted(nodes):
                        return
                if nodes:
                    admin.set_record(self.layout.record, "A", nodes, ttl=self.record_ttl)
                else:
                    admin.delete_record(self.layout.record, "A")
        except DnsAdminError as exc:
            self.last_error = f"DNS: {exc}"
            return
        self.nodes_in_dns = nodes
        self.metrics.nodes_in_dns.set(len(nodes))

    def _summary(self) -> dict[str, Any]:
        decision = self._last_decision
        serving = decision.in_service if decision else frozenset()
        return {
            "service": "lb",
            "profile": self.service.resilience.profile,
            "rounds": self.rounds,
            "failed_open": bool(decision and decision.failed_open),
            "capacity_removed": round(self.policy.capacity_removed(), 3),
            "removal_allowance": self.policy.removal_allowance(time.monotonic()),
            "nodes_in_dns": self.nodes_in_dns,
            "last_error": self.last_error,
            "targets": {
                name: {
                    "address": str(endpoint),
                    "health": self.health[name].state,
                    "in_service": name in serving,
                    "passes": self.health[name].passes,
                    "failures": self.health[name].failures,
                    "last_error": self.health[name].last_error,
                }
                for name, endpoint in self.targets.items()
            },
        }

    async def summary(self, _: web.Request) -> web.Response:
        return web.json_response(self._summary())

    async def health_page(self, _: web.Request) -> web.Response:
        """200 once a round has reached HAProxy; 503 before or while it cannot."""
        ok = self.rounds > 0 and not self.last_error.startswith("HAProxy")
        return web.json_response(
            {"status": "ok" if ok else "starting", "last_error": self.last_error},
            status=200 if ok else 503,
        )


def main() -> None:
    service = Service.from_env("lb")
    token = os.environ.get(DNS_TOKEN_ENV)
    endpoint = service.config.lb.controller
    run_app(
        LoadBalancerService(service, Path(token) if token else None).app(),
        endpoint.host,
        endpoint.port,
    )
