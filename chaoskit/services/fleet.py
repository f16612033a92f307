"""fleet: a control plane in the image of EC2's DropletWorkflow Manager.

It holds a lease per simulated host in DynamoDB, renewed by heartbeats, and launches only
on hosts whose lease is valid (else 503 ``insufficient_capacity``, as EC2 said). See
``leases.py`` for how the lease work queue collapses under the naive profile.

How it starts (``CHAOSKIT_FLEET_START``): ``cold`` (the default) establishes every lease
through the work queue, as a DWFM starting from nothing does: with the default settings
half the fleet is leased after about 1.2 s. ``leased`` starts from the steady state the
incident began in, every host holding a fresh lease: fleet writes them in batches of 25
through its own DynamoDB path (the name, the resolver, Toxiproxy), so a fault on that path
fails them, and a host whose lease could not be written starts cold. The lab starts fleet
``leased`` whenever it starts it itself (``up``, a reset, a profile change), and ``cold``
when it brings back a fleet that died (a kill's revert).

POST /launch, GET /leases, GET /health, GET /health/deep, POST /admin/drain, GET /metrics.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from prometheus_client import Gauge

from chaoskit.services import FLEET_START_ENV
from chaoskit.services.base import Service, cancel_tasks, error_response, run_app
from chaoskit.services.leases import LeaseQueue, WorkItem, WorkKind, sleep_ms
from chaoskit.services.resilience.downstream import Dependency, DownstreamError
from chaoskit.services.resilience.settings import RetrySettings

__all__ = ["FleetService", "main"]

LEASES = "fleet-leases"
LAUNCHES = "fleet-launches"
TICK_S = 0.05
OUTAGE_AFTER_S = 1.0
BATCH = 25
"""DynamoDB's limit of items in one BatchWriteItem."""


