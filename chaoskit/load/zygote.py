"""A Locust fork server: one process that has imported Locust (and gevent's patches with it),
forking each Locust process a run asks for.

A new ``python -m locust`` spends about 0.65 s of a core importing Locust before it reads its
locustfile; a run starts Locust while it resets the services, and on two cores those imports
outlast the reset. A forked child starts from the imports: it is still a new process running
``locust`` with the run's arguments, environment and working directory, in its own session,
its log as stdout and stderr, loading the run's locustfiles itself (the server imports none of
them, so no event listener is registered twice). It ends with the controller that asked for
it, as an exec'd Locust does (``die_with_parent``): it watches the controller's pidfd and
sends itself SIGTERM when the controller is gone, however it ended.

The protocol (``chaoskit._forks``): ``{"args", "env", "log", "cwd", "owner"}``; the answer
``{"pid": N}`` or ``{"error": "..."}``. The lab starts it once everything else is healthy
(``loadserver``), so its imports never compete with the lab's start.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from chaoskit._forks import ForkError, ask, become, listen, open_log, serve_requests

__all__ = ["ForkError", "fork_locust", "serve"]


def fork_locust(
    socket_path: Path, args: list[str], env: dict[str, str], log: Path, cwd: str | None = None
) -> int:
    """The pid of a new ``locust ARGS`` forked by the server at ``socket_path``; it ends
    when this process does."""
    request = {"args": args, "env": env, "log": str(log), "cwd": cwd, "owner": os.getpid()}
    return ask(socket_path, request, who="Locust fork server")


def _warm() -> Any:
    """Locust and what the shipped locustfiles import, none of the locustfiles themselves."""
    import locust.contrib.fasthttp  # the built-in locustfile's user
    import locust.main

    import chaoskit.load.control  # noqa: F401

    return locust.main.main


def serve(socket_path: Path) -> None:
    main = _warm()
    from gevent.os import fork_gevent

    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the Locust processes
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = listen(socket_path)

    def fork(request: dict[str, Any], sockets: list[socket.socket]) -> dict[str, Any]:
        args = [str(arg) for arg in request["args"]]
        env = {str(k): str(v) for k, v in dict(request["env"]).items()}
        owner = int(request["owner"])
        fd = open_log(Path(request["log"]), "locust")
        pid = fork_gevent()
        if pid == 0:  # Locust; never returns
            try:
                for sock in sockets:
                    sock.close()
            finally:
                become(["locust", *args], env, fd, request.get("cwd"), lambda: _run(owner, main))
        os.close(fd)
        return {"pid": pid}

    serve_requests(socket_path, listener, fork)


def _run(owner: int, main: Any) -> None:
    """Locust's ``main``, ended by SIGTERM once ``owner`` has ended (at once if it has)."""
    import gevent
    from gevent.socket import wait_read

    try:
        pidfd = os.pidfd_open(owner)
    except ProcessLookupError:
        raise SystemExit(f"chaoskit: the controller (pid {owner}) had ended") from None

    def watch() -> None:
        wait_read(pidfd)  # a pidfd reads ready when its process has ended
        os.kill(os.getpid(), signal.SIGTERM)

    gevent.spawn(watch)
    main()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
