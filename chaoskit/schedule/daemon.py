"""``chaoskit scheduler``: a foreground daemon that runs due jobs, one at a time per lab.

Each due job runs as ``chaoskit run`` (or ``chaoskit gameday run --yes``) in a child
process that inherits the lab lock the scheduler took (so nothing, scheduled or by hand, runs
alongside it), with ``CHAOSKIT_TRIGGER=schedule:<job>`` so history says where it came from.
Its output goes to ``STATE_DIR/scheduler/<job>-<time>.log``.

SIGTERM or SIGINT: the running child gets SIGTERM, which makes it revert every fault and
write its report (exit 3); the scheduler waits for it, then exits. A child that will not
end in ``STOP_TIMEOUT_S`` is killed and ``chaoskit recover`` is run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from chaoskit._signals import handling
from chaoskit.lab.lock import LOCK_FD_ENV, LabLock
from chaoskit.schedule.jobs import (
    Job,
    claim_due,
    decide,
    read_jobs,
    record_event,
    set_last_run,
)

__all__ = ["Scheduler"]

STOP_TIMEOUT_S = 120.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    def __init__(
        self,
        state_dir: Path,
        *,
        clock: Callable[[], datetime] = utc_now,
        tick_s: float = 1.0,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.state_dir = state_dir
        self.clock = clock
        self.tick_s = tick_s
        self.echo = echo
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self.damaged_said: set[str] = set()

    # ---- the loop -----------------------------------------------------------------------
    def run_forever(self, max_runs: int | None = None) -> None:
        with handling(self._on_signal):
            self.echo(f"scheduler: watching {self.state_dir} (Ctrl-C, SIGTERM or a hangup to stop)")
            while not self.stopping:
                self.tick()
                if max_runs is not None and self.runs >= max_runs:
                    break
                deadline = time.monotonic() + self.tick_s
                while not self.stopping and time.monotonic() < deadline:
                    time.sleep(0.05)
        self.echo("scheduler: stopped")

    def tick(self) -> None:
        found = read_jobs(self.state_dir)
        for damaged in found.damaged:  # once each: a job that cannot run is not a crash
            said = damaged.describe()
            if said not in self.damaged_said:
                self.damaged_said.add(said)
                self.echo(f"scheduler: {said}")
        for job in found.jobs:
            if self.stopping:
                return
            now = self.clock()
            decision = decide(job, now)
            if decision.action == "wait":
                continue
            if not claim_due(self.state_dir, job.id, job.next_due, decision.next_due):
                continue  # another scheduler of this lab took it
            if decision.missed:
                record_event(self.state_dir, job.id, now, "missed",
                             f"{decision.missed} run(s) missed; policy {job.missed}")  # fmt: skip
                self.echo(f"scheduler: job {job.id} missed {decision.missed} run(s) "
                          f"(policy {job.missed})")  # fmt: skip
            if decision.action == "run":
                self._run(job)

    # ---- one job ------------------------------------------------------------------------
    def command(self, job: Job) -> list[str]:
        base = [sys.executable, "-m", "chaoskit", "--state-dir", str(self.state_dir)]
        if job.lab_file is not None:
            base += ["--lab", job.lab_file]
        if job.kind == "gameday":
            return [*base, "gameday", "run", job.target, "--yes", "--out", job.out_dir]
        return [*base, "run", job.target, "--out", job.out_dir]

    def _run(self, job: Job) -> None:
        lock = LabLock(self.state_dir)
        if not lock.wait(f"scheduler job {job.id}", lambda: self.stopping):
            return
        try:
            started = self.clock()
            logs = self.state_dir / "scheduler"
            logs.mkdir(parents=True, exist_ok=True)
            log_path = logs / f"{job.id}-{started:%Y%m%dT%H%M%SZ}.log"
            record_event(self.state_dir, job.id, started, "started", str(log_path))
            set_last_run(self.state_dir, job.id, started, None)  # a killed scheduler's run too
            self.echo(f"scheduler: job {job.id} started: {job.target} (log {log_path})")
            assert lock.fd is not None
            trigger = f"schedule:{job.id}"
            env = {**os.environ, LOCK_FD_ENV: str(lock.fd), "CHAOSKIT_TRIGGER": trigger}
            with log_path.open("wb") as log:
                self.child = subprocess.Popen(
                    self.command(job), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, env=env, pass_fds=(lock.fd,),
                )  # fmt: skip
                code = self._wait_child(self.child)
            self.child = None
            self.runs += 1
            finished = self.clock()
            set_last_run(self.state_dir, job.id, started, code)
            record_event(self.state_dir, job.id, finished, "finished", f"exit {code}")
            self.echo(f"scheduler: job {job.id} finished, exit {code}")
        finally:
            lock.release()

    def _wait_child(self, child: subprocess.Popen[bytes]) -> int:
        signalled = False
        while True:
            code = child.poll()
            if code is not None:
                return code
            if self.stopping and not signalled:
                self.echo("scheduler: stopping; the running experiment reverts its faults")
                child.send_signal(signal.SIGTERM)
                signalled = True
                try:
                    return child.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                    subprocess.run(
                        [sys.executable, "-m", "chaoskit", "--state-dir", str(self.state_dir),
                         "recover"], check=False,
                    )  # fmt: skip
                    return -9
            time.sleep(0.1)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
