"""The surgeable load shape: a real Locust follows its control file, then ends at ``-t``."""

from __future__ import annotations

import csv
import http.server
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoskit.experiment.loadrun import SURGEABLE_SHAPE
from chaoskit.lab.health import wait_until
from chaoskit.load import LOCUSTFILE, PACING_ENV
from chaoskit.load.control import CONTROL_ENV, wanted_load
from tests.helpers import serving


def test_the_control_file_or_the_command_line(tmp_path: Path) -> None:
    control = tmp_path / "surge.json"
    assert wanted_load(None, 3, 2.0) == (3, 2.0)
    assert wanted_load(control, 3, 2.0) == (3, 2.0)  # no file: the command line
    control.write_text(json.dumps({"users": 40, "spawn_rate": 20}))
    assert wanted_load(control, 3, 2.0) == (40, 20.0)
    for unreadable in ("{", "[]", '{"users": "many", "spawn_rate": 1}', '{"users": 4}'):
        control.write_text(unreadable)
        assert wanted_load(control, 3, 2.0) == (3, 2.0), unreadable


class _Counted(http.server.ThreadingHTTPServer):
    requests = 0


class _Quiet(http.server.BaseHTTPRequestHandler):
    server: _Counted

    def do_GET(self) -> None:
        self.server.requests += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_POST = do_GET

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def target() -> Iterator[_Counted]:
    server = _Counted(("127.0.0.1", 0), _Quiet)
    with serving(server):
        yield server


def _user_counts(history: Path) -> list[int]:
    with history.open() as rows:
        return [int(r["User Count"]) for r in csv.DictReader(rows) if r["Name"] == "Aggregated"]


def test_locust_surges_while_the_file_says_so_and_stops_at_its_run_time(
    target: _Counted, tmp_path: Path
) -> None:
    control = tmp_path / "surge.json"
    host = f"http://127.0.0.1:{target.server_address[1]}"
    locust = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", f"{LOCUSTFILE},{SURGEABLE_SHAPE}", "--headless",
         "-u", "2", "-r", "50", "-t", "9s", "--host", host, "--csv", str(tmp_path / "run"),
         "--only-summary"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        env={**os.environ, CONTROL_ENV: str(control), PACING_ENV: "0.5"},
    )  # fmt: skip
    history = tmp_path / "run_stats_history.csv"
    try:
        # the surge once Locust's -u users send requests: its start is slower on a busy machine
        assert wait_until(lambda: target.requests > 0, 30), "Locust sent no request"
        time.sleep(1.5)  # a second of history with them
        control.write_text(json.dumps({"users": 9, "spawn_rate": 50}))
        time.sleep(3)
        control.unlink()
        output, _ = locust.communicate(timeout=30)  # ends by itself at -t
    finally:
        locust.kill()
    assert locust.returncode == 0, output
    counts = _user_counts(history)
    steps = [c for i, c in enumerate(counts) if c and (i == 0 or c != counts[i - 1])]
    assert steps == [2, 9, 2], counts  # -u, the surge, -u again: no ramp at 50/s is seen
