"""The real Unbound between clients and the lab authority: dig, kdig, getent and the AWS CLI
through it, its faults, and Unbound's own hardening against the authority."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from chaoskit.experiment.injection import inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab import LocalLab
from chaoskit.lab.config import Endpoint
from chaoskit.lab.health import wait_until
from chaoskit.paths import cache_dir
from chaoskit.resolver.control import UnboundControl
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.resolver.unbound import UnboundLayout, render_config, unbound_binary
from tests.helpers import run_cli

pytestmark = pytest.mark.lab

RECORD = "dynamodb.us-east-1.lab.test."


def _entry(kind: str, target: str, params: dict[str, object], duration_s: float) -> LedgerEntry:
    now = time.time()
    return LedgerEntry(run="pytest", kind=kind, target=target, params=params,
                       duration_s=duration_s, expires_at=now + duration_s + 3)  # fmt: skip


def _ask(server: Endpoint, name: str, rtype: str = "A") -> dns.message.Message:
    query = dns.message.make_query(name, rtype)
    return dns.query.udp(query, server.host, port=server.port, timeout=2)


def _addresses(reply: dns.message.Message) -> list[str]:
    return [rd.address for rrset in reply.answer for rd in rrset if hasattr(rd, "address")]


def test_lab_names_resolve_through_the_resolver_and_others_are_refused(lab: LocalLab) -> None:
    resolver = lab.config.resolver
    reply = _ask(resolver, RECORD)
    assert reply.rcode() == dns.rcode.NOERROR
    assert _addresses(reply) == [lab.config.regions[0].proxy.host]
    assert _ask(resolver, "nothing-here.lab.test.").rcode() == dns.rcode.NXDOMAIN
    for outside in ("example.com.", "test.", "localhost.example."):
        assert _ask(resolver, outside).rcode() == dns.rcode.REFUSED, outside
    status = lab.status()["components"]["resolver"]
    assert status["healthy"] and status["outside_names"] == "refused"
    assert status["endpoint"]["port"] == resolver.port


@pytest.mark.parametrize("client", ["dig", "kdig"])
def test_dig_and_kdig_resolve_lab_names_through_it(lab: LocalLab, client: str) -> None:
    if shutil.which(client) is None:
        pytest.fail(f"{client} is not installed (scripts/bootstrap installs it)")
    resolver = lab.config.resolver
    argv = [client, f"@{resolver.host}", "-p", str(resolver.port), "+short", RECORD]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    assert done.stdout.split() == [lab.config.regions[0].proxy.host], done.stdout + done.stderr


def test_the_authority_counts_the_resolvers_queries_apart(lab: LocalLab) -> None:
    control = UnboundControl(lab.config.resolver_control.host, lab.config.resolver_control.port)
    control.flush(RECORD)
    with lab.dns_admin() as admin:
        before = admin.stats()["by_source"].get(lab.config.resolver.host, 0)
        _ask(lab.config.resolver, RECORD)
        after = admin.stats()["by_source"].get(lab.config.resolver.host, 0)
    assert after > before
    assert control.stats()["total.num.queries"] >= 1


def _system_mode_or_skip(lab: LocalLab) -> None:
    why = lab.system_resolver().unavailable
    if why:
        pytest.skip(f"system-resolver mode: {why}")


def test_chaoskit_exec_gives_a_command_the_lab_resolver(lab: LocalLab) -> None:
    _system_mode_or_skip(lab)
    done = run_cli("--state-dir", str(lab.state_dir), "exec", "--", "getent", "hosts", RECORD)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split()[0] == lab.config.regions[0].proxy.host
    missing = run_cli("--state-dir", str(lab.state_dir), "exec", "--", "getent", "hosts",
                      "nothing-here.lab.test")  # fmt: skip
    assert missing.returncode == 2  # getent: key not found
    resolv = run_cli("--state-dir", str(lab.state_dir), "exec", "--", "cat", "/etc/resolv.conf")
    assert f"nameserver {lab.config.resolver.host}" in resolv.stdout
    assert f"nameserver {lab.config.resolver.host}" not in Path("/etc/resolv.conf").read_text()


def test_chaoskit_exec_of_a_command_it_cannot_run_exits_as_a_shell_would(
    lab: LocalLab, tmp_path: Path
) -> None:
    """127 for a command not found, 126 for one not executable, in chaoskit's own words
    (the wrapper's shell said `chaoskit-resolv: 1: exec: nosuchcmd: not found`)."""
    _system_mode_or_skip(lab)
    (tmp_path / "plain.sh").write_text("echo hi\n")
    cases = [
        ("no-such-command-here", 127, "error: no-such-command-here: command not found on PATH"),
        (str(tmp_path / "missing"), 127, f"error: {tmp_path / 'missing'}: no such file"),
        (str(tmp_path / "plain.sh"), 126, f"error: {tmp_path / 'plain.sh'}: not executable"),
        (str(tmp_path), 126, f"error: {tmp_path}: is a directory"),
    ]
    for program, code, said in cases:
        done = run_cli("--state-dir", str(lab.state_dir), "exec", "--", program)
        assert done.returncode == code, done.stdout + done.stderr
        assert said in " ".join(done.stderr.split()), done.stderr
        assert "chaoskit-resolv" not in done.stderr and "Traceback" not in done.stderr


def _aws() -> str:
    cached = cache_dir() / "awscli" / "bin" / "aws"
    found = shutil.which("aws") or (str(cached) if cached.exists() else None)
    if found is None:
        pytest.fail("the AWS CLI is not installed (scripts/bootstrap installs it)")
    return found


def test_the_aws_cli_lists_the_tables_and_cannot_connect_under_a_blank(lab: LocalLab) -> None:
    _system_mode_or_skip(lab)
    region = lab.config.regions[0]
    url = f"http://dynamodb.{region.region}.lab.test:{region.proxy.port}"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "lab", "AWS_SECRET_ACCESS_KEY": "lab",
           "AWS_DEFAULT_REGION": region.region, "AWS_MAX_ATTEMPTS": "1"}  # fmt: skip
    argv = ["--state-dir", str(lab.state_dir), "exec", "--", _aws(), "dynamodb", "list-tables",
            "--endpoint-url", url, "--cli-connect-timeout", "2"]  # fmt: skip
    listed = run_cli(*argv, env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "TableNames" in listed.stdout
    ledger = Ledger(lab.state_dir)
    entry = inject_fault(lab, ledger, _entry("dns.blank", RECORD, {}, 30))
    try:
        # the resolver held the address for its TTL; flush it as a restart of the tier would
        UnboundControl(lab.config.resolver_control.host, lab.config.resolver_control.port).flush(
            RECORD
        )
        blanked = run_cli(*argv, env=env)
    finally:
        revert_fault(lab, ledger, entry)
    assert blanked.returncode != 0
    assert "Could not connect to the endpoint URL" in blanked.stderr, blanked.stderr


def _fault(
    lab: LocalLab, kind: str, params: dict[str, object], target: str = "resolver"
) -> Iterator[LedgerEntry]:
    ledger = Ledger(lab.state_dir)
    entry = inject_fault(lab, ledger, _entry(kind, target, params, 30))
    try:
        yield entry
    finally:
        revert_fault(lab, ledger, entry)


def test_resolver_flush_makes_the_next_query_a_cache_miss(lab: LocalLab) -> None:
    control = UnboundControl(lab.config.resolver_control.host, lab.config.resolver_control.port)
    _ask(lab.config.resolver, RECORD)
    misses = control.stats()["total.num.cachemiss"]
    _ask(lab.config.resolver, RECORD)
    assert control.stats()["total.num.cachemiss"] == misses  # cached
    for _ in _fault(lab, "resolver.flush", {"name": RECORD}):
        _ask(lab.config.resolver, RECORD)
    assert control.stats()["total.num.cachemiss"] == misses + 1


def test_a_blank_record_is_blank_for_clients_that_reach_it_through_an_alias(
    lab: LocalLab,
) -> None:
    """A team's own name for its database, a CNAME to the lab record: through the real
    resolver the blank reaches the alias's clients (Unbound asks for the CNAME's target
    itself, and the authority now ends the alias's answer at the CNAME to a faulted name)."""
    alias = "orders-db.lab.test."
    control = UnboundControl(lab.config.resolver_control.host, lab.config.resolver_control.port)
    with lab.dns_admin() as admin:
        admin.set_record(alias, "CNAME", [RECORD], ttl=1)
    try:
        assert _addresses(_ask(lab.config.resolver, alias)) == [lab.config.regions[0].proxy.host]
        for _ in _fault(lab, "dns.blank", {}, target=RECORD):
            control.flush(alias)
            control.flush(RECORD)
            reply = _ask(lab.config.resolver, alias)
            assert reply.rcode() == dns.rcode.NOERROR and _addresses(reply) == []
        control.flush(alias)
        control.flush(RECORD)
        assert _addresses(_ask(lab.config.resolver, alias)) == [lab.config.regions[0].proxy.host]
    finally:
        with lab.dns_admin() as admin:
            admin.delete_record(alias)


def test_resolver_down_stops_answering_until_reverted(lab: LocalLab) -> None:
    for _ in _fault(lab, "resolver.down", {}):
        with pytest.raises(dns.exception.Timeout):
            dns.query.udp(dns.message.make_query(RECORD, "A"), lab.config.resolver.host,
                          port=lab.config.resolver.port, timeout=0.5)  # fmt: skip
    assert _ask(lab.config.resolver, RECORD).rcode() == dns.rcode.NOERROR


def test_resolver_overload_caps_queries_to_the_authority(lab: LocalLab) -> None:
    control = UnboundControl(lab.config.resolver_control.host, lab.config.resolver_control.port)
    for _ in _fault(lab, "resolver.overload", {"qps": 3}):
        assert control.get_option("ratelimit") == "3"
        answered = 0
        for i in range(40):  # each a cache miss: a name nobody asked before
            try:
                reply = dns.query.udp(
                    dns.message.make_query(f"n{i}-{time.time_ns()}.lab.test.", "A"),
                    lab.config.resolver.host, port=lab.config.resolver.port, timeout=0.3,
                )  # fmt: skip
                answered += reply.rcode() == dns.rcode.NXDOMAIN
            except dns.exception.Timeout:
                pass
        assert answered < 40
    assert control.get_option("ratelimit") == "0"


@contextlib.contextmanager
def _private_unbound(
    lab: LocalLab,
    tmp_path: Path,
    overrides: dict[str, object],
    profile: str = "naive",
    extra: str = "",
) -> Iterator[tuple[Endpoint, Path]]:
    """A second Unbound on .55 of the lab's subnet, against the lab authority."""
    binary = unbound_binary()
    assert binary is not None
    host = lab.config.resolver.host.rsplit(".", 1)[0] + ".55"
    listen, control = Endpoint(host=host, port=53), Endpoint(host=host, port=8953)
    layout = UnboundLayout(listen, control, lab.config.dns, ("lab.test.",), tmp_path / "pid")
    settings = ResolverProfile(profile=profile, overrides=overrides).resolve()  # type: ignore[arg-type]
    conf = tmp_path / "unbound.conf"
    conf.write_text(render_config(layout, settings, resolvers=[]).replace(
        "verbosity: 1", "verbosity: 1" + extra))  # fmt: skip
    log = tmp_path / "unbound.log"
    proc = subprocess.Popen([binary, "-d", "-c", str(conf)], stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:
        assert wait_until(lambda: _answers(listen), 10), log.read_text()
        yield listen, log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def private_unbound(lab: LocalLab, tmp_path: Path) -> Iterator[tuple[Endpoint, Path]]:
    """0x20 and Unbound's hardening, verbose enough to log a 0x20 fallback."""
    hardening = "\n    verbosity: 3\n    harden-glue: yes\n    harden-below-nxdomain: yes"
    with _private_unbound(lab, tmp_path, {"use_caps_for_id": True}, extra=hardening) as found:
        yield found


def _answers(server: Endpoint) -> bool:
    try:
        return _ask(server, "lab.test.", "SOA").rcode() == dns.rcode.NOERROR
    except (OSError, dns.exception.DNSException):
        return False


def test_unbound_with_0x20_and_hardening_resolves_lab_names(
    lab: LocalLab, private_unbound: tuple[Endpoint, Path]
) -> None:
    listen, log = private_unbound
    for name in (RECORD, "dynamodb.us-west-2.lab.test."):
        reply = _ask(listen, name)
        assert reply.rcode() == dns.rcode.NOERROR and _addresses(reply), name
    assert _ask(listen, "nothing-here.lab.test.").rcode() == dns.rcode.NXDOMAIN
    assert "fallback" not in log.read_text().lower()  # no 0x20 mismatch made Unbound retry
    mixed = "DyNaMoDb.uS-EaSt-1.LaB.tEsT."  # what a 0x20 resolver sends: echoed exactly
    reply = _ask(lab.config.dns, mixed)
    assert reply.question[0].name.to_text() == mixed
    assert _addresses(reply) == [lab.config.regions[0].proxy.host]


@pytest.mark.parametrize(("fault", "still_answers"), [("drop", True), ("blank", False)])
def test_serve_expired_rides_out_a_silent_authority_but_not_an_empty_answer(
    lab: LocalLab, tmp_path: Path, fault: str, still_answers: bool
) -> None:
    """RFC 8767: an expired answer is served when the authority does not answer in time; an
    authority that answers NOERROR with no address replaces it (the October record)."""
    with _private_unbound(lab, tmp_path, {}, profile="resilient") as (listen, _):
        assert _addresses(_ask(listen, RECORD))  # cached, for the record's TTL (5 s)
        with lab.dns_admin() as admin:
            added = admin.add_fault(fault, RECORD, duration_s=30)
        try:
            time.sleep(lab.config.record_ttl + 1.5)  # the cached answer has expired
            answers = [_addresses(_ask(listen, RECORD)) for _ in range(3)]
        finally:
            with lab.dns_admin() as admin:
                admin.lift_fault(added["id"])
    assert all(bool(a) == still_answers for a in answers), answers


def test_profile_switches_restart_the_resolver_with_its_new_settings(lab: LocalLab) -> None:
    state = str(lab.state_dir)
    conf = lab.state_dir / "resolver" / "unbound.conf"
    before = lab.status()["components"]["resolver"]["pid"]
    try:
        done = run_cli("--state-dir", state, "up", "--resolver-profile", "resilient",
                       "--set", "resolver.prefetch=false")  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        lab.refresh()
        resolver = lab.status()["components"]["resolver"]
        assert resolver["engine"] == "resilient" and resolver["pid"] != before
        assert resolver["profile"] == {"profile": "resilient", "overrides": {"prefetch": False}}
        assert "serve-expired: yes" in conf.read_text() and "prefetch: no" in conf.read_text()
        assert _ask(lab.config.resolver, RECORD).rcode() == dns.rcode.NOERROR
        bad = run_cli("--state-dir", state, "up", "--set", "resolver.serve_expird=true")
        assert bad.returncode == 2 and "unknown setting 'serve_expird'" in bad.stderr
        assert "Traceback" not in bad.stderr
    finally:
        lab.up(resolver=ResolverProfile())
    assert "serve-expired: no" in conf.read_text()
    assert lab.status()["components"]["resolver"]["engine"] == "naive"
