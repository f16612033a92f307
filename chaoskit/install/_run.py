"""Running an install step with its output kept, and a clear error when it fails."""

from __future__ import annotations

import subprocess
from pathlib import Path

from chaoskit._errors import MissingDependency

__all__ = ["run_step"]


def run_step(
    argv: list[str],
    what: str,
    timeout_s: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> None:
    try:
        done = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except FileNotFoundError as exc:
        raise MissingDependency(f"{what}: {argv[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise MissingDependency(f"{what}: `{' '.join(argv)}` took over {timeout_s:.0f}s") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise MissingDependency(f"{what}: `{' '.join(argv)}` exited {done.returncode}:\n{tail}")
