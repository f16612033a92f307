"""What every sample service shares: settings, metrics, resolver, DynamoDB, the HTTP app."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from chaoskit.lab.config import LabConfig
from chaoskit.services.dynamo import RegionalDynamo
from chaoskit.services.metrics import ServiceMetrics
from chaoskit.services.resilience.downstream import Dependency, DownstreamError
from chaoskit.services.resilience.resolver import StaleServingResolver
from chaoskit.services.resilience.settings import Resilience, resilience_from_env
from chaoskit.services.resilience.shedding import Handler, shedding_middleware

__all__ = ["Service", "cancel_tasks", "error_response", "lab_config_from_env", "run_app"]

ERROR_STATUS = {"timeout": 504, "breaker_open": 503, "client": 400}


def lab_config_from_env(environ: dict[str, str] | None = None) -> LabConfig:
    env = os.environ if environ is None else environ
    if raw := env.get("CHAOSKIT_LAB_CONFIG"):
        return LabConfig.model_validate_json(raw)
    if net := env.get("CHAOSKIT_LAB_NET"):  # in a compose stack: the addresses follow the net
        west = env.get("CHAOSKIT_LAB_WEST_NET")
        return LabConfig.in_containers(net, west) if west else LabConfig.in_containers(net)
    return LabConfig()


def error_response(error: DownstreamError, **extra: Any) -> web.Response:
    body = {"error": error.kind, "detail": error.detail, **extra}
    return web.json_response(body, status=ERROR_STATUS.get(error.kind, 503))


def _own_address(config: LabConfig, name: str) -> str | None:
    """The service's own loopback address, to send DNS queries from (None: the kernel's
    choice, as in a container, whose one address is its own anyway)."""
    try:
        host = config.sample_endpoint(name).host
        return host if ipaddress.ip_address(host).is_loopback and ":" not in host else None
    except (AttributeError, ValueError):
        return None


class Service:
    """A service process: its settings and the clients it builds from them."""

    def __init__(
        self,
        name: str,
        config: LabConfig,
        resilience: Resilience,
        threads: int = 32,
        system_resolver: bool = False,
    ) -> None:
        self.name = name
        self.config = config
        self.resilience = resilience
        self.metrics = ServiceMetrics(name)
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix=f"{name}-io")
        self.resolver = StaleServingResolver(
            config.dns.host,
            config.dns.port,
            resilience.dns,
            self.metrics,
            system_ttl_s=config.record_ttl if system_resolver else None,
            source=_own_address(config, name),
        )
        self._dynamos: dict[str, RegionalDynamo] = {}
        self._dependencies: dict[str, Dependency] = {}
        self.started_at = time.time()

    @classmethod
    def from_env(cls, name: str) -> Service:
        resilience = resilience_from_env()
        system = (
            os.environ.get("CHAOSKIT_RESOLVER", "lab") == "system"
            or resilience.dns.resolver == "system"
        )
        return cls(name, lab_config_from_env(), resilience, system_resolver=system)

    def dynamo(self, region: str) -> RegionalDynamo:
        if region not in self._dynamos:
            self._dynamos[region] = RegionalDynamo(
                self.config.region(region),
                self.resolver,
                self.executor,
                self.resilience.timeout_s,
            )
        return self._dynamos[region]

    async def ensure_tables(self, region: str, tables: list[str], within_s: float = 60.0) -> bool:
        """Create ``tables`` if missing, retrying while the lab is still coming up."""
        deadline = time.monotonic() + within_s
        pending = list(tables)
        while pending:
            try:
                await self.dynamo(region).ensure_table(pending[0])
                pending.pop(0)
            except DownstreamError as exc:
                if time.monotonic() >= deadline:
                    print(f"{self.name}: cannot create {pending} in {region}: {exc}", flush=True)
                    return False
                await asyncio.sleep(0.2)
        return True

    def dependency(self, name: str) -> Dependency:
        if name not in self._dependencies:
            self._dependencies[name] = Dependency(name, self.resilience, self.metrics)
        return self._dependencies[name]

    def app(self) -> web.Application:
        """The HTTP app with shedding, per-route outcome counts, /metrics and settings."""
        app = web.Application(
            middlewares=[
                shedding_middleware(self.resilience.max_concurrency, self.metrics),
                self._count_outcomes,
            ]
        )
        app.router.add_get("/metrics", self._metrics_page)
        app.router.add_get("/settings", self._settings_page)
        return app

    @web.middleware
    async def _count_outcomes(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self.metrics.requests.labels(route, _outcome(exc.status)).inc()
            raise
        if route != "/metrics":
            self.metrics.requests.labels(route, _outcome(response.status)).inc()
        return response

    async def _metrics_page(self, _: web.Request) -> web.Response:
        return web.Response(body=self.metrics.render(), content_type="text/plain")

    async def _settings_page(self, _: web.Request) -> web.Response:
        body = {
            "service": self.name,
            "resilience": self.resilience.model_dump(),
            "started_at": self.started_at,
        }
        return web.json_response(body)


async def cancel_tasks(tasks: list[asyncio.Task[None] | None]) -> None:
    """Cancel background tasks and wait for them to finish (a cancellation of the caller
    itself still ends the wait)."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    if running:
        await asyncio.wait(running)


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    return "client_error" if status < 500 else "error"


def run_app(
    app: web.Application,
    host: str,
    port: int,
    background: Callable[[], AsyncIterator[None]] | None = None,
) -> None:
    """Serve ``app`` until SIGTERM/SIGINT; ``background`` runs alongside (a cleanup context)."""
    if background is not None:
        app.cleanup_ctx.append(lambda _app: background())

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.25)
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True, backlog=1024)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(json.dumps({"event": "listening", "host": host, "port": port}), flush=True)
        await stop.wait()
        # at most a second for the cleanup, and no more for anything: a task that does not
        # end when cancelled, or a worker thread in a DynamoDB call until its timeout, must
        # not keep the process from ending (the loop's own teardown would wait for both)
        await asyncio.wait([asyncio.ensure_future(runner.cleanup())], timeout=1.0)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    try:
        import uvloop

        uvloop.run(serve())
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        asyncio.run(serve())
