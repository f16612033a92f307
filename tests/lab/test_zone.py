"""A lab in a zone of the team's own (``zone: corp.internal``): the DNS server is its
authority, the resolver asks it for it and refuses lab.test, the sample services use its
names, and experiments target them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import httpx
import pytest

from chaoskit.lab import LocalLab, catalogue
from chaoskit.lab.labfile import lab_config_from_file
from tests.helpers import run_cli

# xdist: its labs on 127.0.17, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.17")

SUBNET = "127.0.17"
LAB_FILE = f"""zone: corp.internal
subnet: {SUBNET}
dependencies:
  cache:
    upstream: {SUBNET}.61:6390
"""
BLANK = """title: blank {target}
method:
  - fault: dns.blank
    target: {target}
    duration: 2s
"""


@pytest.fixture(scope="module")
def lab_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corp") / "chaoskit.yaml"
    path.write_text(LAB_FILE)
    return path


def test_every_lab_name_is_in_the_lab_files_zone(lab_file: Path) -> None:
    config = lab_config_from_file(lab_file)
    assert config.zone == "corp.internal."
    assert catalogue.lab_records(config) == [
        ("dynamodb.us-east-1.corp.internal.", f"{SUBNET}.11"),
        ("dynamodb.us-west-2.corp.internal.", f"{SUBNET}.12"),
        ("cache.corp.internal.", f"{SUBNET}.100"),
    ]


def test_experiments_are_validated_against_the_zone(lab_file: Path, tmp_path: Path) -> None:
    ours = tmp_path / "ours.yaml"
    ours.write_text(BLANK.format(target="cache.corp.internal"))
    done = run_cli("--lab", str(lab_file), "validate", str(ours))
    assert done.returncode == 0, done.stdout + done.stderr
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(BLANK.format(target="cache.lab.test"))
    done = run_cli("--lab", str(lab_file), "validate", str(elsewhere))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "elsewhere.yaml:4:" in done.stderr and "cache.corp.internal." in done.stderr
    assert "Traceback" not in done.stderr


def test_on_the_compose_backend_a_dependency_on_the_hosts_loopback_is_refused(
    lab_file: Path, tmp_path: Path
) -> None:
    """The zone is the compose lab's too; the dependency's loopback upstream is not, and
    nothing starts (tests/lab/test_labfile.py has the zone on compose)."""
    done = run_cli("--state-dir", str(tmp_path), "--lab", str(lab_file), "up",
                   "--backend", "compose")  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "chaoskit.yaml:5:5: dependencies.cache.upstream:" in done.stderr
    assert "Toxiproxy's container cannot reach" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "state.json").exists()


@pytest.fixture(scope="module")
def corp_lab(lab_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLab]:
    lab = LocalLab(tmp_path_factory.mktemp("corp-state"), lab_config_from_file(lab_file))
    lab.up()
    try:
        yield lab
    finally:
        lab.down()


def _ask(server: tuple[str, int], name: str, kind: str = "A") -> dns.message.Message:
    query = dns.message.make_query(name, kind)
    return dns.query.udp(query, server[0], port=server[1], timeout=2)


def test_the_dns_tier_serves_the_zone_and_refuses_lab_test(corp_lab: LocalLab) -> None:
    authority = (corp_lab.config.dns.host, corp_lab.config.dns.port)
    resolver = (corp_lab.config.resolver.host, corp_lab.config.resolver.port)
    soa = _ask(authority, "corp.internal.", "SOA")
    assert soa.rcode() == dns.rcode.NOERROR and soa.flags & dns.flags.AA
    assert soa.answer[0].rdtype == dns.rdatatype.SOA
    reply = _ask(resolver, "cache.corp.internal.")
    assert [r.to_text() for a in reply.answer for r in a] == [f"{SUBNET}.100"]
    assert _ask(resolver, "dynamodb.us-east-1.lab.test.").rcode() == dns.rcode.REFUSED


def test_the_sample_services_resolve_the_zones_names(corp_lab: LocalLab) -> None:
    orders = f"http://{corp_lab.config.services.orders}"
    created = httpx.post(f"{orders}/orders", json={"item": "widget", "quantity": 1}, timeout=10)
    assert created.status_code == 201, created.text
    with corp_lab.dns_admin() as admin:
        admin.add_fault("blank", "dynamodb.us-east-1.corp.internal", duration_s=30)
    try:
        answer = httpx.get(f"{orders}/orders/{created.json()['id']}", timeout=10)
    finally:
        with corp_lab.dns_admin() as admin:
            admin.lift_all()
    assert answer.status_code == 503 and answer.json()["error"] == "dns", answer.text
    after = httpx.get(f"{orders}/orders/{created.json()['id']}", timeout=10)
    assert after.status_code == 200, after.text
