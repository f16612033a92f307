"""``chaoskit dns`` as a user types it: clear errors, exit codes, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.dns.fixtures import DnsServer
from tests.helpers import run_cli


def _admin_args(server: DnsServer, tmp_path: Path) -> list[str]:
    token = tmp_path / "token"
    token.write_text(server.token)
    return ["--admin-url", server.admin_url, "--token-file", str(token)]


def test_fault_list_and_lift_through_the_cli(server: DnsServer, tmp_path: Path) -> None:
    admin = _admin_args(server, tmp_path)
    done = run_cli(
        "dns", "fault", "delay", "www.zone.test", "--duration", "30", "-p", "ms=50", *admin
    )
    assert done.returncode == 0, done.stderr
    fault_id = done.stdout.split(":")[0].strip()
    listed = json.loads(run_cli("dns", "list", "--json", *admin).stdout)
    assert [f["id"] for f in listed["faults"]] == [fault_id]
    assert listed["faults"][0]["params"]["ms"] == 50
    assert any(r["name"] == "www.zone.test." for r in listed["records"])
    lifted = run_cli("dns", "lift", fault_id, *admin)
    assert lifted.returncode == 0 and fault_id in lifted.stdout


def test_bad_input_exits_2_with_one_clear_line(server: DnsServer, tmp_path: Path) -> None:
    admin = _admin_args(server, tmp_path)
    bad_param = run_cli("dns", "fault", "delay", "www.zone.test", "-p", "ms", *admin)
    assert bad_param.returncode == 2
    assert "expected KEY=VALUE" in bad_param.stderr
    neither = run_cli("dns", "lift", *admin)
    assert neither.returncode == 2
    for done in (bad_param, neither):
        assert "Traceback" not in done.stderr + done.stdout


def test_api_refusals_exit_1_with_the_servers_reason(server: DnsServer, tmp_path: Path) -> None:
    done = run_cli("dns", "fault", "explode", "www.zone.test", *_admin_args(server, tmp_path))
    assert done.returncode == 1
    assert "unknown fault kind 'explode'" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_rejects_a_broken_zone_file_with_file_and_line(tmp_path: Path) -> None:
    zone = tmp_path / "broken.zone"
    zone.write_text(
        "$ORIGIN broken.test.\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 999.1.1.1\n"
    )
    done = run_cli("dns", "serve", "--zone", str(zone), "--port", "0")
    assert done.returncode == 2
    assert f"{zone}:4: Text input is malformed: ns IN A 999.1.1.1" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_rejects_a_zone_without_soa(tmp_path: Path) -> None:
    zone = tmp_path / "nosoa.zone"
    zone.write_text("$ORIGIN nosoa.test.\n$TTL 60\n@ IN NS ns\nns IN A 127.0.0.1\n")
    done = run_cli("dns", "serve", "--zone", str(zone), "--port", "0")
    assert done.returncode == 2
    assert "no SOA" in done.stderr


def test_serve_rejects_an_unknown_udp_listener_before_binding(tmp_path: Path) -> None:
    zone = tmp_path / "ok.zone"
    zone.write_text("$ORIGIN ok.test.\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 127.0.0.1\n")
    done = run_cli("dns", "serve", "--zone", str(zone), "--port", "0", "--udp", "turbo")
    assert done.returncode == 2
    assert "--udp (or CHAOSKIT_DNS_UDP): expected batched or loop, got 'turbo'" in done.stderr
    assert "Traceback" not in done.stderr
