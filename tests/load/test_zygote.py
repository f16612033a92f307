"""The Locust fork server: a forked Locust runs the run's own arguments, locustfiles,
environment and working directory, streams each request once, and ends with the process
that asked for it, however that one ended."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import psutil
import pytest

from chaoskit.experiment.loadrun import STREAM_PLUGIN, ForkedProcess
from chaoskit.lab.health import wait_until
from chaoskit.load.zygote import ForkError, fork_locust
from tests.load.servers import running_loadserver

LOCUSTFILE = """
import os
from locust import HttpUser, constant, task

class Reader(HttpUser):
    wait_time = constant(0.05)

    @task
    def read(self):
        self.client.get(os.environ["READ_PATH"])
"""


class _Counting(BaseHTTPRequestHandler):
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counting.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[str]:
    _Counting.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def loadserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with running_loadserver(tmp_path_factory.mktemp("loadserver") / "loadserver.sock") as path:
        yield path


def _args(origin: str, seconds: int, csv: Path) -> list[str]:
    return ["-f", f"reader.py,{STREAM_PLUGIN}", "--headless", "--host", origin, "-u", "2",
            "-r", "10", "-t", f"{seconds}s", "--only-summary", "--csv", str(csv)]  # fmt: skip


def test_a_forked_locust_runs_the_runs_own_files_and_settings_and_streams_each_request_once(
    loadserver: Path, origin: str, tmp_path: Path
) -> None:
    (tmp_path / "reader.py").write_text(LOCUSTFILE)  # found from the run's directory
    stream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stream.bind(("127.0.0.1", 0))
    stream.settimeout(0.5)
    env = {**os.environ, "READ_PATH": "/orders/7",
           "CHAOSKIT_STREAM": f"127.0.0.1:{stream.getsockname()[1]}"}  # fmt: skip
    log = tmp_path / "locust.log"
    pid = fork_locust(loadserver, _args(origin, 2, tmp_path / "out"), env, log, str(tmp_path))
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
    assert _Counting.paths and set(_Counting.paths) == {"/orders/7"}
    rows = (tmp_path / "out_stats.csv").read_text().splitlines()
    recorded = int(next(r for r in rows if ",Aggregated," in r).split(",")[2])
    assert recorded <= len(_Counting.paths)  # (a request cut off at the run time is not)
    # each request streamed once, none twice (a listener registered again would double
    # them); the last flush interval's may be cut off when Locust stops, as when exec'd
    assert recorded * 0.9 <= streamed <= recorded, (streamed, recorded)


def test_a_forked_locust_ends_with_the_process_that_asked_for_it(
    loadserver: Path, origin: str, tmp_path: Path
) -> None:
    (tmp_path / "reader.py").write_text(LOCUSTFILE)
    env = {**os.environ, "READ_PATH": "/health"}
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from chaoskit.load.zygote import fork_locust\n"
        f"print(fork_locust(Path({str(loadserver)!r}), {_args(origin, 120, tmp_path / 'o')!r},\n"
        f"                  {env!r}, Path({str(tmp_path / 'locust.log')!r}), {str(tmp_path)!r}),\n"
        "      flush=True)\n"
        "time.sleep(120)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    locust = ForkedProcess(int(owner.stdout.readline()))
    try:
        assert wait_until(lambda: len(_Counting.paths) > 5, 15)  # the load runs
        owner.kill()  # SIGKILL: nothing of the controller is left to stop it
        owner.wait(5)
        assert wait_until(lambda: locust.poll() is not None, 10), "Locust outlived its owner"
    finally:
        owner.kill()
        if locust.poll() is None:
            os.killpg(locust.pid, 9)
    assert "Shutting down" in (tmp_path / "locust.log").read_text()


def test_a_request_it_cannot_serve_is_refused_and_the_next_is_served(
    loadserver: Path, origin: str, tmp_path: Path
) -> None:
    with pytest.raises(ForkError, match=r"Locust fork server at .*: TypeError"):
        fork_locust(loadserver, 7, {}, tmp_path / "x.log")  # type: ignore[arg-type]
    with pytest.raises(ForkError, match="Locust fork server at"):
        fork_locust(tmp_path / "nothing.sock", [], {}, tmp_path / "x.log")
    (tmp_path / "reader.py").write_text(LOCUSTFILE)
    env = {**os.environ, "READ_PATH": "/next"}
    pid = fork_locust(loadserver, _args(origin, 1, tmp_path / "o"), env, tmp_path / "l.log",
                      str(tmp_path))  # fmt: skip
    ForkedProcess(pid).wait(20)
    assert "/next" in _Counting.paths
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
