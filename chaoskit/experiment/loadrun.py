"""Locust in its own processes (gevent's monkey-patching never reaches the controller):
headless, bounded in time, streaming each request's result to the recorder. Forked from the
lab's Locust fork server when it runs one (``chaoskit.load.zygote``: Locust already
imported), else exec'd."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from chaoskit.experiment.model import LoadSpec
from chaoskit.load import GATE_ENV, LOCUSTFILE, PACING_ENV
from chaoskit.load.control import CONTROL_ENV
from chaoskit.load.zygote import ForkError, fork_locust

__all__ = ["LocustRun"]

STREAM_PLUGIN = Path(__file__).resolve().parent.parent / "load" / "stream.py"
SURGEABLE_SHAPE = STREAM_PLUGIN.with_name("shape.py")


class LocustRun:
    """One master (or a single process) plus ``spec.workers`` workers on loopback. Started,
    Locust waits at its gate (``load/stream.py``) until ``release()``: its imports and
    start-up happen while the lab is made ready, not after."""

    def __init__(
        self, spec: LoadSpec, host: str, stream_address: str, max_run_s: float, log_dir: Path,
        base_dir: Path, surge_control: Path | None = None, zygote: Path | None = None,
    ) -> None:  # fmt: skip
        self.spec = spec
        self.host = host
        self.stream_address = stream_address
        self.max_run_s = max_run_s
        self.log_dir = log_dir
        locustfile = LOCUSTFILE if spec.locustfile == "builtin" else base_dir / spec.locustfile
        self.locustfiles = f"{locustfile},{STREAM_PLUGIN}"
        self.surge_control = surge_control
        """With a ``load.surge`` in the method: the file its load shape reads."""
        if surge_control is not None:
            self.locustfiles += f",{SURGEABLE_SHAPE}"
        self._procs: list[subprocess.Popen[bytes] | ForkedProcess] = []
        self.main_log = log_dir / ("locust.log" if spec.workers == 0 else "locust-master.log")
        """The single process's log, or the master's: where Locust says why it ended."""
        self.gate = log_dir / ".load-released"
        self.zygote = zygote
        """The lab's Locust fork server's socket (None: exec every Locust process)."""

    def release(self) -> None:
        """Let the load go: every Locust process starts its users."""
        self.gate.touch()

    def _env(self) -> dict[str, str]:
        env = {**os.environ, "CHAOSKIT_STREAM": self.stream_address, GATE_ENV: str(self.gate)}
        if self.surge_control is not None:
            env[CONTROL_ENV] = str(self.surge_control)
        if self.spec.pacing is not None:
            env[PACING_ENV] = str(self.spec.pacing)
        if self.spec.mix:
            env["CHAOSKIT_MIX"] = ",".join(f"{k}={v}" for k, v in self.spec.mix.items())
        return env

    def _spawn(self, args: list[str], log_name: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        args = ["-f", self.locustfiles, *args]
        if self.zygote is not None:
            try:
                pid = fork_locust(self.zygote, args, self._env(), self.log_dir / log_name,
                                  os.getcwd())  # fmt: skip
                self._procs.append(ForkedProcess(pid))
                return
            except ForkError as exc:  # exec'd, as without one
                with (self.log_dir / log_name).open("a") as said:
                    said.write(f"chaoskit: {exc}; Locust exec'd\n")
                self.zygote = None
        log = (self.log_dir / log_name).open("ab")
        command = [sys.executable, "-m", "locust", *args]
        self._procs.append(
            subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self._env(), start_new_session=True, preexec_fn=die_with_parent,
            )
        )  # fmt: skip

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.gate.unlink(missing_ok=True)
        if self.surge_control is not None:
            self.surge_control.unlink(missing_ok=True)  # no earlier run's surge
        common = [
            "--headless", "--host", self.host, "-u", str(self.spec.users),
            "-r", str(self.spec.spawn_rate), "-t", f"{int(self.max_run_s) + 1}s",
            "--stop-timeout", "2", "--exit-code-on-error", "0", "--only-summary",
            "--csv", str(self.log_dir / "locust"),
        ]  # fmt: skip
        if self.spec.workers == 0:
            self._spawn(common, self.main_log.name)
            return
        port = _free_port()
        self._spawn(
            [*common, "--master", "--master-bind-host", "127.0.0.1",
             "--master-bind-port", str(port), "--expect-workers", str(self.spec.workers)],
            self.main_log.name,
        )  # fmt: skip
        for i in range(self.spec.workers):
            self._spawn(
                ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)],
                f"locust-worker-{i}.log",
            )

    def running(self) -> bool:
        return any(p.poll() is None for p in self._procs)

    def last_words(self) -> str | None:
        """What Locust said last, from its (master's) log: why it ended, when it ended on
        its own (a locustfile that does not import, no User class in it)."""
        return last_error(self.main_log)

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM every Locust process group, SIGKILL what is left after ``timeout_s``."""
        for proc in self._procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self._procs:
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


class ForkedProcess:
    """A Locust process the fork server made: not this process's child (its server's, which
    lets the kernel reap it), so polled and waited on by pid, as ``Popen`` would be."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self._process: psutil.Process | None = psutil.Process(pid)
        except psutil.NoSuchProcess:
            self._process = None

    def poll(self) -> int | None:
        """None while it runs; 0 once it has ended (its status went to its server)."""
        try:
            alive = self._process is not None and self._process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            alive = False
        return None if alive else 0

    def wait(self, timeout: float | None = None) -> int:
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except psutil.TimeoutExpired:
                raise subprocess.TimeoutExpired(f"locust (pid {self.pid})", timeout or 0) from None
            except psutil.NoSuchProcess:
                pass
        return 0


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this child when the controller dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_LOGGED_ERROR = re.compile(r"^\[[^\]]*\] \S+/(?:ERROR|CRITICAL)/\S+: (.+)$")
_TRACEBACK_FRAME = re.compile(r'^File "([^"]+)", line (\d+)')


def last_error(log: Path, tail_bytes: int = 4096) -> str | None:
    """The last line of ``log``: an error Locust logged, without its prefix, or the last
    line of a traceback, with the file and line of its innermost frame."""
    try:
        with log.open("rb") as source:
            source.seek(max(0, source.seek(0, os.SEEK_END) - tail_bytes))
            lines = [line.strip() for line in source.read().decode(errors="replace").splitlines()]
    except OSError:
        return None
    lines = [line for line in lines if line]
    if not lines:
        return None
    last = lines[-1]
    if logged := _LOGGED_ERROR.match(last):
        return logged.group(1)
    frames = [m for line in lines[-8:] if (m := _TRACEBACK_FRAME.match(line))]
    return f"{last} ({frames[-1].group(1)}:{frames[-1].group(2)})" if frames else last
