"""The compose file's health checks, run as Docker runs them (compose's ``$$`` unescaped,
then ``bash -c``) against a real HTTP server: 200 on the URL is healthy, anything else,
or nothing listening, is not. (The DNS server's check is proven by every compose lab that
comes up: the resolver waits for it.)"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from ruamel.yaml import YAML

from tests.helpers import ROOT, free_port, serving

COMPOSE = YAML(typ="safe").load((ROOT / "compose" / "docker-compose.yml").read_text())


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Health)
    with serving(httpd):
        yield f"127.0.0.1:{httpd.server_address[1]}"


def _check(service: str, env: dict[str, str]) -> int:
    test = COMPOSE["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1:3] == ["bash", "-c"], test
    script = test[3].replace("$$", "$")  # what compose hands Docker
    return subprocess.run(["bash", "-c", script], env=env, timeout=10, check=False).returncode


@pytest.mark.parametrize("service", ["orders", "fleet", "status", "gateway"])
def test_a_service_answering_200_is_healthy_and_nothing_else_is(service: str, server: str) -> None:
    assert _check(service, {"CHAOSKIT_HEALTH_URL": f"http://{server}/health"}) == 0
    assert _check(service, {"CHAOSKIT_HEALTH_URL": f"http://{server}/other"}) != 0
    nobody = f"http://127.0.0.1:{free_port()}/health"
    assert _check(service, {"CHAOSKIT_HEALTH_URL": nobody}) != 0
