"""The sample-service fork server: each service it forks is a new process of its own (its
session, its environment and profile, its log, fresh state), stopped like any other; and
what it cannot fork is a clear error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from chaoskit.lab.config import LabConfig
from chaoskit.lab.health import wait_until
from chaoskit.services.forkserver import ForkError, fork_service
from chaoskit.services.resilience.settings import ServiceProfile

# xdist: its fork servers on 127.0.26, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.26")

CONFIG = LabConfig.on_subnet("127.0.26", "lab.test.")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Path]:
    socket_path = tmp_path / "forkserver.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaoskit.services.forkserver", str(socket_path)],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    assert json.loads(proc.stdout.readline())["event"] == "listening"
    try:
        yield socket_path
    finally:
        proc.terminate()
        proc.wait(10)


def _gateway(socket_path: Path, log: Path, profile: ServiceProfile) -> int:
    env = {**os.environ, "CHAOSKIT_LAB_CONFIG": CONFIG.model_dump_json(), **profile.environment()}
    return fork_service(socket_path, "gateway", env, log)


def _settings() -> dict[str, object] | None:
    gateway = CONFIG.services.gateway
    try:
        return httpx.get(f"http://{gateway.host}:{gateway.port}/settings", timeout=0.5).json()  # type: ignore[no-any-return]
    except httpx.HTTPError:
        return None


def _stop(pid: int) -> None:
    os.killpg(pid, signal.SIGTERM)
    assert wait_until(lambda: not psutil.pid_exists(pid), 10), "the service did not stop"


def test_each_fork_is_a_new_process_with_its_own_profile_and_log(
    server: Path, tmp_path: Path
) -> None:
    log = tmp_path / "gateway.log"
    first = _gateway(server, log, ServiceProfile(profile="naive"))
    assert wait_until(lambda: _settings() is not None, 10), log.read_text()
    before = _settings()
    assert before is not None and before["resilience"]["retries"]["max_attempts"] == 3  # type: ignore[index]
    assert os.getsid(first) == first  # a session of its own, as an exec'd service gets
    _stop(first)
    resilient = ServiceProfile(profile="resilient", overrides={"retries.max_attempts": 5})
    second = _gateway(server, log, resilient)
    assert second != first
    assert wait_until(lambda: _settings() is not None, 10), log.read_text()
    after = _settings()
    assert after is not None and after["resilience"]["retries"]["max_attempts"] == 5  # type: ignore[index]
    assert after["started_at"] > before["started_at"]  # type: ignore[operator]
    _stop(second)
    text = log.read_text()
    assert text.count("gateway (forked)") == 2 and '"event": "listening"' in text
    # the server reaps what it forked: nothing is left a zombie
    time.sleep(0.2)
    assert not [c for c in psutil.Process().children(recursive=True) if c.status() == "zombie"]


def test_an_unknown_service_or_no_server_is_a_fork_error(server: Path, tmp_path: Path) -> None:
    with pytest.raises(ForkError, match="no sample service 'api'; known: orders, fleet"):
        fork_service(server, "api", {}, tmp_path / "api.log")
    with pytest.raises(ForkError, match="fork server at"):
        fork_service(tmp_path / "nothing.sock", "gateway", {}, tmp_path / "g.log")
