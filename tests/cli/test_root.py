"""What every command shares: a state directory that cannot be one, and a path the machine
refuses, are one line each, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli


@pytest.mark.parametrize(
    ("under", "expected"),
    [("", "is a file; expected a directory"), ("state", "cannot be made: ")],
    ids=["a-file", "under-a-file"],
)
def test_a_state_dir_that_cannot_be_a_directory_is_exit_2(
    tmp_path: Path, under: str, expected: str
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    state = blocker / under if under else blocker
    for command in (["status"], ["up", "--backend", "local"], ["history"]):
        done = run_cli("--state-dir", str(state), *command)
        assert done.returncode == 2, (command, done.stderr)  # was a traceback (exit 1)
        assert f"--state-dir {state}: {expected}" in done.stderr
        assert "Traceback" not in done.stderr
    assert blocker.read_text() == "x"


def test_an_empty_state_dir_or_lab_is_refused_and_an_empty_variable_is_unset(
    tmp_path: Path,
) -> None:
    """`--state-dir "$UNSET"` made the working directory the state directory: `up` would
    have put its state, logs and tokens among the user's files."""
    done = run_cli("--state-dir", "", "up", "--backend", "local", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: --state-dir: expected a directory (the working directory is --state-dir .), "
        "got an empty string (an unset variable?)"
    )
    done = run_cli("--lab", "", "up", "--backend", "local", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: --lab: expected a lab file or a directory holding one, got an empty string "
        "(an unset variable?)"
    )
    assert list(tmp_path.iterdir()) == []
    unset = {**os.environ, "CHAOSKIT_STATE_DIR": "", "CHAOSKIT_LAB": ""}
    done = run_cli("status", "--json", cwd=tmp_path, env=unset)
    status = json.loads(done.stdout)
    assert (status["state_dir"], status["lab_file"]) == (str(tmp_path / ".chaoskit"), None)


def test_a_path_the_machine_refuses_is_one_line(tmp_path: Path) -> None:
    too_long = tmp_path / ("x" * 300 + ".yaml")
    done = run_cli("init", str(too_long))
    assert done.returncode == 1
    assert done.stderr.strip().endswith(": File name too long")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_ctrl_c_in_a_command_says_it_was_interrupted_and_exits_130(tmp_path: Path) -> None:
    """Typer turns Ctrl-C into exit 130 without a word (``chaoskit up`` interrupted printed
    nothing); the CLI says so. A command here stands in for one Ctrl-C stops."""
    script = (
        "import sys\n"
        "import chaoskit.cli as cli\n"
        "@cli.app.command('interrupted-here')\n"
        "def interrupted_here() -> None:\n"
        "    raise KeyboardInterrupt\n"
        "sys.argv = ['chaoskit', 'interrupted-here']\n"
        "cli.main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "interrupted"
