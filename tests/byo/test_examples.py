"""The byo example's files are valid against its own lab file, and only against it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli

BYO = Path(__file__).resolve().parents[2] / "examples" / "byo"


def test_the_experiments_are_valid_against_the_byo_lab(tmp_path: Path) -> None:
    experiments = sorted(str(p) for p in (BYO / "experiments").glob("*.yaml"))
    done = run_cli("--state-dir", str(tmp_path), "validate", *experiments, cwd=BYO)
    assert done.returncode == 0, done.stderr
    assert "chaoskit.yaml: ok (lab file)" in done.stdout


def test_the_game_day_plan_is_valid_against_the_byo_lab(tmp_path: Path) -> None:
    done = run_cli("--state-dir", str(tmp_path), "gameday", "plan", "gamedays/byo-drill.yaml",
                   cwd=BYO)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Your own API through the October failure" in done.stdout


def test_on_the_sample_stack_they_name_targets_it_does_not_have(tmp_path: Path) -> None:
    done = run_cli("--state-dir", str(tmp_path), "validate", str(BYO / "experiments" /
                   "redis-latency.yaml"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert "'redis' is not a target of toxiproxy.latency; known: dynamodb-us-east-1" in done.stderr
