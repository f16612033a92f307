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
        (["--set", "gateway.timeout_s=-1"], "timeout_s: Input should be greater than 0, got -1"),
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
        "set-negative",
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


def test_status_with_no_lab_up_names_the_lab_that_up_would_bring_up(tmp_path: Path) -> None:
    """It said "the sample stack (no lab file)" beside a chaoskit.yaml that `up` would use."""
    state = str(tmp_path / "state")
    bare = run_cli("--state-dir", state, "status", cwd=tmp_path)
    (tmp_path / "chaoskit.yaml").write_text(
        "zone: lab.test\ndependencies:\n  dynamodb-us-east-1:\n    dynamodb: {region: us-east-1}\n"
    )
    beside = run_cli("--state-dir", state, "status", cwd=tmp_path)
    for done in (bare, beside):
        assert done.returncode == 1, done.stdout + done.stderr  # nothing is healthy
        assert "(nothing running)" in done.stdout
    assert "lab: none up; `chaoskit up` brings up the sample stack" in bare.stdout
    said = " ".join(beside.stdout.split())
    assert f"lab: none up; `chaoskit up` brings up {tmp_path / 'chaoskit.yaml'}" in said, said