class FleetService:
    def __init__(self, service: Service, start: str = "cold") -> None:
        self.service = service
        self.start = start
        self.settings = service.resilience
        self.fleet = service.config.fleet
        self.region = self.settings.multi_region.primary
        self.queue = LeaseQueue(self.fleet, self.settings)
        self.leases: dict[int, float] = {}  # host -> valid until (monotonic)
        self._rng = random.Random()
        # lease work is retried by the queue's callers, so its dependency never retries itself
        single_shot = self.settings.model_copy(update={"retries": RetrySettings(mode="none")})
        self.lease_calls = Dependency(
            f"dynamodb-{self.region}-leases", single_shot, service.metrics
        )
        self._failing_since: float | None = None
        self._ready = False
        self._register_metrics()

    def _register_metrics(self) -> None:
        registry = self.service.metrics.registry
        Gauge("fleet_hosts", "Simulated hosts", registry=registry).set(self.fleet.hosts)
        Gauge("fleet_leases_held", "Hosts with a valid lease", registry=registry).set_function(
            self.leases_held
        )
        Gauge("chaoskit_queue_depth", "Lease work items queued", registry=registry).set_function(
            lambda: len(self.queue)
        )
        Gauge(
            "chaoskit_queue_oldest_age_seconds", "Age of the oldest queued item", registry=registry
        ).set_function(self.queue.oldest_age_s)
        work = Gauge(
            "fleet_lease_work",
            "Lease work by outcome (cumulative)",
            ["outcome"],
            registry=registry,
        )
        for outcome in (
            "requests",
            "useful",
            "late",
            "failed",
            "expired",
            "overflow",
            "timeouts",
            "retries",
            "gave_up",
            "budget_exhausted",
        ):
            work.labels(outcome).set_function(
                functools.partial(self.queue.counts.__getitem__, outcome)
            )

    def leases_held(self) -> int:
        now = time.monotonic()
        return sum(1 for until in self.leases.values() if until > now)

    def app(self) -> web.Application:
        app = self.service.app()
        app.router.add_post("/launch", self.launch)
        app.router.add_get("/leases", self.lease_summary)
        app.router.add_get("/health", self.health)
        app.router.add_get("/health/deep", self.deep_health)
        app.router.add_post("/admin/drain", self.drain)
        app.cleanup_ctx.append(lambda _app: self._lifecycle())
        return app

    async def _lifecycle(self) -> AsyncIterator[None]:
        await self.service.ensure_tables(self.region, [LEASES, LAUNCHES])
        if self.start == "leased":
            await self._lease_every_host()
        tasks: list[asyncio.Task[None] | None] = [asyncio.create_task(self._heartbeats())]
        tasks += [asyncio.create_task(self._worker()) for _ in range(self.fleet.workers)]
        yield
        await cancel_tasks(tasks)

    def _lease_item(self, host: int) -> dict[str, Any]:
        return {
            "id": {"S": f"host-{host:05d}"},
            "owner": {"S": "fleet"},
            "expires_at": {"N": repr(time.time() + self.fleet.lease_ttl_s)},
        }

    async def _lease_every_host(self) -> None:
        """A fresh lease for every host, written in batches at once; a batch that fails, or
        an item DynamoDB leaves unprocessed, leaves its hosts to the cold start."""
        hosts = list(range(self.fleet.hosts))
        batches = [hosts[first : first + BATCH] for first in range(0, len(hosts), BATCH)]
        await asyncio.gather(*(self._lease_batch(batch) for batch in batches))

    async def _lease_batch(self, hosts: list[int]) -> None:
        dynamo = self.service.dynamo(self.region)
        writes = [{"PutRequest": {"Item": self._lease_item(host)}} for host in hosts]
        try:
            answer = await self.lease_calls.call(
                functools.partial(dynamo.call, "batch_write_item", RequestItems={LEASES: writes})
            )
        except DownstreamError:
            return
        unprocessed = {
            str(w["PutRequest"]["Item"]["id"]["S"])
            for w in answer.get("UnprocessedItems", {}).get(LEASES, [])
        }
        valid_until = time.monotonic() + self.fleet.lease_ttl_s
        for host in hosts:
            if f"host-{host:05d}" not in unprocessed:
                self.leases[host] = valid_until

    async def _heartbeats(self) -> None:
        """Each host heartbeats every ``heartbeat_s``, spread evenly over the interval."""
        loop = asyncio.get_running_loop()
        hosts, period = self.fleet.hosts, self.fleet.heartbeat_s
        next_due = {h: time.monotonic() + period * h / hosts for h in range(hosts)}
        cold = set(range(hosts))  # hosts that never held a lease since start-up
        while True:
            now = time.monotonic()
            cold -= self.leases.keys()
            for host, due in next_due.items():
                if due > now:
                    continue
                if host in cold and len(self.queue) >= 2 * self.fleet.workers:
                    continue  # cold start: pace first leases to the workers, in every profile
                kind: WorkKind = "renew" if self.leases.get(host, 0.0) > now else "establish"
                self.queue.submit(host, kind)
                next_due[host] = max(due + period, now)
            self.queue.expire_overdue(loop.call_later)
            await asyncio.sleep(TICK_S)

    async def _worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            item = await self.queue.take()
            if item.request.kind == "establish" and self.queue.ramp is not None:
                while (wait := self.queue.ramp.take()) > 0:
                    await asyncio.sleep(wait)
            ok = await self._do_work(item)
            outcome = self.queue.completed(item, ok, loop.call_later)
            if outcome == "useful":
                self.leases[item.request.host] = time.monotonic() + self.fleet.lease_ttl_s

    async def _do_work(self, item: WorkItem) -> bool:
        host_id = f"host-{item.request.host:05d}"
        dynamo = self.service.dynamo(self.region)
        establish = item.request.kind == "establish"
        await sleep_ms(self.fleet.establish_work_ms if establish else self.fleet.renew_work_ms)
        lease = self._lease_item(item.request.host)
        try:
            if establish:
                await self.lease_calls.call(
                    lambda: dynamo.call("get_item", TableName=LEASES, Key={"id": {"S": host_id}})
                )
            await self.lease_calls.call(
                lambda: dynamo.call("put_item", TableName=LEASES, Item=lease)
            )
        except DownstreamError:
            self._note_failure()
            return False
        self._note_success()
        return True

    def _note_failure(self) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            if self.queue.ramp is not None:
                self.queue.ramp.restart()

    def _note_success(self) -> None:
        if self._failing_since is None:
            return
        outage_s = time.monotonic() - self._failing_since
        self._failing_since = None
        if outage_s >= OUTAGE_AFTER_S and not self.settings.queue.coalesce:
            # DynamoDB is back: re-establish every lapsed lease at once, as DWFM did
            now = time.monotonic()
            for host in range(self.fleet.hosts):
                if self.leases.get(host, 0.0) <= now:
                    self.queue.submit(host, "establish")

    async def launch(self, _: web.Request) -> web.Response:
        now = time.monotonic()
        candidates = [host for host, until in self.leases.items() if until > now]
        if not candidates:
            return web.json_response(
                {"error": "insufficient_capacity", "detail": "no host holds a valid lease"},
                status=503,
            )
        host = self._rng.choice(candidates)
        launch: dict[str, Any] = {
            "id": {"S": f"i-{self._rng.getrandbits(48):012x}"},
            "host": {"S": f"host-{host:05d}"},
            "launched_at": {"N": repr(time.time())},
        }
        dynamo = self.service.dynamo(self.region)
        try:
            await self.service.dependency(f"dynamodb-{self.region}").call(
                lambda: dynamo.call("put_item", TableName=LAUNCHES, Item=launch)
            )
        except DownstreamError as exc:
            return error_response(exc)
        return web.json_response(
            {"instance": launch["id"]["S"], "host": launch["host"]["S"]}, status=201
        )

    def _summary(self) -> dict[str, Any]:
        return {
            "service": "fleet",
            "profile": self.settings.profile,
            "hosts": self.fleet.hosts,
            "leases_held": self.leases_held(),
            "queue_depth": len(self.queue),
            "queue_oldest_age_s": round(self.queue.oldest_age_s(), 3),
            "work": dict(self.queue.counts),
        }

    async def lease_summary(self, _: web.Request) -> web.Response:
        return web.json_response(self._summary())

    async def health(self, _: web.Request) -> web.Response:
        """503 ``starting`` until half the fleet first holds leases; then 200 (the process)."""
        summary = self._summary()
        if not self._ready and summary["leases_held"] * 2 >= self.fleet.hosts:
            self._ready = True
        if not self._ready:
            return web.json_response({"status": "starting", **summary}, status=503)
        return web.json_response({"status": "ok", **summary})

    async def deep_health(self, _: web.Request) -> web.Response:
        summary = self._summary()
        healthy = summary["leases_held"] * 2 >= self.fleet.hosts
        status = "ok" if healthy else "insufficient_capacity"
        return web.json_response({"status": status, **summary}, status=200 if healthy else 503)

    async def drain(self, _: web.Request) -> web.Response:
        """The operators' remedy in the incident: throw away the backlog."""
        return web.json_response({"drained": self.queue.drain()})


def main() -> None:
    service = Service.from_env("fleet")
    endpoint = service.config.services.fleet
    start = os.environ.get(FLEET_START_ENV, "cold")
    if start not in ("cold", "leased"):
        raise SystemExit(f"fleet: {FLEET_START_ENV} must be cold or leased, not {start!r}")
    run_app(FleetService(service, start).app(), endpoint.host, endpoint.port)
