"""A Locust plugin that streams request results to chaoskit's recorder.

Loaded beside any locustfile (``locust -f yours.py,chaoskit/load/stream.py``). Every 100 ms
each Locust process sends one UDP datagram to ``CHAOSKIT_STREAM`` (host:port) with the
requests that finished: ``{"ok": [[t, ms], ...], "fail": [[t, ms, kind], ...]}``. Without the
variable it does nothing.

With ``CHAOSKIT_LOAD_GATE`` (a file's path) set, Locust waits before it starts any user until
that file exists (at most ``GATE_TIMEOUT_S``): the controller starts Locust while the lab is
still being reset, so its imports and start-up are done when the load is let go.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from typing import Any

import gevent
from locust import events

from chaoskit.load import GATE_ENV

FLUSH_S = 0.1
MAX_DATAGRAM = 60_000
GATE_TIMEOUT_S = 300.0

_target = os.environ.get("CHAOSKIT_STREAM")
_ok: list[list[float]] = []
_fail: list[list[Any]] = []


def _kind(exception: BaseException | None, response: Any) -> str:
    status = getattr(response, "status_code", 0) or 0
    if status:
        return f"http_{status}"
    text = type(exception).__name__.lower() if exception else "error"
    return "timeout" if "timeout" in text else "connection"


@events.request.add_listener  # type: ignore[untyped-decorator]
def _on_request(
    request_type: str, name: str, response_time: float, exception: BaseException | None = None,
    response: Any = None, **_: Any,
) -> None:  # fmt: skip
    if _target is None:
        return
    now = time.time()
    if exception is None:
        _ok.append([now, round(response_time, 2)])
    else:
        _fail.append([now, round(response_time, 2), _kind(exception, response)])


def _flusher(address: tuple[str, int]) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while True:
        gevent.sleep(FLUSH_S)
        global _ok, _fail
        ok, fail, _ok, _fail = _ok, _fail, [], []
        while ok or fail:  # split so each datagram fits
            chunk = {"ok": ok[:2000], "fail": fail[:2000]}
            ok, fail = ok[2000:], fail[2000:]
            payload = json.dumps(chunk, separators=(",", ":")).encode()
            with contextlib.suppress(OSError):
                sock.sendto(payload[:MAX_DATAGRAM], address)


def _await_gate(gate: str) -> None:
    deadline = time.monotonic() + GATE_TIMEOUT_S
    while not os.path.exists(gate):
        if time.monotonic() > deadline:
            raise SystemExit(f"chaoskit: the load was not let go within {GATE_TIMEOUT_S:g}s")
        time.sleep(0.01)


@events.init.add_listener  # type: ignore[untyped-decorator]
def _on_init(environment: Any, **_: Any) -> None:
    if gate := os.environ.get(GATE_ENV):
        _await_gate(gate)
    if _target is None:
        return
    host, _sep, port = _target.rpartition(":")
    gevent.spawn(_flusher, (host, int(port)))
