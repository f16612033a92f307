"""The packaged locustfile runs under plain ``locust`` against the real lab's gateway."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaoskit.lab import LocalLab
from chaoskit.load import DEFAULT_MIX, LOCUSTFILE, parse_mix


def test_parse_mix() -> None:
    assert parse_mix(None) == DEFAULT_MIX
    assert parse_mix("read=1, write=3") == {"read": 1, "write": 3}
    with pytest.raises(ValueError, match="TASK one of read, list, write, launch"):
        parse_mix("delete=1")
    assert parse_mix("read=1000") == {"read": 1000}
    with pytest.raises(ValueError, match="a weight is at most 1000"):
        parse_mix("read=1001")  # Locust would list the task 1001 times; 10**9 exhausts memory


@pytest.mark.lab
def test_plain_locust_drives_the_mix_without_failures(
    fresh_fleet: LocalLab, tmp_path: Path
) -> None:
    gateway = f"http://{fresh_fleet.config.services.gateway}"
    done = subprocess.run(
        [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "-u", "5", "-r", "5", "-t", "4s", "--host", gateway,
            "--csv", str(tmp_path / "run"), "--only-summary",
        ],
        check=False, timeout=60, capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "CHAOSKIT_MIX": "read=2,list=1,write=2,launch=1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with (tmp_path / "run_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    for name in ("/orders/[id]", "/orders", "/launch"):
        assert int(rows[name]["Request Count"]) > 0, name
    assert int(rows["Aggregated"]["Failure Count"]) == 0
