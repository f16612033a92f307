"""Processes the lab owns: started detached with a log, identified by pid and start time."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Annotated

import psutil
from pydantic import Field

from chaoskit._errors import ComponentError

__all__ = [
    "Pid",
    "exit_status",
    "is_running",
    "kill_group",
    "not_runnable",
    "spawn",
    "start_time",
    "stop",
    "stopped_in_group",
    "thaw_group",
]

Pid = Annotated[int, Field(ge=1, le=2**31 - 1)]
"""A process or process group id as a file records it: a pid_t above 0 (0 and -1 mean the
caller's own group and every process to kill(2); psutil refuses them with a ValueError)."""

WALL_CLOCK_FROM = 1e9
"""A recorded start above this is a wall-clock time (what earlier versions recorded)."""


def not_runnable(
    program: str, cwd: str | Path | None = None, path: str | None = None
) -> tuple[int, str] | None:
    """Why ``program`` cannot be run from ``cwd`` with ``path`` as its PATH, as a shell
    says it and with the status a shell exits with (127: not found; 126: found, but not
    something to run); None when it can be."""
    import shutil

    if "/" not in program:
        found = shutil.which(program, path=path if path is not None else os.environ.get("PATH"))
        return None if found else (127, f"{program}: command not found on PATH")
    candidate = Path(cwd or ".") / program
    if candidate.is_dir():
        return 126, f"{program}: is a directory"
    if not candidate.exists():
        return 127, f"{program}: no such file"
    if not os.access(candidate, os.X_OK):
        return 126, f"{program}: not executable (chmod +x)"
    return None


def spawn(
    argv: list[str], log_path: Path, env: dict[str, str] | None = None, cwd: str | None = None
) -> psutil.Process:
    """Start ``argv`` in its own session (so Ctrl-C in the shell does not reach it); a
    program that cannot be started is a ComponentError naming it and its log."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n".encode())
        log.flush()
        try:
            child = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                cwd=cwd,
                close_fds=True,
            )
        except OSError as exc:
            log.write(f"cannot start: {exc}\n".encode())
            raise ComponentError(
                log_path.stem, f"cannot start {argv[0]}: {exc.strerror or exc}", str(log_path)
            ) from None
    _reap()
    with _reaping:
        _children[child.pid] = child
    return psutil.Process(child.pid)


_children: dict[int, subprocess.Popen[bytes]] = {}
"""The processes this controller started and that have not been reaped yet."""
_exit_statuses: dict[int, int] = {}
"""Exit statuses of the ones reaped (bounded: the oldest are forgotten)."""
_reaping = threading.Lock()


def _reap() -> None:
    """Collect every started process that has ended, so none is left a zombie. Threads
    stopping components at once (``stop_services``) all call it."""
    with _reaping:
        for pid, child in list(_children.items()):
            code = child.poll()
            if code is not None:
                del _children[pid]
                _exit_statuses[pid] = code
        while len(_exit_statuses) > 256:
            del _exit_statuses[next(iter(_exit_statuses))]


def exit_status(pid: int | None) -> int | None:
    """The exit status of a process this controller started, once it has ended."""
    _reap()
    return _exit_statuses.get(pid or -1)


def start_time(pid: int) -> float:
    """When process ``pid`` started, in seconds since boot, the identity recorded beside its
    pid. Read from ``/proc/PID/stat`` (its start in clock ticks since boot), which no step
    of the wall clock moves. psutil's ``create_time`` adds a boot time that each process
    derives from the wall clock once: after a step (NTP, a VM resumed) another process
    computes another time for the same process, and a lab's own processes would look like
    strangers to ``down``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        raise psutil.NoSuchProcess(pid) from None
    except OSError:  # no procfs: psutil's, with its wall-clock boot time
        return float(psutil.Process(pid).create_time() - psutil.boot_time())
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": state is field 3
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime


def _same_start(proc: psutil.Process, recorded: float) -> bool:
    if recorded >= WALL_CLOCK_FROM:
        return bool(abs(proc.create_time() - recorded) <= 0.5)
    return abs(start_time(proc.pid) - recorded) < 0.005


def _owned(pid: int | None, create_time: float | None) -> psutil.Process | None:
    """The process, if ``pid`` is still the one we started (pids get reused)."""
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
        if create_time is not None and not _same_start(proc, create_time):
            return None
        if proc.status() == psutil.STATUS_ZOMBIE:
            _reap()  # ours, ended: collect it
            return None
        return proc
    except psutil.Error:
        return None


def stranger(pid: int | None, create_time: float | None) -> str | None:
    """What runs as ``pid`` when it is not the process the lab started (its pid reused, or
    the lab's record wrong): ``pid 123 (haproxy -f ...)``; None when nothing runs there or
    it is ours."""
    if pid is None or _owned(pid, create_time) is not None:
        return None
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        command = " ".join(proc.cmdline())[:80] or proc.name()
    except psutil.Error:
        return None
    return f"pid {pid} ({command})"


def is_running(pid: int | None, create_time: float | None) -> bool:
    return _owned(pid, create_time) is not None


def stop(pid: int | None, create_time: float | None, timeout_s: float = 5.0) -> bool:
    """SIGTERM the process group, SIGKILL after ``timeout_s``; True if something was stopped."""
    proc = _owned(pid, create_time)
    if proc is None:
        return False
    try:
        group = os.getpgid(proc.pid)
        if proc.status() == psutil.STATUS_STOPPED:
            os.killpg(group, signal.SIGCONT)  # a paused process cannot act on SIGTERM
        os.killpg(group, signal.SIGTERM)
    except (ProcessLookupError, psutil.Error):
        return False
    if not _ended_within(proc, timeout_s):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        _ended_within(proc, timeout_s)
    return True


def kill_group(pid: int, create_time: float, pgid: int, timeout_s: float = 5.0) -> bool:
    """SIGKILL the process group ``pgid`` if its leader is still the process we read, and
    wait for the leader to be gone (the signal is delivered at once, the exit is not);
    False if it is still running after ``timeout_s``."""
    proc = _owned(pid, create_time)
    if proc is None:
        return True
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    return _ended_within(proc, timeout_s)


def _ended_within(proc: psutil.Process, timeout_s: float) -> bool:
    """Whether ``proc`` exits within ``timeout_s``. A process that has exited but waits for
    its parent to collect it (a zombie: the lab was started by a process still running,
    such as a pytest session or a scheduler) has ended: waiting for it to vanish would
    take the whole timeout, twice."""
    deadline = time.monotonic() + timeout_s
    while True:
        _reap()  # ours: collected at once
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        except psutil.Error:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def stopped_in_group(pid: int | None, create_time: float | None) -> bool:
    """Whether the process, or any process of its group, is stopped (SIGSTOP, state T)."""
    leader = _owned(pid, create_time)
    if leader is None:
        return False
    try:
        group = os.getpgid(leader.pid)
        members = [leader, *leader.children(recursive=True)]
        return any(
            p.status() == psutil.STATUS_STOPPED
            for p in members
            if p.pid == leader.pid or os.getpgid(p.pid) == group
        )
    except (ProcessLookupError, psutil.Error):
        return False


def thaw_group(pid: int | None, create_time: float | None) -> bool:
    """SIGCONT the process group of a stopped process; True if a signal was sent."""
    leader = _owned(pid, create_time)
    if leader is None:
        return False
    try:
        os.killpg(os.getpgid(leader.pid), signal.SIGCONT)
    except ProcessLookupError:
        return False
    return True
