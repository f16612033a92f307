"""The DNS automation as a child of a run: started before the method, stopped (and the
record restored as the zone has it) at teardown. It dies with its parent, restoring the
record on the way out, so a killed controller does not leave an emptied record."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from chaoskit._errors import ComponentError
from chaoskit.automation.live import (
    STATUS,
    read_control,
    read_status,
    restore_record,
    write_control,
)
from chaoskit.automation.model import Mode
from chaoskit.experiment.loadrun import die_with_parent
from chaoskit.lab.backend import LabBackend

__all__ = ["AutomationProcess", "request_repair"]

START_TIMEOUT_S = 15.0


def request_repair(state_dir: Path) -> int:
    """Ask the running automation to repair the record, as the operators did; the count."""
    control = read_control(state_dir)
    control["repairs"] = int(control.get("repairs", 0)) + 1
    write_control(state_dir, control)
    return int(control["repairs"])


class AutomationProcess:
    def __init__(self, lab: LabBackend, mode: Mode, until_wall: float, log_path: Path) -> None:
        self.lab = lab
        self.mode = mode
        self.until_wall = until_wall
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        (self.lab.state_dir / STATUS).unlink(missing_ok=True)
        write_control(self.lab.state_dir, {"delays": {}, "repairs": 0})
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "chaoskit.automation", str(self.lab.state_dir),
                 "--mode", self.mode, "--until", str(self.until_wall)],
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            status = read_status(self.lab.state_dir)
            if status.get("pid") == self.proc.pid and status.get("generation") is not None:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise ComponentError(
            "automation", f"did not apply a first plan within {START_TIMEOUT_S:g}s",
            str(self.log_path),
        )  # fmt: skip

    def repair(self, timeout_s: float = 5.0) -> bool:
        """Repair and wait until the record follows a plan again."""
        request_repair(self.lab.state_dir)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = read_status(self.lab.state_dir)
            if not status.get("emptied") and status.get("addresses"):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """End the automation; it restores the record as it exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.restore_record()

    def restore_record(self) -> None:
        """The record as the zone has it, whatever state the automation left it in."""
        with self.lab.dns_admin() as admin:
            restore_record(admin, self.lab.config, self.lab.state_dir, "us-east-1", "controller")
