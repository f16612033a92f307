"""``chaoskit up`` refuses a bad option before it starts anything: exit 2, one line, no trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--profile", "bogus"], "--profile: expected one of naive, resilient, got 'bogus'"),
        (["--resolver-profile", "x"], "--resolver-profile: expected one of naive, resilient"),
        (["--set", "nosuch.x=1"], "--set nosuch.x: expected SERVICE.SETTING"),
        (["--set", "gateway.timeout_s=nan"], "timeout_s: Input should be a finite number"),
        (["--set", "gateway.timeout_s=1e999"], "timeout_s: Input should be a finite number"),
        (["--dynamodb", "bogus"], "--dynamodb: expected 'local' or 'moto', got 'bogus'"),
        (["--backend", "nope"], "--backend: expected auto, local or compose, got 'nope'"),
        (["--project", "My Lab"], "--project: 'My Lab' is not a Compose project name"),
    ],
    ids=[
        "profile",
        "resolver-profile",
        "set-service",
        "set-value",
        "set-infinity",
        "dynamodb",
        "backend",
        "project",
    ],
)
def test_a_bad_up_option_is_exit_2_before_anything_starts(
    tmp_path: Path, options: list[str], expected: str
) -> None:
    state = tmp_path / "state"
    done = run_cli("--state-dir", str(state), "up", "--backend", "local", *options)
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not (state / "state.json").exists()
    assert not (state / "logs").exists() and not (state / "dns-admin.token").exists()
