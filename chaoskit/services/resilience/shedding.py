"""Load shedding: a bound on requests served at once; the rest get 503 straight away."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from chaoskit.services.metrics import ServiceMetrics

__all__ = ["Handler", "shedding_middleware"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
UNSHED_PATHS = frozenset({"/metrics", "/health"})


def shedding_middleware(limit: int | None, metrics: ServiceMetrics) -> Middleware:
    """Counts requests in flight and refuses past ``limit`` (None: never sheds)."""
    in_flight = 0

    @web.middleware
    async def shed(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight
        if request.path in UNSHED_PATHS:
            return await handler(request)
        if limit is not None and in_flight >= limit:
            metrics.shed.inc()
            metrics.requests.labels(_route(request), "shed").inc()
            return web.json_response(
                {"error": "overloaded", "limit": limit}, status=503, headers={"Retry-After": "1"}
            )
        in_flight += 1
        metrics.in_flight.set(in_flight)
        try:
            return await handler(request)
        finally:
            in_flight -= 1
            metrics.in_flight.set(in_flight)

    return shed


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path
