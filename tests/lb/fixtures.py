"""A real load balancer for the tests: HAProxy, targets whose checks a test can fail, the
lab DNS server, and the ``lb`` control plane as its own process, all on 127.0.27.0/24."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from chaoskit.lab.components import haproxy_layout, write_lab_zone
from chaoskit.lab.config import LabConfig
from chaoskit.lab.health import dns_answers, wait_until
from chaoskit.lb.haproxy import HaproxyRuntime, haproxy_binary, render_haproxy_config
from chaoskit.services import DNS_TOKEN_ENV
from tests.helpers import serving

LB_NET = "127.0.27"
FAST_CHECKS = {"lb.health_check.interval_s": 0.2, "lb.health_check.timeout_s": 0.2}


def lb_config() -> LabConfig:
    return LabConfig.on_subnet(LB_NET).with_load_balancer(replicas=3)


@dataclass
class Target:
    """A stand-in gateway: ``/health`` fails unless ``live``, ``/health/deep`` unless also
    ``ready``; any other path answers with the target's name, counted in ``hits``."""

    name: str
    addresses: list[tuple[str, int]]
    """Its own address, and its check path's (the lab puts a proxy there; here it serves)."""
    live: bool = True
    ready: bool = True
    hits: int = 0
    listening: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    def start(self) -> None:
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/health":
                    ok = target.live
                elif self.path == "/health/deep":
                    ok = target.live and target.ready
                else:
                    target.hits += 1
                    ok = True
                body = target.name.encode()
                self.send_response(200 if ok else 503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        for address in self.addresses:
            server = ThreadingHTTPServer(address, Handler)
            server.daemon_threads = True
            self.listening.enter_context(serving(server))

    def stop(self) -> None:
        self.listening.close()


@pytest.fixture
def targets() -> Iterator[dict[str, Target]]:
    config = lb_config()
    found = {}
    for name, check in zip(config.lb.targets(), config.lb.checks, strict=True):
        endpoint = config.sample_endpoint(name)
        found[name] = Target(name, [(endpoint.host, endpoint.port), (check.host, check.port)])
        found[name].start()
    try:
        yield found
    finally:
        for target in found.values():
            target.stop()


@pytest.fixture
def haproxy(tmp_path: Path) -> Iterator[HaproxyRuntime]:
    """Debian's HAProxy with the lab's load balancer configuration, every target in service."""
    binary = haproxy_binary()
    assert binary, "HAProxy is missing: scripts/bootstrap installs it"
    config = lb_config()
    path = tmp_path / "haproxy.cfg"
    path.write_text(render_haproxy_config(haproxy_layout(config)))
    log = (tmp_path / "haproxy.log").open("wb")
    process = subprocess.Popen([binary, "-db", "-f", str(path)], stdout=log, stderr=log)
    runtime = HaproxyRuntime(config.lb.runtime)
    try:
        assert wait_until(runtime.answers, 10), (tmp_path / "haproxy.log").read_text()
        yield runtime
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class LabDns:
    config: LabConfig
    token_file: Path


@pytest.fixture(scope="module")
def lab_dns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDns]:
    """The lab DNS server, serving the lab zone with the LB's name at its nodes."""
    config = lb_config()
    workdir = tmp_path_factory.mktemp("lb-dns")
    zone = write_lab_zone(config, workdir)
    token_file = config.dns_token_path(workdir)
    dns, admin = config.dns, config.dns_admin
    log = (workdir / "dns.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "chaoskit", "dns", "serve", "--zone", str(zone),
            "--listen", dns.host, "--port", str(dns.port), "--admin-listen", admin.host,
            "--admin-port", str(admin.port), "--token-file", str(token_file),
        ],
        stdout=log, stderr=log,
    )  # fmt: skip
    try:
        answers = wait_until(lambda: dns_answers(dns.host, dns.port, config.zone), 15)
        assert answers, (workdir / "dns.log").read_text()
        yield LabDns(config, token_file)
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class ControlPlane:
    """The ``lb`` process and what it says."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def summary(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/targets", timeout=2).json())

    def in_service(self) -> set[str]:
        return {n for n, t in self.summary()["targets"].items() if t["in_service"]}

    def metric(self, name: str) -> float:
        text = httpx.get(f"{self.url}/metrics", timeout=2).text
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        raise KeyError(name)


@pytest.fixture
def start_lb(
    lab_dns: LabDns, haproxy: HaproxyRuntime, tmp_path: Path
) -> Iterator[Callable[..., ControlPlane]]:
    """Start the control plane with ``profile`` and resilience overrides (fast checks
    unless they say otherwise)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(profile: str = "naive", **overrides: Any) -> ControlPlane:
        config = lab_dns.config
        env = {
            **os.environ,
            "CHAOSKIT_LAB_CONFIG": config.model_dump_json(),
            "CHAOSKIT_PROFILE": profile,
            "CHAOSKIT_RESILIENCE": json.dumps({**FAST_CHECKS, **overrides}),
            DNS_TOKEN_ENV: str(lab_dns.token_file),
        }
        log = tmp_path / "lb.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "chaoskit.services", "lb"],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        plane = ControlPlane(f"http://{config.lb.controller}", process, log)

        def healthy() -> bool:
            try:
                return httpx.get(f"{plane.url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(healthy, 20), log.read_text()
        return plane

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)
