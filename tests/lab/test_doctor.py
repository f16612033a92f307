"""``chaoskit doctor`` as a user runs it."""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import run_cli


def test_doctor_reports_a_missing_toxiproxy_binary_and_how_to_install_it(tmp_path: Path) -> None:
    env = {**os.environ, "CHAOSKIT_TOXIPROXY_BIN": str(tmp_path / "nowhere"), "COLUMNS": "200"}
    done = run_cli("doctor", env=env)
    assert done.returncode == 1
    row = next(line for line in done.stdout.splitlines() if "toxiproxy-server" in line)
    assert "MISSING" in row
    assert "chaoskit install toxiproxy" in done.stdout


def test_doctor_passes_on_a_bootstrapped_machine() -> None:
    done = run_cli("doctor", env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stdout
    for component in ("python packages", "toxiproxy-server", "java", "DynamoDB Local"):
        row = next(line for line in done.stdout.splitlines() if component in line)
        assert "found" in row, row
