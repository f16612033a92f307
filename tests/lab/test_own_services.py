"""A team's own services that misbehave: each a clear error naming it and its log, and
nothing left running afterwards."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.helpers import run_cli

SUBNET = "127.0.15"

IGNORES_SIGTERM = """
import signal, socket, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
server = socket.create_server((sys.argv[1], int(sys.argv[2])))
while True:
    server.accept()
"""

# xdist: its labs on 127.0.15, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.15")


def _lab_file(tmp_path: Path, command: list[str], **extra: str) -> Path:
    service = {"command": command, "listen": f"{SUBNET}.70:8080", "health": "tcp",
               "start_timeout": "3s", "system_resolver": False, **extra}  # fmt: skip
    import json

    path = tmp_path / "chaoskit.yaml"
    path.write_text(f"subnet: {SUBNET}\nsample_services: false\n"
                    f"services:\n  svc: {json.dumps(service)}\n")  # fmt: skip
    return path


def _ours(state_dir: Path) -> list[psutil.Process]:
    """Processes started for this lab: they name its state directory or its subnet."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        if str(state_dir) in line or f"{SUBNET}." in line:
            found.append(proc)
    return found


def _up(tmp_path: Path, lab: Path) -> tuple[int, str]:
    done = run_cli("--state-dir", str(tmp_path / "state"), "--lab", str(lab), "up",
                   cwd=tmp_path, timeout=120)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_a_service_that_exits_at_once(tmp_path: Path) -> None:
    lab = _lab_file(tmp_path, ["sh", "-c", "echo 'config missing: DATABASE_URL' >&2; exit 3"])
    code, said = _up(tmp_path, lab)
    assert code != 0
    assert "svc: exited during start-up (exit status 3)" in said
    assert "config missing: DATABASE_URL" in said and "logs/svc.log" in said
    assert "Traceback" not in said
    assert _ours(tmp_path / "state") == []


def test_the_lab_file_mended_after_a_failed_up_is_the_one_the_next_up_starts(
    tmp_path: Path,
) -> None:
    """A failed ``up`` used to leave its state behind, and the next ``up`` started the lab
    from that state: the old command again, whatever the file now said."""
    code, said = _up(tmp_path, _lab_file(tmp_path, ["sh", "-c", "exit 3"]))
    assert code != 0 and "svc: exited during start-up (exit status 3)" in said
    serving = [sys.executable, "-m", "http.server", "8080", "--bind", f"{SUBNET}.70"]
    code, said = _up(tmp_path, _lab_file(tmp_path, serving))
    assert code == 0, said
    assert any("http.server" in " ".join(p.cmdline()) for p in _ours(tmp_path / "state"))
    down = run_cli("--state-dir", str(tmp_path / "state"), "down", cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert _ours(tmp_path / "state") == []


def test_a_service_that_never_gets_healthy(tmp_path: Path) -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    code, said = _up(tmp_path, _lab_file(tmp_path, sleeper))
    assert code != 0
    assert "svc: not healthy after 3s" in said and "logs/svc.log" in said
    assert _ours(tmp_path / "state") == []


def test_a_command_that_does_not_exist(tmp_path: Path) -> None:
    code, said = _up(tmp_path, _lab_file(tmp_path, ["./no-such-binary"]))
    assert code != 0
    assert "svc: cannot start ./no-such-binary" in said
    assert _ours(tmp_path / "state") == []


def test_a_service_that_ignores_sigterm_is_killed_by_down(tmp_path: Path) -> None:
    command = [sys.executable, "-c", IGNORES_SIGTERM, f"{SUBNET}.70", "8080"]
    lab = _lab_file(tmp_path, command, stop_timeout="1s")
    code, said = _up(tmp_path, lab)
    assert code == 0, said
    started = time.monotonic()
    down = run_cli("--state-dir", str(tmp_path / "state"), "down", cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert "svc" in down.stdout
    assert time.monotonic() - started < 20
    assert _ours(tmp_path / "state") == []


@pytest.mark.parametrize("health", ["http:/healthz"])
def test_an_http_health_check_needs_a_2xx(tmp_path: Path, health: str) -> None:
    server = [sys.executable, "-m", "http.server", "--bind", f"{SUBNET}.70", "8080"]
    code, said = _up(tmp_path, _lab_file(tmp_path, server, health=health))
    assert code != 0  # http.server answers 404 for /healthz
    assert "svc: not healthy after 3s" in said
    assert _ours(tmp_path / "state") == []
