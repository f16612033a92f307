"""status: a status page for the stack that keeps its data in the same DynamoDB.

A probe loop checks each service's deep health every second and stores the results in the
``status`` table; the page (GET /status) reads them back. With the ``naive`` profile, when
DynamoDB is unreachable the probes cannot write and the page cannot read, so it shows the
last page it managed to read — "operational" — exactly while the stack is down (lesson 6).
With ``resilient`` the page is built from the probes' own results held in memory, says how
old its stored data is, and names its own dependency when that fails.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from chaoskit.services.base import Service, cancel_tasks, run_app
from chaoskit.services.http_dependency import http_call
from chaoskit.services.resilience.downstream import DownstreamError

__all__ = ["StatusService", "main"]

TABLE = "status"
PROBE_INTERVAL_S = 1.0
PROBE_TIMEOUT_S = 0.8


def _overall(states: dict[str, str]) -> str:
    if not states:
        return "unknown"
    if all(s == "operational" for s in states.values()):
        return "operational"
    if all(s == "outage" for s in states.values()):
        return "outage"
    return "degraded"


class StatusService:
    def __init__(self, service: Service) -> None:
        self.service = service
        services = service.config.services
        self.targets = {
            "gateway": f"http://{services.gateway}/health",
            "orders": f"http://{services.orders}/health/deep",
            "fleet": f"http://{services.fleet}/health/deep",
        }
        self.region = service.resilience.multi_region.primary
        self.probed: dict[str, dict[str, Any]] = {}
        self._last_page: dict[str, Any] | None = None
        self._store_ok_at: float | None = None

    def app(self) -> web.Application:
        app = self.service.app()
        app.router.add_get("/status", self.page)
        app.router.add_get("/health", self.health)
        app.cleanup_ctx.append(lambda _app: self._lifecycle())
        return app

    async def _lifecycle(self) -> AsyncIterator[None]:
        await self.service.ensure_tables(self.region, [TABLE])
        timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            task = asyncio.create_task(self._probe_loop(session))
            yield
            await cancel_tasks([task])

    async def _probe_loop(self, session: aiohttp.ClientSession) -> None:
        while True:
            started = time.monotonic()
            results = await asyncio.gather(
                *(self._probe(session, u) for u in self.targets.values())
            )
            now = time.time()
            for name, state in zip(self.targets, results, strict=True):
                self.probed[name] = {"state": state, "checked_at": now}
            await self._store()
            await asyncio.sleep(max(0.0, PROBE_INTERVAL_S - (time.monotonic() - started)))

    async def _probe(self, session: aiohttp.ClientSession, url: str) -> str:
        try:
            status, _ = await http_call(session, "GET", url)
        except DownstreamError:
            return "outage"
        return "operational" if status < 400 else "outage"

    async def _store(self) -> None:
        dynamo = self.service.dynamo(self.region)
        dependency = self.service.dependency(f"dynamodb-{self.region}")
        for name, probe in self.probed.items():
            item = {
                "id": {"S": name},
                "state": {"S": probe["state"]},
                "checked_at": {"N": repr(probe["checked_at"])},
            }
            try:
                await dependency.call(
                    functools.partial(dynamo.call, "put_item", TableName=TABLE, Item=item)
                )
            except DownstreamError:
                return

    async def _read_store(self) -> dict[str, Any]:
        dynamo = self.service.dynamo(self.region)
        answer = await self.service.dependency(f"dynamodb-{self.region}").call(
            lambda: dynamo.call("scan", TableName=TABLE)
        )
        components = {
            item["id"]["S"]: {
                "state": item["state"]["S"],
                "checked_at": float(item["checked_at"]["N"]),
            }
            for item in answer.get("Items", [])
        }
        self._store_ok_at = time.time()
        states = {name: c["state"] for name, c in components.items()}
        return {"overall": _overall(states), "components": components, "source": "dynamodb"}

    async def page(self, _: web.Request) -> web.Response:
        if self.service.resilience.profile == "resilient":
            return web.json_response(await self._independent_page())
        try:
            self._last_page = await self._read_store()
        except DownstreamError:
            if self._last_page is None:
                return web.json_response({"overall": "unknown"}, status=503)
            return web.json_response(self._last_page)  # what it read last, as if current
        return web.json_response(self._last_page)

    async def _independent_page(self) -> dict[str, Any]:
        """From the probes' own memory; the store's reachability is reported, not relied on."""
        store: dict[str, Any]
        try:
            await self._read_store()
            store = {"state": "reachable"}
        except DownstreamError as exc:
            store = {"state": "unreachable", "error": exc.kind}
        if self._store_ok_at is not None:
            store["last_ok_s_ago"] = round(time.time() - self._store_ok_at, 1)
        states = {name: p["state"] for name, p in self.probed.items()}
        return {
            "overall": _overall(states),
            "components": self.probed,
            "source": "probes",
            "dependencies": {f"dynamodb-{self.region}": store},
        }

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": "status"})


def main() -> None:
    service = Service.from_env("status")
    endpoint = service.config.services.status
    run_app(StatusService(service).app(), endpoint.host, endpoint.port)
