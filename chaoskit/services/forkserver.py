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
"log", "cwd", "resolv_conf"}``; the answer is ``{"pid": N}`` or ``{"error": "..."}``. With
``resolv_conf`` the child first enters a mount namespace of its own in which that file is
``/etc/resolv.conf`` (a service whose profile says ``dns.resolver: system``), as an exec'd
one does through ``unshare`` and ``mount``.
"""

from __future__ import annotations

import gc
import os
import random
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chaoskit._forks import ForkError, ask, become, listen, open_log, serve_requests
from chaoskit.lab.system_resolver import enter_mount_namespace

__all__ = ["ForkError", "fork_service", "serve"]


def fork_service(
    socket_path: Path,
    service: str,
    env: dict[str, str],
    log: Path,
    cwd: str | None = None,
    resolv_conf: Path | None = None,
) -> int:
    """The pid of a new ``service`` process forked by the server at ``socket_path``; with
    ``resolv_conf``, in a mount namespace where that file is ``/etc/resolv.conf``."""
    request = {"service": service, "env": env, "log": str(log), "cwd": cwd,
               "resolv_conf": None if resolv_conf is None else str(resolv_conf)}  # fmt: skip
    return ask(socket_path, request)


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
    main = mains[service]
    if request.get("resolv_conf") is not None:
        main = _with_resolv_conf(Path(request["resolv_conf"]), main)
    fd = open_log(Path(request["log"]), service)
    pid = os.fork()
    if pid == 0:  # the service; never returns
        try:
            for sock in sockets:
                sock.close()
            random.seed()
        finally:
            argv = [sys.executable, "-m", "chaoskit.services", service]
            become(argv, env, fd, request.get("cwd"), main)
    os.close(fd)
    return {"pid": pid}


def _with_resolv_conf(resolv_conf: Path, main: Callable[[], object]) -> Callable[[], object]:
    """``main``, run in a mount namespace where ``resolv_conf`` is ``/etc/resolv.conf``; a
    namespace that cannot be made ends the child with what failed, in its log."""

    def in_namespace() -> object:
        try:
            enter_mount_namespace(resolv_conf)
        except OSError as exc:
            print(f"the lab resolver as the system resolver: {exc.strerror}", file=sys.stderr)
            raise SystemExit(1) from None
        return main()

    return in_namespace


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
