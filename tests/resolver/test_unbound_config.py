"""The Unbound configuration chaoskit writes, checked by Unbound's own unbound-checkconf."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from chaoskit._errors import InvalidInput
from chaoskit.lab.config import Endpoint
from chaoskit.resolver.control import parse_stats
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.resolver.unbound import UnboundLayout, host_resolvers, outside_policy, render_config

LAYOUT = UnboundLayout(
    listen=Endpoint(host="127.0.10.54", port=53),
    control=Endpoint(host="127.0.10.54", port=8953),
    authority=Endpoint(host="127.0.10.53", port=5353),
    zones=("lab.test.",),
    pidfile=Path("/tmp/unbound.pid"),
)


def _checkconf(tmp_path: Path, text: str) -> None:
    checkconf = shutil.which("unbound-checkconf") or "/usr/sbin/unbound-checkconf"
    if not Path(checkconf).exists():
        pytest.fail("unbound-checkconf is not installed (scripts/bootstrap installs unbound)")
    path = tmp_path / "unbound.conf"
    path.write_text(text)
    done = subprocess.run([checkconf, str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


def test_by_default_names_outside_the_lab_are_refused_and_nothing_is_forwarded(
    tmp_path: Path,
) -> None:
    text = render_config(LAYOUT, ResolverProfile().resolve(), resolvers=["192.0.2.1"])
    assert 'local-zone: "." refuse' in text
    assert "forward-zone" not in text and "192.0.2.1" not in text
    assert "stub-addr: 127.0.10.53@5353" in text
    assert 'local-zone: "lab.test." transparent' in text
    _checkconf(tmp_path, text)


def test_forward_outside_sends_other_names_to_the_host_resolvers(tmp_path: Path) -> None:
    settings = ResolverProfile(overrides={"forward_outside": True}).resolve()
    text = render_config(LAYOUT, settings, resolvers=["192.0.2.1", "192.0.2.2"])
    assert 'local-zone: "." refuse' not in text
    assert "forward-addr: 192.0.2.1" in text and "forward-addr: 192.0.2.2" in text
    assert outside_policy(settings, ["192.0.2.1"]) == "forwarded to 192.0.2.1"
    assert outside_policy(settings, []) == "refused (no host resolvers)"
    _checkconf(tmp_path, text)


def test_the_host_resolvers_come_from_resolv_conf_never_the_labs_own(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# comment\nnameserver 192.0.2.7\nnameserver 127.0.10.54\nnameserver bogus\n"
        "search example\nnameserver fe80::1%eth0\n"
    )
    assert host_resolvers(conf) == ["192.0.2.7", "fe80::1%eth0"]
    assert host_resolvers(tmp_path / "missing") == []


def test_profiles_differ_in_serve_expired_and_prefetch(tmp_path: Path) -> None:
    naive = render_config(LAYOUT, ResolverProfile().resolve(), resolvers=[])
    resilient = render_config(LAYOUT, ResolverProfile(profile="resilient").resolve(), [])
    assert "serve-expired: no" in naive and "prefetch: no" in naive
    assert "serve-expired: yes" in resilient and "prefetch: yes" in resilient
    assert "serve-expired-client-timeout: 500" in resilient
    off = ResolverProfile(profile="resilient", overrides={"serve_expired": False}).resolve()
    assert "serve-expired: no" in render_config(LAYOUT, off, [])
    _checkconf(tmp_path, resilient)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"serve_expird": True}, "unknown setting 'serve_expird'"),
        ({"threads": 0}, "threads"),
        ({"serve_expired": "sometimes"}, "serve_expired"),
        ({"profile": "resilient"}, "choose the profile itself"),
    ],
)
def test_a_bad_override_names_the_setting(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        ResolverProfile(overrides=overrides).resolve()


def test_stats_lines_become_numbers() -> None:
    stats = parse_stats("total.num.queries=12\ntotal.recursion.time.avg=0.0015\nnot a stat\nx=y\n")
    assert stats == {"total.num.queries": 12.0, "total.recursion.time.avg": 0.0015}
