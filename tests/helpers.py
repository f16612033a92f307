"""Helpers shared by the test suite: free ports, waiting, running the CLI."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


def free_port(host: str = "127.0.0.1", udp_too: bool = True) -> int:
    """A port free for TCP (and UDP) on ``host``."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            if not udp_too:
                return int(port)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return int(port)
    raise RuntimeError("no free port")


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``chaoskit ARGS`` as a user would, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "chaoskit", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout, check=False,
    )  # fmt: skip
