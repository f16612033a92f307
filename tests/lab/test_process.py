"""Stopping lab processes: one that another, still running, process started has ended once
it exits, even while it waits as a zombie for that parent to collect it; one that ignores
SIGTERM is killed; a group killed has exited when the kill returns; and threads stopping
several at once collect them without tripping over each other."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from chaoskit._errors import ComponentError
from chaoskit.lab import process
from chaoskit.lab.components import app_component
from chaoskit.lab.config import AppService, Endpoint, LabConfig
from chaoskit.lab.health import wait_until
from chaoskit.lab.process import not_runnable
from tests.helpers import run_cli

PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                         start_new_session=True)
print(child.pid, flush=True)
time.sleep(60)  # never collects it: the way a pytest session holds a lab it started
"""


def test_a_zombie_of_another_parent_counts_as_stopped_at_once() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        child = psutil.Process(pid)
        started = time.monotonic()
        assert process.stop(pid, child.create_time(), timeout_s=5.0)
        took = time.monotonic() - started
        assert child.status() == psutil.STATUS_ZOMBIE  # exited; its parent has not reaped it
        assert took < 2.0, f"waited {took:.1f}s for a process that had already exited"
        assert not process.is_running(pid, child.create_time())
    finally:
        parent.kill()
        parent.wait()


def test_a_process_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    stubborn = process.spawn(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
         "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"],
        tmp_path / "stubborn.log",
    )  # fmt: skip
    time.sleep(0.5)  # past the interpreter's start, so SIGTERM is ignored
    started = time.monotonic()
    assert process.stop(stubborn.pid, stubborn.create_time(), timeout_s=1.0)
    assert 1.0 <= time.monotonic() - started < 3.0
    assert not process.is_running(stubborn.pid, stubborn.create_time())


BIG = "b = bytearray(1 << 30); print('ready', flush=True); import time; time.sleep(60)"
"""A process whose exit takes a while: its gibibyte is freed after SIGKILL is delivered."""


def test_a_killed_group_is_gone_when_the_kill_returns_and_a_stranger_is_not_signalled(
    tmp_path: Path,
) -> None:
    log = tmp_path / "big.log"
    for _ in range(3):  # sent alone, the signal leaves it running a moment, most times
        big = process.spawn([sys.executable, "-c", BIG], log)
        assert wait_until(lambda: "ready" in log.read_text(), 20)
        started = process.start_time(big.pid)
        assert process.kill_group(big.pid, started, os.getpgid(big.pid), timeout_s=5.0)
        assert not process.is_running(big.pid, started)

    other = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        started = process.start_time(other.pid)
        assert process.kill_group(other.pid, started - 100, other.pid)  # not the one we read
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_threads_stopping_processes_at_once_collect_each_exactly_once(tmp_path: Path) -> None:
    started = [process.spawn([sys.executable, "-c", "pass"], tmp_path / f"p{i}.log")
               for i in range(24)]  # fmt: skip

    def ended(proc: psutil.Process) -> bool:
        try:
            return proc.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:  # collected already, by a later spawn
            return True

    assert wait_until(lambda: all(ended(p) for p in started), 20)
    errors: list[BaseException] = []
    go = threading.Barrier(8)

    def reap() -> None:
        go.wait()
        try:
            for _ in range(50):
                process._reap()
        except BaseException as exc:  # what stop_services' threads would have raised
            errors.append(exc)

    threads = [threading.Thread(target=reap) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(process.exit_status(p.pid) == 0 for p in started)


def test_a_process_is_known_by_its_start_since_boot_whatever_the_wall_clock_says() -> None:
    child = subprocess.Popen(["sleep", "30"], start_new_session=True)  # its own group
    try:
        started = process.start_time(child.pid)
        assert 0 < started <= time.clock_gettime(time.CLOCK_BOOTTIME) + 1  # not an epoch time
        assert process.start_time(child.pid) == started  # the same, read again
        assert process.is_running(child.pid, started)
        assert not process.is_running(child.pid, started - 1.0)  # another process's start
        # a record written by an earlier version (wall clock) is still recognised
        assert process.is_running(child.pid, psutil.Process(child.pid).create_time())
        assert process.stop(child.pid, started, timeout_s=5.0)
        assert not process.is_running(child.pid, started)
    finally:
        child.kill()
        child.wait()


def test_a_pid_that_runs_another_process_is_named_and_left_alone(tmp_path: Path) -> None:
    from chaoskit.lab.local import LocalLab
    from chaoskit.lab.state import ComponentRecord

    other = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:  # until its exec is complete, the new process's command line reads empty
        assert wait_until(lambda: psutil.Process(other.pid).cmdline() == ["sleep", "30"], 10)
        started = process.start_time(other.pid)
        assert process.stranger(other.pid, started) is None  # ours
        assert process.stranger(None, None) is None
        assert process.stranger(other.pid, started - 100) == f"pid {other.pid} (sleep 30)"

        lab = LocalLab(tmp_path / "state")
        record = ComponentRecord(
            name="resolver", pid=other.pid, create_time=started - 100, endpoint="udp://x"
        )
        lab.state.components["resolver"] = record
        lab.state.save(lab.state_dir)
        assert lab.down() == []
        assert lab.left_running == {"resolver": f"pid {other.pid} (sleep 30)"}
        assert other.poll() is None  # not the lab's: still running

        lab.state.components["resolver"] = record  # again, through the command a user types
        lab.state.save(lab.state_dir)
        done = run_cli("--state-dir", str(lab.state_dir), "down")
        assert done.returncode == 0, done.stderr
        assert f"not stopped: resolver: its recorded pid {other.pid} (sleep 30)" in done.stdout
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_a_command_that_cannot_be_run_is_said_as_a_shell_says_it(tmp_path: Path) -> None:
    script = tmp_path / "serve"
    script.write_text("#!/bin/sh\n")
    assert not_runnable("sh") is None
    assert not_runnable("sh", path=str(tmp_path)) == (127, "sh: command not found on PATH")
    assert not_runnable("./serve", cwd=tmp_path) == (126, "./serve: not executable (chmod +x)")
    script.chmod(0o755)
    assert not_runnable("./serve", cwd=tmp_path) is None  # from its own directory
    assert not_runnable("serve", path=str(tmp_path)) is None
    assert not_runnable("./nope", cwd=tmp_path) == (127, "./nope: no such file")
    assert not_runnable(str(tmp_path)) == (126, f"{tmp_path}: is a directory")


def test_a_lab_files_service_whose_command_cannot_run_stops_up_before_it_starts(
    tmp_path: Path,
) -> None:
    """It was started, through the system-resolver wrapper, and seen to exit 127 after the
    wait: 'exited during start-up (exit status 127); its log ends: chaoskit-resolv: 1:
    exec: nodee: not found'."""
    app = AppService(name="api", command=["nodee", "server.js"], cwd=str(tmp_path),
                     listen=Endpoint(host="127.0.15.70", port=8080))  # fmt: skip
    with pytest.raises(ComponentError, match=r"^api: cannot start nodee: command not found"):
        app_component(LabConfig(), app, system_resolver=None)
