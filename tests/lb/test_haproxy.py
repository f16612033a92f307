"""The load balancer's data plane, against Debian's HAProxy: its configuration and the
runtime API that takes targets out of service and puts them back."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from chaoskit.lab.components import haproxy_layout
from chaoskit.lab.config import Endpoint
from chaoskit.lb.haproxy import (
    HaproxyError,
    HaproxyLayout,
    HaproxyRuntime,
    haproxy_binary,
    haproxy_version,
    render_haproxy_config,
)
from tests.lb.fixtures import Target, lb_config

# xdist: the load balancer's addresses on 127.0.27, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.27")


def _through(node: Endpoint, requests: int = 30) -> list[str]:
    """Who answered each request sent through ``node``, one connection each."""
    with httpx.Client(timeout=2, headers={"Connection": "close"}) as client:
        return [client.get(f"http://{node}/work").text for _ in range(requests)]


def test_the_configuration_is_one_haproxy_accepts(tmp_path: Path) -> None:
    path = tmp_path / "haproxy.cfg"
    path.write_text(render_haproxy_config(haproxy_layout(lb_config())))
    binary = haproxy_binary()
    assert binary
    checked = subprocess.run([binary, "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert haproxy_version(binary).startswith("HAProxy 2.")


def test_a_server_name_haproxy_would_reject_is_refused_before_it_starts() -> None:
    layout = HaproxyLayout(
        nodes=(Endpoint(host="127.0.0.1", port=8080),),
        runtime=Endpoint(host="127.0.0.1", port=9999),
        targets=(("two words", Endpoint(host="127.0.0.1", port=1)),),
    )
    with pytest.raises(ValueError, match="two words"):
        render_haproxy_config(layout)


def test_every_node_spreads_requests_over_every_target(
    haproxy: HaproxyRuntime, targets: dict[str, Target]
) -> None:
    for node in lb_config().lb.nodes:
        assert set(_through(node, 9)) == set(targets)
    assert haproxy.in_service() == set(targets)


def test_a_target_out_of_service_gets_no_requests_and_loses_its_connections(
    haproxy: HaproxyRuntime, targets: dict[str, Target]
) -> None:
    node = lb_config().lb.nodes[0]
    held = []
    for _ in range(6):  # open connections, some to gateway-2
        conn = socket.create_connection((node.host, node.port), timeout=2)
        held.append(conn)
    haproxy.set_in_service("gateway-2", False)
    assert haproxy.servers()["gateway-2"].startswith("MAINT")
    assert haproxy.in_service() == {"gateway", "gateway-3"}
    before = targets["gateway-2"].hits
    assert set(_through(node)) == {"gateway", "gateway-3"}
    assert targets["gateway-2"].hits == before
    closed = 0
    for conn in held:  # HAProxy shut the sessions to gateway-2: those read EOF
        conn.settimeout(0.5)
        with contextlib.suppress(TimeoutError):
            closed += conn.recv(1) == b""
        conn.close()
    assert closed >= 1
    haproxy.set_in_service("gateway-2", True)
    assert set(_through(node)) == set(targets)


def test_a_command_haproxy_refuses_is_an_error_naming_it(haproxy: HaproxyRuntime) -> None:
    with pytest.raises(HaproxyError, match="no-such-server"):
        haproxy.set_in_service("no-such-server", False)


def test_a_runtime_api_that_does_not_answer_is_an_error_naming_its_address() -> None:
    runtime = HaproxyRuntime(Endpoint(host="127.0.27.99", port=9), timeout_s=0.5)
    assert not runtime.answers()
    with pytest.raises(HaproxyError, match=re.escape("127.0.27.99:9")):
        runtime.servers()
