"""The compose services' health check: it asks the URL it is given and imports nothing
heavy (Docker runs it every second, with a timeout)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

CHECK = (
    "import sys\n"
    "from chaoskit.services import healthcheck\n"
    "code = healthcheck.main()\n"
    "heavy = sorted(m for m in ('boto3', 'botocore', 'aiohttp', 'pydantic') if m in sys.modules)\n"
    "print(code, heavy)\n"
)


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 503)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def _check(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True,
                          text=True, timeout=30, check=False)  # fmt: skip
    return done.stdout.strip()


def test_a_serving_service_is_healthy_and_nothing_heavy_is_imported(server: str) -> None:
    assert _check({"CHAOSKIT_HEALTH_URL": f"{server}/health"}) == "0 []"


def test_an_error_answer_or_no_url_is_unhealthy(server: str) -> None:
    assert _check({"CHAOSKIT_HEALTH_URL": f"{server}/other"}) == "1 []"
    assert _check({}) == "1 []"
