"""``dns: {attach, admin, token_file}``: a ``chaoskit dns serve`` that chaoskit did not start
gets the lab's records and its faults, is never started or stopped, and only the faults on
the lab's own names are chaoskit's to judge and lift."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest

from chaoskit._errors import ComponentError
from chaoskit.api import Lab
from chaoskit.dns.client import DnsAdminClient
from chaoskit.experiment.drift import find_drift
from chaoskit.lab import LocalLab
from chaoskit.lab.health import dns_answers, wait_until
from chaoskit.lab.labfile import lab_config_from_file
from chaoskit.lab.process import is_running, spawn, stop

# xdist: its labs on 127.0.19, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.19")

SUBNET = "127.0.19"
THEIRS = f"{SUBNET}.153"
LAB_ZONE = f"""$ORIGIN lab.test.
$TTL 5
@ IN SOA ns1.lab.test. admin.lab.test. 1 60 60 600 5
@ IN NS ns1.lab.test.
ns1 IN A {THEIRS}
theirs IN A {SUBNET}.250
"""
CORP_ZONE = LAB_ZONE.replace("lab.test.", "corp.example.")


def _their_server(tmp_path: Path, zone_text: str) -> Iterator[tuple[DnsAdminClient, int]]:
    (tmp_path / "their.zone").write_text(zone_text)
    proc = spawn(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(tmp_path / "theirs"), "dns", "serve",
         "--zone", str(tmp_path / "their.zone"), "--listen", THEIRS, "--port", "5353",
         "--admin-port", "8053", "--token-file", str(tmp_path / "their.token")],
        tmp_path / "their-dns.log",
    )  # fmt: skip
    origin = zone_text.split()[1]
    assert wait_until(lambda: dns_answers(THEIRS, 5353, origin), 20), (
        tmp_path / "their-dns.log"
    ).read_text()
    admin = DnsAdminClient.from_token_file(
        f"http://{THEIRS}:8053", tmp_path / "their.token", actor="them"
    )
    try:
        yield admin, proc.pid
    finally:
        admin.close()
        stop(proc.pid, proc.create_time())


@pytest.fixture
def their_dns(tmp_path: Path) -> Iterator[tuple[DnsAdminClient, int]]:
    yield from _their_server(tmp_path, LAB_ZONE)


def _lab_file(tmp_path: Path) -> Path:
    lab_file = tmp_path / "chaoskit.yaml"
    lab_file.write_text(
        f"subnet: {SUBNET}\nsample_services: false\n"
        f"dns: {{attach: '{THEIRS}:5353', admin: '{THEIRS}:8053', token_file: their.token}}\n"
        f"dependencies:\n  cache:\n    upstream: {SUBNET}.61:6390\n"
    )
    return lab_file


def _a(name: str, host: str, port: int) -> tuple[str, list[str]]:
    reply = dns.query.udp(dns.message.make_query(name, "A"), host, port=port, timeout=2)
    return dns.rcode.to_text(reply.rcode()), [r.to_text() for a in reply.answer for r in a]


def test_an_attached_dns_server_gets_the_records_and_faults_but_keeps_its_own(
    tmp_path: Path, their_dns: tuple[DnsAdminClient, int]
) -> None:
    admin, pid = their_dns
    admin.add_fault("blank", "theirs.lab.test", duration_s=600)  # someone else's
    lab = LocalLab(tmp_path / "state", lab_config_from_file(_lab_file(tmp_path)))
    lab.up()
    try:
        assert "dns" not in lab.state.components  # not ours to start
        assert lab.status()["dns_attached"] is True
        assert _a("cache.lab.test.", THEIRS, 5353) == ("NOERROR", [f"{SUBNET}.100"])
        resolver = lab.config.resolver  # the lab resolver asks their server for the lab zone
        assert _a("cache.lab.test.", resolver.host, resolver.port) == ("NOERROR", [f"{SUBNET}.100"])
        assert not any("theirs" in d.describe() for d in find_drift(lab, []))
        with (
            Lab.open(state_dir=lab.state_dir) as opened,
            opened.fault("dns.blank", "cache.lab.test", duration="30s"),
        ):
            assert _a("cache.lab.test.", THEIRS, 5353) == ("NOERROR", [])
        assert _a("cache.lab.test.", THEIRS, 5353) == ("NOERROR", [f"{SUBNET}.100"])
        admin.delete_record("cache.lab.test", "A")  # a record gone: drift, which configure mends
        drift = [d for d in find_drift(lab, []) if "lab records missing" in d.problem]
        assert drift and drift[0].remedy == "reload the lab zone"
        drift[0].repair()
        assert _a("cache.lab.test.", THEIRS, 5353) == ("NOERROR", [f"{SUBNET}.100"])
        admin.add_fault("blank", "cache.lab.test", duration_s=600)  # a fault on a lab name
        assert any("has no ledger entry" in d.problem for d in find_drift(lab, []))
    finally:
        lab.down()
    assert is_running(pid, None)  # their server is still up
    faults = {f["name"]: f["actor"] for f in admin.faults()}
    assert faults == {"theirs.lab.test": "them"}  # ours lifted, theirs kept
    time.sleep(0.1)


def test_a_server_that_does_not_serve_the_lab_zone_is_a_clear_error(tmp_path: Path) -> None:
    for _ in _their_server(tmp_path, CORP_ZONE):
        lab = LocalLab(tmp_path / "state", lab_config_from_file(_lab_file(tmp_path)))
        with pytest.raises(ComponentError, match=r"does not serve lab\.test\. \(it serves "
                           r"corp\.example\.\): start it with a zone file"):  # fmt: skip
            lab.up()
        lab.down()


def test_an_attached_server_that_does_not_answer_is_a_clear_error(tmp_path: Path) -> None:
    lab = LocalLab(tmp_path / "state", lab_config_from_file(_lab_file(tmp_path)))
    with pytest.raises(ComponentError, match=rf"admin API at {THEIRS}:8053 .* does not answer"):
        lab.up()
    assert not lab.state.components  # nothing was started
