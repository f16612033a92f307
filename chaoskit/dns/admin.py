"""The DNS server's admin HTTP API: records, faults, events, reload. Token required.

GET    /health                      liveness (no token)
GET    /stats                       queries received, in total and per source address
GET    /zones                       zones served
POST   /zones/reload                re-read zone files; run-time records are kept
GET    /records[?name=N]            RRsets served now
PUT    /records                     {name, type, ttl, values[]}: replace one RRset
DELETE /records/{name}[/{type}]     delete an RRset, or every RRset of a name
GET    /faults                      faults in force, with time left
POST   /faults                      {kind, name, probability, duration_s, params, actor}
DELETE /faults/{id}                 lift one fault
DELETE /faults                      lift every fault
GET    /events[?since=SEQ]          the change log
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaoskit._errors import ZoneFileError, describe_validation_error
from chaoskit.dns.authority import DnsAuthority
from chaoskit.dns.faults import FaultSpec

__all__ = ["build_admin_app", "serve_admin"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ACTOR_HEADER = "X-Chaoskit-Actor"


class RecordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=10)
    ttl: int = 60
    values: list[str]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _describe(exc: ValidationError) -> str:
    return describe_validation_error(exc, whole="body")


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"body is not valid JSON: {exc}"}),
            content_type="application/json",
        ) from exc


def build_admin_app(
    authority: DnsAuthority, token: str, on_fault: Callable[[str, float], None]
) -> web.Application:
    """The admin app; ``on_fault(id, seconds)`` schedules the server-side expiry of a fault."""

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/health":
            return await handler(request)
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return _error(401, "missing or wrong token: send 'Authorization: Bearer <token>'")
        try:
            return await handler(request)
        except ValidationError as exc:
            return _error(400, _describe(exc))
        except ValueError as exc:
            return _error(400, str(exc))
        except ZoneFileError as exc:
            return _error(409, f"reload refused, zones unchanged: {exc}")

    def actor(request: web.Request) -> str:
        return unquote(request.headers.get(ACTOR_HEADER, "api"))[:200]  # see header_safe

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "faults": len(authority.faults)})

    async def stats(_: web.Request) -> web.Response:
        by_source = authority.responder.queries_by_source()
        return web.json_response({"queries": sum(by_source.values()), "by_source": by_source})

    async def zones(_: web.Request) -> web.Response:
        return web.json_response(
            [{"origin": z.origin, "file": str(z.source)} for z in authority.store.zones]
        )

    async def reload(request: web.Request) -> web.Response:
        return web.json_response({"zones": authority.reload_zones(actor(request))})

    async def list_records(request: web.Request) -> web.Response:
        return web.json_response(authority.records_json(request.query.get("name")))

    async def put_record(request: web.Request) -> web.Response:
        body = RecordBody.model_validate(await _json_body(request))
        done = authority.set_record(body.name, body.type, body.ttl, body.values, actor(request))
        return web.json_response(done)

    async def delete_record(request: web.Request) -> web.Response:
        name, rtype = request.match_info["name"], request.match_info.get("type")
        removed = authority.delete_record(name, rtype, actor(request))
        if not removed:
            return _error(404, f"no records for {name}" + (f" of type {rtype}" if rtype else ""))
        return web.json_response({"removed": removed})

    async def list_faults(_: web.Request) -> web.Response:
        return web.json_response([f.to_json() for f in authority.faults.all()])

    async def add_fault(request: web.Request) -> web.Response:
        body = await _json_body(request)
        if isinstance(body, dict) and ACTOR_HEADER in request.headers:
            body.setdefault("actor", actor(request))
        spec = FaultSpec.model_validate(body)
        fault = authority.add_fault(spec)
        on_fault(fault.id, spec.duration_s)
        return web.json_response(fault.to_json(), status=201)

    async def lift_fault(request: web.Request) -> web.Response:
        fault = authority.lift_fault(request.match_info["id"], actor(request))
        if fault is None:
            return _error(404, f"no fault {request.match_info['id']} (expired or never applied)")
        return web.json_response({"lifted": fault.id})

    async def lift_all(request: web.Request) -> web.Response:
        lifted = [authority.lift_fault(f.id, actor(request)) for f in authority.faults.all()]
        return web.json_response({"lifted": [f.id for f in lifted if f is not None]})

    async def events(request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            return _error(400, "since: expected an integer sequence number")
        return web.json_response(
            {"events": authority.events.since(since), "last_seq": authority.events.last_seq}
        )

    app = web.Application(middlewares=[require_token], client_max_size=256 * 1024)
    app.router.add_get("/health", health)
    app.router.add_get("/stats", stats)
    app.router.add_get("/zones", zones)
    app.router.add_post("/zones/reload", reload)
    app.router.add_get("/records", list_records)
    app.router.add_put("/records", put_record)
    app.router.add_delete("/records/{name}", delete_record)
    app.router.add_delete("/records/{name}/{type}", delete_record)
    app.router.add_get("/faults", list_faults)
    app.router.add_post("/faults", add_fault)
    app.router.add_delete("/faults", lift_all)
    app.router.add_delete("/faults/{id}", lift_fault)
    app.router.add_get("/events", events)
    return app


async def serve_admin(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
