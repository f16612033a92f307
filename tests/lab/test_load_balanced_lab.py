"""The sample stack behind its load balancer, as ``load_balancer:`` in a lab file brings it
up: HAProxy, three gateways and the control plane, each a component of the local lab."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import dns.message
import dns.query
import httpx
import psutil
import pytest

from chaoskit.lab import LocalLab
from chaoskit.lab.config import LabConfig
from chaoskit.lab.health import wait_until
from chaoskit.lab.labfile import lab_config_from_file

# xdist: its lab on 127.0.28, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.28")


def _resolved(config: LabConfig, name: str) -> list[str]:
    """``name`` through the lab resolver, as a client asks."""
    query = dns.message.make_query(name, "A")
    reply = dns.query.udp(query, config.resolver.host, port=config.resolver.port, timeout=2)
    return sorted(rr.address for rrset in reply.answer for rr in rrset)


def _serving(lab: LocalLab) -> set[str]:
    url = f"http://{lab.config.lb.controller}/targets"
    return {n for n, t in httpx.get(url, timeout=2).json()["targets"].items() if t["in_service"]}


def test_a_lab_file_puts_the_gateways_behind_a_load_balancer(tmp_path: Path) -> None:
    lab_file = tmp_path / "chaoskit.yaml"
    lab_file.write_text("subnet: 127.0.28\nload_balancer: {replicas: 3}\n")
    config = lab_config_from_file(lab_file)
    assert config.load_balanced and config.lb.targets() == ["gateway", "gateway-2", "gateway-3"]
    lab = LocalLab(tmp_path / "state", config, dynamodb="local")
    lab.up()
    pids = []
    try:
        components = lab.status()["components"]
        for name in ("haproxy", "gateway-2", "gateway-3", "lb"):
            assert components[name]["healthy"], components[name]
        pids = [c.pid for c in lab.state.components.values() if c.pid]
        nodes = [n.host for n in config.lb.nodes]
        assert components["haproxy"]["endpoint"]["record"] == "lb.lab.test."
        assert wait_until(lambda: _resolved(config, "lb.lab.test") == nodes, 10)

        with httpx.Client(timeout=5, headers={"Connection": "close"}) as client:
            answered = {client.get(f"http://{nodes[1]}:8080/health").json()["service"]
                        for _ in range(6)}  # fmt: skip
            assert answered == {"gateway", "gateway-2", "gateway-3"}
            assert client.get(f"http://{nodes[0]}:8080/orders").status_code == 200

        os.kill(lab.state.components["gateway-2"].pid or 0, signal.SIGKILL)
        assert wait_until(lambda: _serving(lab) == {"gateway", "gateway-3"}, 10), _serving(lab)
        assert wait_until(lambda: _resolved(config, "lb.lab.test") == [nodes[0], nodes[2]], 15)
        lab.up()  # brings gateway-2 back; the control plane puts it back in service
        everyone = {"gateway", "gateway-2", "gateway-3"}
        assert wait_until(lambda: _serving(lab) == everyone, 10), _serving(lab)
    finally:
        stopped = lab.down()
    assert {"haproxy", "gateway-2", "gateway-3", "lb"} <= set(stopped)
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in pids)
