"""A run that stops on an error before its end (here: a port its lab needs is taken) is
recorded as such: in history, in ``events.jsonl``, and by ``chaoskit report``."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.helpers import run_cli

SUBNET = "127.0.43"


def test_a_run_whose_lab_cannot_start_is_an_error_in_history_and_in_report(
    tmp_path: Path,
) -> None:
    lab_file = tmp_path / "chaoskit.yaml"
    lab_file.write_text(f"subnet: {SUBNET}\n")
    experiment = tmp_path / "wait.yaml"
    experiment.write_text("title: a short wait\nmethod:\n  - wait: 1s\n")
    state, reports = tmp_path / "state", tmp_path / "reports"
    cli = ["--state-dir", str(state), "--lab", str(lab_file)]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((f"{SUBNET}.2", 8474))  # Toxiproxy's API
        squatter.listen()
        done = run_cli(*cli, "run", str(experiment), "--backend", "local", "--out", str(reports))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{SUBNET}.2:8474 is already in use" in done.stderr
    (run,) = json.loads(run_cli(*cli, "history", "--json").stdout)["runs"]
    assert run["status"] == "error", run  # was "running" for ever, then "did-not-finish"
    assert run["verdict"].startswith("stopped on an error before its end: toxiproxy: ")
    assert run["exit_code"] == 1
    (run_dir,) = reports.iterdir()
    last = json.loads((run_dir / "events.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "RunErrored" and "is already in use" in last["error"]
    report = run_cli("report", str(run_dir))
    assert report.returncode == 2
    assert "the run stopped on an error before its end, so there is no report" in report.stderr
