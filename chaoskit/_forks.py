"""What the lab's fork servers share (``chaoskit.services.forkserver`` for the sample
services, ``chaoskit.load.zygote`` for Locust): a process that has done its imports once,
asked over a UNIX socket to fork a child that becomes a program of its own.

The protocol: one JSON line asked, one answered, ``{"pid": N}`` or ``{"error": "..."}``. The
child is a new process in its own session, its log as stdout and stderr, with the
environment, working directory and ``argv`` of the request; the server ignores SIGCHLD, so
the kernel reaps its children.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["ForkError", "ask", "become", "listen", "open_log", "serve_requests"]

REQUEST_LIMIT = 1 << 20
CONNECT_TIMEOUT_S = 5.0


class ForkError(Exception):
    """The fork server is not there, or would not fork."""


def ask(socket_path: Path, request: dict[str, Any], who: str = "fork server") -> int:
    """The pid of the child the server at ``socket_path`` forked for ``request``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(CONNECT_TIMEOUT_S)
            client.connect(str(socket_path))
            client.sendall(json.dumps(request).encode() + b"\n")
            answer = read_line(client)
    except OSError as exc:
        raise ForkError(f"{who} at {socket_path}: {exc}") from None
    try:
        reply = json.loads(answer)
    except ValueError:
        raise ForkError(f"{who} at {socket_path}: answered {answer[:80]!r}") from None
    if "pid" not in reply:
        raise ForkError(f"{who} at {socket_path}: {reply.get('error', reply)}")
    return int(reply["pid"])


def read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > REQUEST_LIMIT:
            raise OSError("request too long")
    return data.strip()


def listen(socket_path: Path) -> socket.socket:
    """The server's socket at ``socket_path`` (any stale one replaced), for its owner only."""
    with contextlib.suppress(FileNotFoundError):
        socket_path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    os.chmod(socket_path, 0o600)
    listener.listen(16)
    print(json.dumps({"event": "listening", "socket": str(socket_path)}), flush=True)
    return listener


def serve_requests(
    socket_path: Path,
    listener: socket.socket,
    fork: Callable[[dict[str, Any], list[socket.socket]], dict[str, Any]],
) -> None:
    """Answer each request with what ``fork`` makes of it (given the sockets a child closes)
    until the process is told to end."""
    try:
        while True:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(CONNECT_TIMEOUT_S)
                try:
                    reply = fork(json.loads(read_line(conn)), [listener, conn])
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    reply = {"error": f"{type(exc).__name__}: {exc}"}
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps(reply).encode() + b"\n")
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()


def open_log(path: Path, what: str) -> int:
    """``path`` opened for appending, with a line that says what starts writing to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {what} (forked)\n".encode())
    sys.stdout.flush()
    sys.stderr.flush()
    return fd


def become(
    argv: list[str], env: dict[str, str], log_fd: int, cwd: str | None, main: Callable[[], object]
) -> NoReturn:
    """In the child: its own session, the log as stdout and stderr, ``env``, ``cwd`` and
    ``argv``; then ``main``, and exit with its status."""
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
        sys.argv = argv
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
