"""A sample-service fork server: one process that has imported every sample service (and
built a DynamoDB client once, so botocore's models are loaded), forking a fresh service on
request.

A new interpreter pays about 0.7 s per service to import aiohttp, boto3 and chaoskit before
it serves, four at once on two cores. A forked child starts from the imports alone: it is
still a new process, with nothing of the state of the service it replaces (no breaker, queue,
cache, lease or metric survives), its own session, its log as stdout and stderr, its own
environment and a reseeded ``random``. The server forks before any thread or event loop
exists, and the kernel reaps its children (SIGCHLD ignored).

The protocol (``chaoskit._forks``): one JSON line on a UNIX socket, ``{"service", "env",
"log", "cwd"}``; the answer is ``{"pid": N}`` or ``{"error": "..."}``.
"""

from __future__ import annotations

import gc
import os
import random
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from chaoskit._forks import ForkError, ask, become, listen, open_log, serve_requests

__all__ = ["ForkError", "fork_service", "serve"]


def fork_service(
    socket_path: Path, service: str, env: dict[str, str], log: Path, cwd: str | None = None
) -> int:
    """The pid of a new ``service`` process forked by the server at ``socket_path``."""
    return ask(socket_path, {"service": service, "env": env, "log": str(log), "cwd": cwd})


def _warm() -> dict[str, Any]:
    """Import every service and load what their first request would."""
    from chaoskit.lab.clients import dynamodb_client
    from chaoskit.services import SERVICE_MAINS, fleet, gateway, lb, orders, status  # noqa: F401

    dynamodb_client("http://127.0.0.1:9", "us-east-1")  # botocore's models, into the cache
    return dict(SERVICE_MAINS)


def serve(socket_path: Path) -> None:
    mains = _warm()
    gc.collect()
    gc.freeze()  # what the children inherit is never traversed by their collector (no
    # full collection of the server's heap in every child, no copy-on-write of its pages)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the services
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = listen(socket_path)

    def fork(request: dict[str, Any], sockets: list[socket.socket]) -> dict[str, Any]:
        return _fork(request, mains, sockets)

    serve_requests(socket_path, listener, fork)


def _fork(
    request: dict[str, Any], mains: dict[str, Any], sockets: list[socket.socket]
) -> dict[str, Any]:
    service = request["service"]
    if service not in mains:
        return {"error": f"no sample service {service!r}; known: {', '.join(mains)}"}
    env = {str(k): str(v) for k, v in dict(request["env"]).items()}
    fd = open_log(Path(request["log"]), service)
    pid = os.fork()
    if pid == 0:  # the service; never returns
        try:
            for sock in sockets:
                sock.close()
            random.seed()
        finally:
            argv = [sys.executable, "-m", "chaoskit.services", service]
            become(argv, env, fd, request.get("cwd"), mains[service])
    os.close(fd)
    return {"pid": pid}


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
