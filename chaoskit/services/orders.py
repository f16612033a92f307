"""orders: an HTTP order API over a DynamoDB table, reached by name through the lab DNS.

POST /orders {"item": "...", "quantity": N}, GET /orders/{id}, GET /orders?limit=N,
GET /health (the process), GET /health/deep (the process and its table), GET /metrics.
"""

from __future__ import annotations

import collections
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from chaoskit.services.base import Service, cancel_tasks, error_response, run_app
from chaoskit.services.regions import RegionFailover, Replicator
from chaoskit.services.resilience.downstream import DownstreamError

__all__ = ["OrdersService", "main"]

TABLE = "orders"
READ_ONLY_HOLD_S = 1.0


def _to_item(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": {"S": order["id"]},
        "item": {"S": order["item"]},
        "quantity": {"N": str(order["quantity"])},
        "created_at": {"N": repr(order["created_at"])},
        "region": {"S": order["region"]},
    }


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"]["S"],
        "item": item["item"]["S"],
        "quantity": int(item["quantity"]["N"]),
        "created_at": float(item["created_at"]["N"]),
        "region": item["region"]["S"],
    }


class OrdersService:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.settings = service.resilience
        self.failover = RegionFailover(service, TABLE)
        self.replicator = Replicator(service, TABLE)
        self._cache: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self._writes_failing_until = 0.0

    def app(self) -> web.Application:
        app = self.service.app()
        app.router.add_post("/orders", self.create)
        app.router.add_get("/orders", self.list)
        app.router.add_get("/orders/{id}", self.get)
        app.router.add_get("/health", self.health)
        app.router.add_get("/health/deep", self.deep_health)
        app.cleanup_ctx.append(lambda _app: self._lifecycle())
        return app

    async def _lifecycle(self) -> AsyncIterator[None]:
        regions = self.settings.multi_region
        # a global table: it exists in both regions whether or not this service fails over
        # itself, so a DNS failover from one region's endpoint to the other finds it
        for region in dict.fromkeys((regions.primary, regions.secondary)):
            await self.service.ensure_tables(region, [TABLE])
        tasks = [self.failover.start(), self.replicator.start()]
        yield
        await cancel_tasks(tasks)

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        region = self.failover.active
        dynamo = self.service.dynamo(region)
        dependency = self.service.dependency(f"dynamodb-{region}")
        return await dependency.call(lambda: dynamo.call(operation, TableName=TABLE, **params))

    def _remember(self, order: dict[str, Any]) -> None:
        if not self.settings.degrade.cached_reads:
            return
        self._cache[order["id"]] = order
        self._cache.move_to_end(order["id"])
        while len(self._cache) > self.settings.degrade.cache_size:
            self._cache.popitem(last=False)

    def _read_only(self) -> bool:
        if not self.settings.degrade.read_only:
            return False
        region = self.failover.active
        breaker = self.service.dependency(f"dynamodb-{region}").breaker
        return breaker.state == "open" or time.monotonic() < self._writes_failing_until

    async def create(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            order: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "item": str(body["item"]),
                "quantity": int(body.get("quantity", 1)),
                "created_at": time.time(),
                "region": self.failover.active,
            }
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"error": "bad_request", "detail": 'expected {"item": str, "quantity": int}'},
                status=400,
            )
        if self._read_only():
            self.service.metrics.degraded.labels("read_only").inc()
            return web.json_response(
                {"error": "read_only", "detail": "writes are paused while DynamoDB is failing"},
                status=503,
                headers={"Retry-After": "1"},
            )
        try:
            await self._call("put_item", Item=_to_item(order))
        except DownstreamError as exc:
            self._writes_failing_until = time.monotonic() + READ_ONLY_HOLD_S
            return error_response(exc)
        self._remember(order)
        if self.settings.multi_region.enabled:
            self.replicator.replicate(_to_item(order), order["region"], self.failover.regions)
        return web.json_response(order, status=201)

    async def get(self, request: web.Request) -> web.Response:
        order_id = request.match_info["id"]
        try:
            answer = await self._call("get_item", Key={"id": {"S": order_id}})
        except DownstreamError as exc:
            cached = self._cache.get(order_id)
            if cached is not None:
                self.service.metrics.degraded.labels("cached_read").inc()
                return web.json_response(cached, headers={"X-Chaoskit-Degraded": "cached"})
            return error_response(exc)
        if "Item" not in answer:
            return web.json_response({"error": "not_found", "id": order_id}, status=404)
        order = _from_item(answer["Item"])
        self._remember(order)
        return web.json_response(order)

    async def list(self, request: web.Request) -> web.Response:
        limit = max(1, min(100, int(request.query.get("limit", "20"))))
        try:
            answer = await self._call("scan", Limit=limit)
        except DownstreamError as exc:
            if self.settings.degrade.cached_reads:
                self.service.metrics.degraded.labels("cached_read").inc()
                recent = list(self._cache.values())[-limit:]
                return web.json_response(
                    {"orders": recent, "degraded": True}, headers={"X-Chaoskit-Degraded": "cached"}
                )
            return error_response(exc)
        return web.json_response({"orders": [_from_item(i) for i in answer.get("Items", [])]})

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "ok",
                "service": "orders",
                "profile": self.settings.profile,
                "active_region": self.failover.active,
                "failovers": self.failover.failovers,
            }
        )

    async def deep_health(self, _: web.Request) -> web.Response:
        try:
            await self._call("describe_table")
        except DownstreamError as exc:
            return web.json_response(
                {"status": "failing", "dependency": "dynamodb", "error": exc.kind}, status=503
            )
        return web.json_response({"status": "ok", "active_region": self.failover.active})


def main() -> None:
    service = Service.from_env("orders")
    endpoint = service.config.services.orders
    run_app(OrdersService(service).app(), endpoint.host, endpoint.port)
