"""``chaoskit dns`` as a user types it: clear errors, exit codes, no tracebacks."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from chaoskit.lab.health import wait_until
from tests.dns.fixtures import TEST_ZONE, DnsServer
from tests.helpers import free_port, run_cli


def _admin_args(server: DnsServer, tmp_path: Path) -> list[str]:
    token = tmp_path / "token"
    token.write_text(server.token)
    return ["--admin-url", server.admin_url, "--token-file", str(token)]


def test_fault_list_and_lift_through_the_cli(server: DnsServer, tmp_path: Path) -> None:
    admin = _admin_args(server, tmp_path)
    done = run_cli(
        "dns", "fault", "delay", "www.zone.test", "--duration", "2m", "-p", "ms=50", *admin
    )
    assert done.returncode == 0, done.stderr
    fault_id = done.stdout.split(":")[0].strip()
    listed = json.loads(run_cli("dns", "list", "--json", *admin).stdout)
    assert [f["id"] for f in listed["faults"]] == [fault_id]
    assert listed["faults"][0]["params"]["ms"] == 50
    assert listed["faults"][0]["duration_s"] == 120  # written as in experiment files
    assert any(r["name"] == "www.zone.test." for r in listed["records"])
    lifted = run_cli("dns", "lift", fault_id, *admin)
    assert lifted.returncode == 0 and fault_id in lifted.stdout


def test_a_fault_on_a_name_no_record_has_is_put_in_and_named(
    server: DnsServer, tmp_path: Path
) -> None:
    """A mistyped name was faulted without a word: the fault changed nothing a client of the
    real name saw. It is still put in (a record of that name may come), with a note."""
    admin = _admin_args(server, tmp_path)
    typo = run_cli("dns", "fault", "blank", "ww.zone.test", "--duration", "5s", *admin)
    assert typo.returncode == 0, typo.stderr
    assert "note: no name served now matches ww.zone.test (did you mean www.zone.test.?)" in (
        typo.stderr
    )
    for reached in ("WWW.zone.test.", "*.zone.test", "x.wild.zone.test", "a.b.deep.zone.test"):
        done = run_cli("dns", "fault", "blank", reached, "--duration", "5s", *admin)
        assert done.returncode == 0 and "note:" not in done.stderr, (reached, done.stderr)
    run_cli("dns", "lift", "--all", *admin)


def test_a_record_with_brackets_is_set_and_listed_as_written(
    server: DnsServer, tmp_path: Path
) -> None:
    """Rich read '[/x]' in a TXT string as a closing tag: ``dns set`` changed the record,
    then ended on a MarkupError traceback (exit 1), and ``dns list`` could not list it."""
    admin = _admin_args(server, tmp_path)
    done = run_cli("dns", "set", "note.zone.test", "TXT", '"[/x] [prod] hello"', *admin)
    assert done.returncode == 0, done.stderr
    assert '"[/x] [prod] hello"' in done.stdout
    listed = run_cli("dns", "list", *admin)
    assert listed.returncode == 0, listed.stderr
    assert '"[/x] [prod] hello"' in listed.stdout


def test_bad_input_exits_2_with_one_clear_line(server: DnsServer, tmp_path: Path) -> None:
    admin = _admin_args(server, tmp_path)
    bad_param = run_cli("dns", "fault", "delay", "www.zone.test", "-p", "ms", *admin)
    assert bad_param.returncode == 2
    assert "expected KEY=VALUE" in bad_param.stderr
    neither = run_cli("dns", "lift", *admin)
    assert neither.returncode == 2
    endless = run_cli("dns", "fault", "blank", "www.zone.test", "--duration", "inf", *admin)
    assert endless.returncode == 2
    assert "expected a duration such as 10s, 500ms or 2m, got 'inf'" in " ".join(
        endless.stderr.replace("│", " ").split()
    )
    for done in (bad_param, neither, endless):
        assert "Traceback" not in done.stderr + done.stdout


def test_what_the_server_refuses_as_bad_input_exits_2_with_its_reason(
    server: DnsServer, tmp_path: Path
) -> None:
    admin = _admin_args(server, tmp_path)
    for args, reason in (
        (["fault", "explode", "www.zone.test"], "unknown fault kind 'explode'"),
        (["fault", "blank", "www.zone.tset"], "'www.zone.tset' can match no name in the zones"),
        (["fault", "delay", "www.zone.test", "-p", "ms=1e999"], "ms: Input should be a finite"),
        (["fault", "blank", "www..zone.test"], "'www..zone.test' is not a domain name"),
        (["set", "www..zone.test", "A", "127.0.0.9"], "'www..zone.test' is not a domain name"),
        (["set", "www.zone.test", "CNAME", "alias.zone.test"], "a CNAME cannot sit beside"),
    ):
        done = run_cli("dns", *args, *admin)
        assert done.returncode == 2, (args, done.stderr)
        assert reason in done.stderr
        assert "Traceback" not in done.stderr
    missing = run_cli("dns", "lift", "dnsf-00000000", *admin)
    assert missing.returncode == 1  # not bad input: nothing of that id is in force
    assert "no fault dnsf-00000000" in missing.stderr


def test_serve_rejects_a_broken_zone_file_with_file_and_line(tmp_path: Path) -> None:
    zone = tmp_path / "broken.zone"
    zone.write_text(
        "$ORIGIN broken.test.\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 999.1.1.1\n"
    )
    done = run_cli("dns", "serve", "--zone", str(zone), "--port", "0")
    assert done.returncode == 2
    assert f"{zone}:4: Text input is malformed: ns IN A 999.1.1.1" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_what_it_could_not_bind_or_serve_before_it_binds(tmp_path: Path) -> None:
    zone = tmp_path / "ok.zone"
    zone.write_text("$ORIGIN ok.test.\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 127.0.0.1\n")
    again = tmp_path / "again.zone"
    again.write_text(zone.read_text())
    for args, expected in (
        (["--port", "70000"], "Invalid value for '--port'"),  # was an OverflowError trace
        (["--admin-port", "-1"], "Invalid value for '--admin-port'"),
        (["--zone", str(again), "--port", "0"], f"--zone {again}: serves ok.test., as --zone"),
    ):
        done = run_cli("dns", "serve", "--zone", str(zone), *args)
        assert done.returncode == 2, (args, done.stderr)
        assert expected in done.stderr
        assert "Traceback" not in done.stderr


def test_serve_rejects_a_zone_without_soa(tmp_path: Path) -> None:
    zone = tmp_path / "nosoa.zone"
    zone.write_text("$ORIGIN nosoa.test.\n$TTL 60\n@ IN NS ns\nns IN A 127.0.0.1\n")
    done = run_cli("dns", "serve", "--zone", str(zone), "--port", "0")
    assert done.returncode == 2
    assert "no SOA" in done.stderr


def test_serve_rejects_an_unknown_udp_listener_before_binding(tmp_path: Path) -> None:
    done = run_cli(
        "dns", "serve", "--zone", str(_ok_zone(tmp_path)), "--port", "0", "--udp", "turbo"
    )
    assert done.returncode == 2
    assert "--udp (or CHAOSKIT_DNS_UDP): expected batched or loop, got 'turbo'" in done.stderr
    assert "Traceback" not in done.stderr


def _ok_zone(tmp_path: Path) -> Path:
    zone = tmp_path / "ok.zone"
    zone.write_text("$ORIGIN ok.test.\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 127.0.0.1\n")
    return zone


def test_serve_on_a_taken_port_names_it_and_its_owner_and_serves_nothing(tmp_path: Path) -> None:
    zone = _ok_zone(tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        admin_port, dns_port = taken.getsockname()[1], free_port()
        done = run_cli("dns", "serve", "--zone", str(zone), "--listen", "127.0.0.1",
                       "--port", str(dns_port), "--admin-port", str(admin_port))  # fmt: skip
    assert done.returncode == 1
    assert f"error: dns serve, admin API: 127.0.0.1:{admin_port} is already in use by " in (
        done.stderr
    )
    # the admin API is bound before DNS: a server that cannot be managed never answers
    assert "UDP answered" not in done.stderr
    dns_port, admin_port = free_port(), free_port(udp_too=False)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        # a port free for TCP too: TCP is bound before UDP, and an ephemeral UDP port's
        # number may be any process's TCP port
        taken.bind(("127.0.0.1", dns_port))
        udp = run_cli("dns", "serve", "--zone", str(zone), "--listen", "127.0.0.1",
                      "--port", str(dns_port), "--admin-port", str(admin_port))  # fmt: skip
    assert udp.returncode == 1
    assert f"error: dns serve, DNS over UDP: 127.0.0.1:{dns_port} is already in use" in udp.stderr
    for failed in (done, udp):
        assert "Traceback" not in failed.stderr + failed.stdout


def test_serve_on_an_address_the_machine_does_not_have_says_so(tmp_path: Path) -> None:
    done = run_cli("dns", "serve", "--zone", str(_ok_zone(tmp_path)), "--listen", "192.0.2.1")
    assert done.returncode == 1
    assert "error: dns serve, admin API: cannot listen on 192.0.2.1:8053: Cannot assign" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("url", ["http://[::1:8053", "127.0.0.1:8053", "http://127.0.0.1:99999"])
def test_an_admin_url_that_is_not_one_is_exit_2(tmp_path: Path, url: str) -> None:
    """An unclosed IPv6 bracket ended in a traceback (httpx.InvalidURL), a URL without its
    scheme in `Request URL is missing an 'http://' or 'https://' protocol`."""
    (tmp_path / "token").write_text("t\n")
    done = run_cli("dns", "list", "--admin-url", url, "--token-file", str(tmp_path / "token"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: --admin-url: expected an http:// or https:// URL "
                                  f"such as http://127.0.0.1:8053, got '{url}'")  # fmt: skip


@pytest.mark.parametrize("leftover_token", [False, True], ids=["never-up", "was-up"])
def test_admin_commands_without_a_lab_or_a_server_say_how_to_get_one(
    tmp_path: Path, leftover_token: bool
) -> None:
    """A lab brought down leaves its admin token: that was `Connection refused` once."""
    state = tmp_path / "nothing-here"
    if leftover_token:
        state.mkdir()
        (state / "dns-admin.token").write_text("token-of-a-lab-now-down\n")
    for command in (["dns", "list"], ["dns", "fault", "blank", "www.lab.test"]):
        done = run_cli("--state-dir", str(state), *command)
        assert done.returncode == 1
        assert f"error: no lab is up here ({state}): start one with" in (
            done.stderr.replace("\n", " ")
        )
        assert "--admin-url and --token-file" in done.stderr.replace("\n", " ")
        assert "Traceback" not in done.stderr


def test_admin_commands_find_a_dns_serve_of_the_same_state_dir_without_flags(
    tmp_path: Path,
) -> None:
    """``chaoskit dns serve`` in one terminal, ``chaoskit dns fault`` in another, no lab:
    the admin commands looked for the lab's admin address (127.0.10.53:8053), not where
    ``dns serve`` listens by default (127.0.0.1:8053), and said `Connection refused`."""
    zone = tmp_path / "zone.test.zone"
    zone.write_text(TEST_ZONE)
    state = tmp_path / "state"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(state), "dns", "serve",
         "--zone", str(zone), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert wait_until(lambda: _answers("127.0.0.1", 8053), 15), server.stderr
        assert (state / "dns-admin.token").exists()
        made = run_cli("--state-dir", str(state), "dns", "fault", "blank", "www.zone.test",
                       "--duration", "30")  # fmt: skip
        assert made.returncode == 0, made.stderr
        listed = run_cli("--state-dir", str(state), "dns", "list", "--json")
        assert [f["name"] for f in json.loads(listed.stdout)["faults"]] == ["www.zone.test"]
    finally:
        server.terminate()
        server.wait(10)


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True
