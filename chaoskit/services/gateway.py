"""gateway: the front door that load hits; forwards to orders and fleet.

GET/POST /orders, GET /orders/{id}, POST /launch, GET /health, GET /health/deep, GET /metrics.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from chaoskit.services import REPLICA_ENV
from chaoskit.services.base import Service, error_response, run_app
from chaoskit.services.http_dependency import UpstreamError, http_call
from chaoskit.services.resilience.downstream import DownstreamError

__all__ = ["GatewayService", "main"]

HEALTH_TIMEOUT_S = 1.0


class GatewayService:
    def __init__(self, service: Service) -> None:
        self.service = service
        services = service.config.services
        self.urls = {"orders": f"http://{services.orders}", "fleet": f"http://{services.fleet}"}
        self._session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = self.service.app()
        app.router.add_post("/orders", self.forward_to("orders"))
        app.router.add_get("/orders", self.forward_to("orders"))
        app.router.add_get("/orders/{id}", self.forward_to("orders"))
        app.router.add_post("/launch", self.forward_to("fleet"))
        app.router.add_get("/health", self.health)
        app.router.add_get("/health/deep", self.deep_health)
        app.cleanup_ctx.append(lambda _app: self._lifecycle())
        return app

    async def _lifecycle(self) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=256, limit_per_host=128)
        timeout = aiohttp.ClientTimeout(total=self.service.resilience.timeout_s)
        self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        yield
        await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "the app is not running"
        return self._session

    def forward_to(self, name: str):  # type: ignore[no-untyped-def]
        dependency = self.service.dependency(name)

        async def forward(request: web.Request) -> web.Response:
            body = await request.json() if request.can_read_body else None
            url = f"{self.urls[name]}{request.path_qs}"
            try:
                status, payload = await dependency.call(
                    lambda: http_call(self.session, request.method, url, body)
                )
            except UpstreamError as exc:
                return web.Response(
                    status=exc.status, body=exc.body, content_type="application/json"
                )
            except DownstreamError as exc:
                return error_response(exc, dependency=name)
            return web.Response(status=status, body=payload, content_type="application/json")

        return forward

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": self.service.name})

    async def deep_health(self, _: web.Request) -> web.Response:
        async def check(name: str) -> str:
            try:
                async with asyncio.timeout(HEALTH_TIMEOUT_S):
                    status, _body = await http_call(
                        self.session, "GET", f"{self.urls[name]}/health/deep"
                    )
            except (DownstreamError, TimeoutError):
                return "failing"
            return "ok" if status < 400 else "failing"

        results = dict(zip(self.urls, await asyncio.gather(*map(check, self.urls)), strict=True))
        healthy = all(state == "ok" for state in results.values())
        body = {"status": "ok" if healthy else "failing", "dependencies": results}
        return web.json_response(body, status=200 if healthy else 503)


def main() -> None:
    name = os.environ.get(REPLICA_ENV, "gateway")  # gateway-2, gateway-3: the LB's replicas
    service = Service.from_env(name)
    endpoint = service.config.sample_endpoint(name)
    run_app(GatewayService(service).app(), endpoint.host, endpoint.port)
