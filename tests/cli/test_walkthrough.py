"""``chaoskit walkthrough`` refuses a blackout it cannot give before it starts the lab."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli


@pytest.mark.parametrize("seconds", ["-1", "0", "nan", "inf", "601"])
def test_a_bad_blank_length_is_exit_2_before_the_lab_starts(tmp_path: Path, seconds: str) -> None:
    state = tmp_path / "state"
    done = run_cli("--state-dir", str(state), "walkthrough", "--blank-seconds", seconds)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--blank-seconds: expected a number of seconds above 0 and up to 600" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (state / "state.json").exists() and not (state / "logs").exists()
