"""Fixtures for the load's tests: a Locust fork server of the module's own
(``chaoskit.load.zygote``), and an HTTP origin that counts what reaches it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chaoskit.lab.health import unix_accepts, wait_until
from tests.helpers import serving

Origin = tuple[str, list[tuple[float, str]]]
"""The origin's URL, and when and at which path each request reached it."""


@pytest.fixture
def origin() -> Iterator[Origin]:
    """An HTTP server on loopback answering every GET and POST with 200 and an empty body."""
    seen: list[tuple[float, str]] = []

    class Counting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((time.monotonic(), self.path))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}", seen


@pytest.fixture(scope="module")
def loadserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Locust fork server listening for the module's tests; stopped after, its socket gone."""
    path = tmp_path_factory.mktemp("loadserver") / "loadserver.sock"
    server = subprocess.Popen([sys.executable, "-m", "chaoskit.load.zygote", str(path)])
    try:
        assert wait_until(lambda: unix_accepts(path), 30), "the Locust fork server did not listen"
        yield path
    finally:
        server.terminate()
        server.wait(10)
    assert not path.exists()
