"""A Locust fork server of a test's own (``chaoskit.load.zygote``), for the tests of it and
of the runs that fork their Locust from it."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from chaoskit.lab.health import wait_until


def accepts(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
        return True


@contextlib.contextmanager
def running_loadserver(path: Path) -> Iterator[Path]:
    """A Locust fork server listening at ``path``; stopped after, its socket gone."""
    server = subprocess.Popen([sys.executable, "-m", "chaoskit.load.zygote", str(path)])
    try:
        assert wait_until(lambda: accepts(path), 30), "the Locust fork server did not listen"
        yield path
    finally:
        server.terminate()
        server.wait(10)
    assert not path.exists()
