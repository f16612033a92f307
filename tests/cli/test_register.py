"""The CLI registers only the command it is asked for (all of them for help, completion or
a name that is no command): what the lab starts as ``chaoskit dns serve`` does not import
the experiment engine, and every command is still listed and reachable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chaoskit.cli import COMMANDS, invoked_command
from tests.helpers import run_cli


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["run", "x.yaml"], "run"),
        (["--state-dir", "run", "up"], "up"),  # run is the option's value
        (["--state-dir=s", "--lab", "chaoskit.yaml", "dns", "serve"], "dns"),
        (["--help"], None),
        (["--lab", "status"], None),
        ([], None),
    ],
)
def test_the_command_is_the_first_argument_no_option_takes(
    argv: list[str], named: str | None
) -> None:
    assert invoked_command(argv) == named


def test_the_dns_server_imports_no_experiment_engine() -> None:
    script = (
        "import sys\n"
        "sys.argv = ['chaoskit', 'dns', 'serve', '--help']\n"
        "from chaoskit.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        "print(sorted(m for m in sys.modules if m.startswith(('chaoskit.experiment', "
        "'chaoskit.lab.backend', 'boto3'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_help_lists_every_command_and_a_typo_gets_a_suggestion() -> None:
    listed = run_cli("--help")
    assert listed.returncode == 0
    for command in COMMANDS:
        assert f" {command} " in listed.stdout, command
    typo = run_cli("rnu", "x.yaml")
    assert typo.returncode == 2 and "Did you mean 'run'?" in typo.stderr


def test_a_commands_summary_is_one_paragraph_read_as_one_line() -> None:
    """A docstring wrapped over lines is one summary in the list of commands (Typer's rich
    mode broke it where the source did), with single-backtick literals."""
    listed = run_cli("--help", env={**os.environ, "COLUMNS": "200"}).stdout
    assert (
        "Check the lab file and experiment files against it; print one line per problem "
        "(file:line:col: field: message)."
    ) in listed
    assert "of lab files (`schema lab`)." in listed
    assert "``" not in listed
    dns = run_cli("dns", "--help", env={**os.environ, "COLUMNS": "200"}).stdout
    assert "Replace one RRset (e.g. `set dynamodb.us-east-1.lab.test A 127.0.10.11`)." in dns


def test_a_commands_own_help_wraps_each_paragraph_as_one() -> None:
    """The paragraphs after a command's summary kept the docstring's line breaks, and a
    terminal narrower than the source broke each line again."""
    wide = {**os.environ, "COLUMNS": "200"}
    run = run_cli("run", "--help", env=wide).stdout
    assert "2: invalid input; 3: aborted by a stop condition or interrupted;" in run
    gameday = run_cli("gameday", "run", "--help", env=wide).stdout
    assert "'halt REASON' reverts every fault and ends the game day. Exit 0:" in gameday
