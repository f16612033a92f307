"""Locust started at its gate: no request before ``release()``, the load right after it,
and a Locust stopped while it waits leaves no process; exec'd, and forked from the lab's
Locust fork server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from chaoskit.experiment.loadrun import LocustRun
from chaoskit.experiment.model import LoadSpec
from chaoskit.experiment.recorder import ClientEvents, LoadStreamListener
from chaoskit.lab.health import wait_until
from tests.load.servers import running_loadserver


class _Counting(BaseHTTPRequestHandler):
    seen: ClassVar[list[float]] = []

    def do_GET(self) -> None:
        _Counting.seen.append(time.monotonic())
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[str]:
    _Counting.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def loadserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with running_loadserver(tmp_path_factory.mktemp("loadserver") / "loadserver.sock") as path:
        yield path


@pytest.fixture(params=["exec", "forked"])
def zygote(request: pytest.FixtureRequest) -> Path | None:
    """No fork server (each Locust exec'd), or one (each forked from it)."""
    return request.getfixturevalue("loadserver") if request.param == "forked" else None


def test_no_request_before_the_load_is_released(
    origin: str, tmp_path: Path, zygote: Path | None
) -> None:
    listener = LoadStreamListener(ClientEvents())
    listener.start()
    locust = LocustRun(LoadSpec(users=3, spawn_rate=10), origin, listener.address, 60,
                       tmp_path / "logs", tmp_path, zygote=zygote)  # fmt: skip
    try:
        locust.start()
        time.sleep(3.0)  # Locust's start-up is well over by now
        assert locust.running()
        assert _Counting.seen == [] and listener.datagrams == 0
        released = time.monotonic()
        locust.release()
        assert wait_until(lambda: len(_Counting.seen) >= 3, 10)
        assert _Counting.seen[0] - released < 2.0
        assert wait_until(lambda: listener.datagrams > 0, 5)
    finally:
        locust.stop()
        listener.stop()
    assert not locust.running()


def test_a_locust_stopped_at_its_gate_is_gone(
    origin: str, tmp_path: Path, zygote: Path | None
) -> None:
    locust = LocustRun(LoadSpec(users=2), origin, "127.0.0.1:9", 60, tmp_path / "logs", tmp_path,
                       zygote=zygote)  # fmt: skip
    locust.start()
    time.sleep(1.0)
    started = time.monotonic()
    locust.stop()
    assert not locust.running()
    assert time.monotonic() - started < 5
    assert _Counting.seen == []
    assert ("(forked)" in (tmp_path / "logs" / "locust.log").read_text()) == (zygote is not None)
