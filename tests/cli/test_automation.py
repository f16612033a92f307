"""``chaoskit automation repair`` asks only an automation that runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chaoskit.automation.live import STATUS, read_control
from tests.helpers import run_cli


def test_repair_with_no_automation_running_requests_nothing(tmp_path: Path) -> None:
    done = run_cli("--state-dir", str(tmp_path), "automation", "repair")
    assert done.returncode == 1  # it said "repair requested (#1)", exit 0, to nobody
    assert "the DNS automation is not running in this lab" in done.stderr
    assert read_control(tmp_path).get("repairs", 0) == 0
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / STATUS).write_text(json.dumps({"pid": gone.pid, "mode": "legacy"}))
    done = run_cli("--state-dir", str(tmp_path), "automation", "repair")
    assert done.returncode == 1 and read_control(tmp_path).get("repairs", 0) == 0


def test_repair_asks_the_running_automation(tmp_path: Path) -> None:
    (tmp_path / STATUS).write_text(json.dumps({"pid": os.getpid(), "mode": "legacy"}))
    done = run_cli("--state-dir", str(tmp_path), "automation", "repair")
    assert done.returncode == 0, done.stderr
    assert "repair requested (#1)" in done.stdout
    assert read_control(tmp_path)["repairs"] == 1
