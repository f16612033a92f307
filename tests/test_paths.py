"""Output directories: a path that cannot be one is exit 2 before a command does anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit._errors import InvalidInput
from chaoskit.paths import writable_directory
from tests.helpers import ROOT, run_cli
from tests.report.fixtures import recorded_run


def test_a_directory_is_made_and_a_file_or_impossible_path_refused(tmp_path: Path) -> None:
    made = writable_directory(tmp_path / "a" / "b", "--out")
    assert made.is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidInput, match=r"--out .*/file: is a file; expected a directory"):
        writable_directory(tmp_path / "file", "--out")
    with pytest.raises(InvalidInput, match=r"/file/under: cannot make it: Not a directory"):
        writable_directory(tmp_path / "file" / "under", "--out")


@pytest.mark.parametrize(
    "command",
    [
        ["run", str(ROOT / "experiments" / "dns-blackout.yaml")],
        ["gameday", "run", "--yes", str(ROOT / "gamedays" / "dns-failure-drill.yaml")],
        ["suite", "run", str(ROOT / "experiments" / "lessons")],
        ["schedule", "add", str(ROOT / "experiments" / "dns-blackout.yaml"), "--cron", "0 9 * * *"],
        ["report", "RUN_DIR"],
    ],
    ids=["run", "gameday", "suite", "schedule", "report"],
)
def test_every_out_option_refuses_a_file_before_anything_runs(
    tmp_path: Path, command: list[str]
) -> None:
    state = tmp_path / "state"
    blocker = tmp_path / "reports"
    blocker.write_text("not a directory")
    if command[-1] == "RUN_DIR":
        command = [command[0], str(recorded_run(tmp_path, "naive-blackout"))]
    done = run_cli("--state-dir", str(state), *command, "--out", str(blocker))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{blocker}: is a file; expected a directory" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (state / "state.json").exists()  # no lab was started for it
    assert blocker.read_text() == "not a directory"
