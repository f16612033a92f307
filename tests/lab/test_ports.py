"""Who holds a port the lab wants: the process, and the other lab it belongs to."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from chaoskit._errors import PortInUse
from chaoskit.lab.health import wait_until
from chaoskit.lab.ports import ensure_free, port_owner
from tests.helpers import free_port

LISTENER = (
    "import socket, sys, time; s = socket.socket(); "
    "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); print('ready', flush=True); "
    "time.sleep(60)"
)


@contextmanager
def listening(port: int, output: Path) -> Iterator[int]:
    """A process listening on 127.0.0.1:``port`` with its output in ``output``: its pid."""
    with output.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-c", LISTENER, str(port)], stdout=sink)
    try:
        assert wait_until(lambda: "ready" in output.read_text(), 10), "the listener never listened"
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_a_port_held_by_another_labs_component_names_that_lab_and_how_to_stop_it(
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "other" / ".chaoskit"
    (state_dir / "logs").mkdir(parents=True)
    (state_dir / "state.json").write_text("{}")
    port = free_port(udp_too=False)
    log = state_dir / "logs" / "toxiproxy.log"
    with listening(port, log) as pid, pytest.raises(PortInUse) as caught:
        ensure_free("toxiproxy", "127.0.0.1", port)
    message = str(caught.value)
    assert message.startswith(f"toxiproxy: 127.0.0.1:{port} is already in use by python")
    assert message.endswith(
        f" (pid {pid}), the toxiproxy of the lab in {state_dir}: stop that lab "
        f"(`chaoskit --state-dir {state_dir} down`) or give this one another `subnet` in its "
        "lab file"
    )


def test_a_port_held_by_any_other_process_names_the_process_alone(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()  # a log directory, but no lab beside it
    port = free_port(udp_too=False)
    with listening(port, tmp_path / "logs" / "dns.log") as pid:
        owner = port_owner("127.0.0.1", port)
    assert owner is not None and owner.endswith(f"(pid {pid})")
