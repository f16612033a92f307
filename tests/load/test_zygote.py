"""The Locust fork server: a forked Locust runs the run's own arguments, locustfiles,
environment and working directory, streams each request once, and ends with the process
that asked for it, however that one ended."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from chaoskit.experiment.loadrun import STREAM_PLUGIN, ForkedProcess
from chaoskit.lab.health import wait_until
from chaoskit.load.zygote import ForkError, fork_locust
from tests.load.fixtures import Origin

LOCUSTFILE = """
import os
from locust import HttpUser, constant, task

class Reader(HttpUser):
    wait_time = constant(0.05)

    @task
    def read(self):
        self.client.get(os.environ["READ_PATH"])
"""


def paths(seen: list[tuple[float, str]]) -> list[str]:
    return [path for _, path in seen]


def _args(origin: str, seconds: int, stats: Path) -> list[str]:
    """Locust's final counts go to ``STATS.json`` at shutdown (its ``--csv`` files are
    written each second and miss what came after the last write)."""
    return ["-f", f"reader.py,{STREAM_PLUGIN}", "--headless", "--host", origin, "-u", "2",
            "-r", "10", "-t", f"{seconds}s", "--json-file", str(stats)]  # fmt: skip


def test_a_forked_locust_runs_the_runs_own_files_and_settings_and_streams_each_request_once(
    loadserver: Path, origin: Origin, tmp_path: Path
) -> None:
    url, seen = origin
    (tmp_path / "reader.py").write_text(LOCUSTFILE)  # found from the run's directory
    stream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stream.bind(("127.0.0.1", 0))
    stream.settimeout(0.5)
    env = {**os.environ, "READ_PATH": "/orders/7",
           "CHAOSKIT_STREAM": f"127.0.0.1:{stream.getsockname()[1]}"}  # fmt: skip
    log = tmp_path / "locust.log"
    pid = fork_locust(loadserver, _args(url, 2, tmp_path / "out"), env, log, str(tmp_path))
    streamed = 0
    locust = ForkedProcess(pid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            data = json.loads(stream.recv(65536))
        except TimeoutError:  # nothing for 0.5 s: Locust has ended or it never will
            if locust.poll() is not None:
                break
            continue
        streamed += len(data["ok"]) + len(data["fail"])
    stream.close()
    assert locust.poll() == 0, "Locust did not end at its run time"
    said = log.read_text()
    assert "locust (forked)" in said and "Shutting down" in said, said
    assert paths(seen) and set(paths(seen)) == {"/orders/7"}
    entries = json.loads((tmp_path / "out.json").read_text())
    recorded = sum(entry["num_requests"] for entry in entries)
    assert recorded <= len(paths(seen))  # (a request cut off at the run time is not)
    # each request streamed once, none twice (a listener registered again would double
    # them); the last flush interval's may be cut off when Locust stops, as when exec'd
    assert recorded * 0.9 <= streamed <= recorded, (streamed, recorded)


def test_a_forked_locust_ends_with_the_process_that_asked_for_it(
    loadserver: Path, origin: Origin, tmp_path: Path
) -> None:
    url, seen = origin
    (tmp_path / "reader.py").write_text(LOCUSTFILE)
    env = {**os.environ, "READ_PATH": "/health"}
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from chaoskit.load.zygote import fork_locust\n"
        f"print(fork_locust(Path({str(loadserver)!r}), {_args(url, 120, tmp_path / 'o')!r},\n"
        f"                  {env!r}, Path({str(tmp_path / 'locust.log')!r}), {str(tmp_path)!r}),\n"
        "      flush=True)\n"
        "time.sleep(120)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    locust = ForkedProcess(int(owner.stdout.readline()))
    try:
        assert wait_until(lambda: len(paths(seen)) > 5, 15)  # the load runs
        owner.kill()  # SIGKILL: nothing of the controller is left to stop it
        owner.wait(5)
        assert wait_until(lambda: locust.poll() is not None, 10), "Locust outlived its owner"
    finally:
        owner.kill()
        if locust.poll() is None:
            os.killpg(locust.pid, 9)
    assert "Shutting down" in (tmp_path / "locust.log").read_text()


def test_a_request_it_cannot_serve_is_refused_and_the_next_is_served(
    loadserver: Path, origin: Origin, tmp_path: Path
) -> None:
    url, seen = origin
    with pytest.raises(ForkError, match=r"Locust fork server at .*: TypeError"):
        fork_locust(loadserver, 7, {}, tmp_path / "x.log")  # type: ignore[arg-type]
    with pytest.raises(ForkError, match="Locust fork server at"):
        fork_locust(tmp_path / "nothing.sock", [], {}, tmp_path / "x.log")
    (tmp_path / "reader.py").write_text(LOCUSTFILE)
    env = {**os.environ, "READ_PATH": "/next"}
    pid = fork_locust(loadserver, _args(url, 1, tmp_path / "o"), env, tmp_path / "l.log",
                      str(tmp_path))  # fmt: skip
    ForkedProcess(pid).wait(20)
    assert "/next" in paths(seen)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
