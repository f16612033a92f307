"""A sample-service fork server: one process that has imported every sample service (and
built a DynamoDB client once, so botocore's models are loaded), forking a fresh service on
request.

A new interpreter pays about 0.7 s per service to import aiohttp, boto3 and chaoskit before
it serves, four at once on two cores. A forked child starts from the imports alone: it is
still a new process, with nothing of the state of the service it replaces (no breaker, queue,
cache, lease or metric survives), its own session, its log as stdout and stderr, its own
environment and a reseeded ``random``. The server forks before any thread or event loop
exists, and the kernel reaps its children (SIGCHLD ignored).

The protocol: one JSON line on a UNIX socket, ``{"service", "env", "log", "cwd"}``; the
answer is ``{"pid": N}`` or ``{"error": "..."}``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import random
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

__all__ = ["ForkError", "fork_service", "serve"]

REQUEST_LIMIT = 1 << 20
CONNECT_TIMEOUT_S = 5.0


class ForkError(Exception):
    """The fork server is not there, or would not fork."""


def fork_service(
    socket_path: Path, service: str, env: dict[str, str], log: Path, cwd: str | None = None
) -> int:
    """The pid of a new ``service`` process forked by the server at ``socket_path``."""
    request = {"service": service, "env": env, "log": str(log), "cwd": cwd}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(CONNECT_TIMEOUT_S)
            client.connect(str(socket_path))
            client.sendall(json.dumps(request).encode() + b"\n")
            answer = _read_line(client)
    except OSError as exc:
        raise ForkError(f"fork server at {socket_path}: {exc}") from None
    try:
        reply = json.loads(answer)
    except ValueError:
        raise ForkError(f"fork server at {socket_path}: answered {answer[:80]!r}") from None
    if "pid" not in reply:
        raise ForkError(f"fork server at {socket_path}: {reply.get('error', reply)}")
    return int(reply["pid"])


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > REQUEST_LIMIT:
            raise OSError("request too long")
    return data.strip()


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
    with contextlib.suppress(FileNotFoundError):
        socket_path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    os.chmod(socket_path, 0o600)
    listener.listen(16)
    print(json.dumps({"event": "listening", "socket": str(socket_path)}), flush=True)
    try:
        while True:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(CONNECT_TIMEOUT_S)
                try:
                    reply = _fork(json.loads(_read_line(conn)), mains, listener, conn)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    reply = {"error": f"{type(exc).__name__}: {exc}"}
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps(reply).encode() + b"\n")
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()


def _fork(
    request: dict[str, Any], mains: dict[str, Any], listener: socket.socket, conn: socket.socket
) -> dict[str, Any]:
    service = request["service"]
    if service not in mains:
        return {"error": f"no sample service {service!r}; known: {', '.join(mains)}"}
    env = {str(k): str(v) for k, v in dict(request["env"]).items()}
    log = Path(request["log"])
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    header = f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {service} (forked)\n"
    os.write(fd, header.encode())
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the service; never returns
        listener.close()
        conn.close()
        _become(service, mains[service], env, fd, request.get("cwd"))
    os.close(fd)
    return {"pid": pid}


def _become(service: str, main: Any, env: dict[str, str], log_fd: int, cwd: str | None) -> None:
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(devnull)
        os.close(log_fd)
        if cwd:
            os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        random.seed()
        sys.argv = [sys.executable, "-m", "chaoskit.services", service]
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
