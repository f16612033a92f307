"""``toxiproxy: {attach: ...}``: a Toxiproxy chaoskit did not start is configured and faulted,
never started or stopped, and only chaoskit's own proxies on it are touched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import psutil
import pytest

from chaoskit.experiment.drift import find_drift
from chaoskit.install import find_toxiproxy
from chaoskit.lab import LocalLab
from chaoskit.lab.health import http_answers, wait_until
from chaoskit.lab.labfile import lab_config_from_file
from chaoskit.lab.process import spawn, stop
from chaoskit.toxiproxy import ToxiproxyAdapter

# xdist: its labs on 127.0.16, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.16")

SUBNET = "127.0.16"
CORP_ZONE = """$ORIGIN corp.example.
$TTL 30
@ IN SOA ns1.corp.example. admin.corp.example. 1 60 60 600 30
@ IN NS ns1.corp.example.
ns1 IN A 127.0.16.53
db IN A 127.0.16.9
"""
THEIRS = ("127.0.16.200", 8474)


@pytest.fixture
def their_toxiproxy(tmp_path: Path) -> Iterator[ToxiproxyAdapter]:
    binary = find_toxiproxy()
    if binary is None:
        pytest.fail("toxiproxy-server is missing: scripts/bootstrap installs it")
    proc = spawn([str(binary), "-host", THEIRS[0], "-port", str(THEIRS[1])], tmp_path / "t.log")
    assert wait_until(lambda: http_answers(*THEIRS, "/version"), 10)
    adapter = ToxiproxyAdapter(*THEIRS)
    adapter.ensure_proxy("someone-elses", "127.0.16.201:7000", "127.0.16.202:7000")
    adapter.add_toxic("someone-elses", "latency", "theirs", {"latency": 100})
    try:
        yield adapter
    finally:
        stop(proc.pid, proc.create_time())


def test_an_attached_toxiproxy_gets_our_proxies_and_keeps_its_own(
    tmp_path: Path, their_toxiproxy: ToxiproxyAdapter
) -> None:
    lab_file = tmp_path / "chaoskit.yaml"
    lab_file.write_text(
        f"subnet: {SUBNET}\nsample_services: false\ntoxiproxy: {{attach: {THEIRS[0]}:8474}}\n"
        f"dependencies:\n  cache:\n    upstream: {SUBNET}.61:6390\nzone_files: [corp.zone]\n"
    )
    (tmp_path / "corp.zone").write_text(CORP_ZONE)
    lab = LocalLab(tmp_path / "state", lab_config_from_file(lab_file))
    lab.up()
    try:
        assert "toxiproxy" not in lab.state.components  # not ours to start
        resolver = lab.config.resolver
        reply = dns.query.udp(dns.message.make_query("db.corp.example.", "A"), resolver.host,
                              port=resolver.port, timeout=2)  # fmt: skip
        assert [r.to_text() for a in reply.answer for r in a] == ["127.0.16.9"]  # zone_files
        proxies = their_toxiproxy.proxies()
        assert {"cache", "someone-elses"} <= set(proxies)
        assert proxies["cache"].listen == f"{SUBNET}.100:6390"
        their_toxiproxy.add_toxic("cache", "latency", "stray", {"latency": 50})
        drift = [d.describe() for d in find_drift(lab, [])]
        assert any("stray" in d for d in drift), drift
        assert not any("theirs" in d for d in drift), drift  # not ours to judge
    finally:
        lab.down()
    assert their_toxiproxy.toxics("cache") == []
    assert [t["name"] for t in their_toxiproxy.toxics("someone-elses")] == ["theirs"]
    assert http_answers(*THEIRS, "/version")  # still running
    assert not any(str(tmp_path / "state") in " ".join(p.info["cmdline"] or [])
                   for p in psutil.process_iter(["cmdline"]))  # fmt: skip
