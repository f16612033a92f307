"""A controller reduced to one fault, for the kill tests: injects it exactly as a run does
(``inject_fault``), then reverts it (``revert_fault``), dying wherever ``CHAOSKIT_KILL_AT``
says.

    python -m tests.experiment.kill_harness STATE_DIR KIND TARGET PARAMS_JSON DURATION GRACE

or, for a test session that kills hundreds of them, as a zygote that has imported chaoskit
once and forks a controller per request (``--serve``; ``Zygote`` is its client): each
child is its own process, with its own pid in the ledger, SIGKILLed at its boundary like
one started afresh, without paying ~0.6 s of imports first.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from chaoskit.experiment.injection import inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab.open import open_lab

RUN = "kill-test"
ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    state_dir, kind, target, params, duration, grace = argv
    lab = open_lab(Path(state_dir), auto_default="local")
    ledger = Ledger(lab.state_dir)
    now = time.time()
    entry = LedgerEntry(
        run=RUN, kind=kind, target=target, params=json.loads(params),
        duration_s=float(duration), written_at=now,
        expires_at=now + float(duration) + float(grace),
    )  # fmt: skip
    entry = inject_fault(lab, ledger, entry)
    print(f"injected {entry.id}", flush=True)
    outcome = revert_fault(lab, ledger, entry)
    return 0 if outcome.verified else 1


def _preload() -> None:
    """What a controller of either backend imports on its way to a fault."""
    for name in ("chaoskit.lab.compose", "chaoskit.lab.docker_engine", "chaoskit.lab.labfile"):
        importlib.import_module(name)


def _child(argv: list[str], env: dict[str, str], output: str) -> None:
    """In the forked child: the request's environment and output, then ``main``; never
    returns."""
    code = 1
    try:
        os.environ.clear()
        os.environ.update(env)
        out = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        code = main(argv)
    except BaseException:  # whatever it is goes to the output, as a crash's would
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """One request per line on stdin (``argv``, ``env``, ``output``); each answered, once
    its child has ended, with the child's return code (negative: the signal that ended
    it). Ends at the end of stdin."""
    _preload()
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            request = json.loads(line)
            _child(request["argv"], request["env"], request["output"])
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


class Zygote:
    """The test side of ``--serve``: started on first use, ended with ``close``."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None

    def run(self, argv: list[str], env: dict[str, str], output: Path, timeout: float) -> int:
        """One controller's return code; its stdout and stderr are in ``output``."""
        process = self._process
        if process is None or process.poll() is not None:
            process = self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.experiment.kill_harness", "--serve"],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                start_new_session=True,
            )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        request = {"argv": argv, "env": env, "output": str(output)}
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        line = process.stdout.readline() if ready else ""
        if not line:
            self.close(kill=True)
            said = output.read_text(errors="replace") if output.exists() else "(no output)"
            raise AssertionError(f"no controller's end within {timeout} s: {said}")
        return int(json.loads(line)["returncode"])

    def close(self, kill: bool = False) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if kill:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            assert process.stdin is not None
            process.stdin.close()
        process.wait(timeout=10)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        sys.exit(main(sys.argv[1:]))
