"""The ``chaoskit`` command: a thin layer over the Python API.

Every ChaoskitError becomes one clear line on stderr and its exit code (2 for bad input);
no traceback reaches the user for an error chaoskit anticipated.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from chaoskit._errors import ChaoskitError, InvalidInput
from chaoskit.cli._console import console, styled

__all__ = ["app", "main"]

app = typer.Typer(
    name="chaoskit",
    help="Rehearse DNS and dependency failures on one machine, and measure recovery.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = console(stderr=True)
ERROR = ("error:", "bold red")


@app.callback()
def _root(
    ctx: typer.Context,
    state_dir: Annotated[
        str | None,
        typer.Option(
            "--state-dir",
            envvar="CHAOSKIT_STATE_DIR",
            help="Lab state directory (pids, ports, tokens, logs). Default: ./.chaoskit",
        ),
    ] = None,
    lab: Annotated[
        str | None,
        typer.Option(
            "--lab",
            envvar="CHAOSKIT_LAB",
            help="The lab file (or a directory holding it): your services, dependencies and "
            "names. Default: ./chaoskit.yaml (or ./chaoskit.yml) if there is one, else the "
            "sample stack.",
        ),
    ] = None,
) -> None:
    from chaoskit.paths import directory_problem, find_lab_file
    from chaoskit.paths import state_dir as resolve

    state_dir = _not_empty(ctx, "state_dir", state_dir, "a directory (the working directory "
                           "is --state-dir .)")  # fmt: skip
    lab = _not_empty(ctx, "lab", lab, "a lab file or a directory holding one")
    ctx.obj = {
        "state_dir": resolve(state_dir),
        "lab_file": find_lab_file(None if lab is None else Path(lab)),
    }
    problem = directory_problem(ctx.obj["state_dir"])
    if problem:
        raise InvalidInput(f"--state-dir {ctx.obj['state_dir']}: {problem}")
    if ctx.invoked_subcommand not in NO_LEDGER_NOTICE:
        from chaoskit.cli._shared import warn_of_ledger

        warn_of_ledger(ctx.obj["state_dir"])


COMMANDS = {
    **dict.fromkeys(("doctor", "install", "up", "status", "down"), "lab"),
    **dict.fromkeys(("validate", "run", "recover", "schema", "init"), "experiment"),
    "report": "report",
    "exec": "resolver",
    **dict.fromkeys(("schedule", "scheduler", "history"), "schedule"),
    "walkthrough": "walkthrough",
    **{group: group for group in ("dns", "gameday", "automation", "suite")},
}
"""Each command, by the ``chaoskit.cli`` module that defines it."""


def _not_empty(ctx: typer.Context, name: str, value: str | None, expected: str) -> str | None:
    """``value`` of the root option ``name``; an empty one from its environment variable is
    unset, as for every other variable, and on the command line an input error (an unset
    variable in a script: ``--state-dir ""`` was the working directory)."""
    if value != "":
        return value
    source = ctx.get_parameter_source(name)
    if source is not None and source.name == "ENVIRONMENT":
        return None
    option = "--" + name.replace("_", "-")
    raise InvalidInput(f"{option}: expected {expected}, got an empty string (an unset variable?)")


ROOT_OPTIONS_WITH_VALUES = ("--state-dir", "--lab")
NO_LEDGER_NOTICE = frozenset(
    {None, "recover", "run", "validate", "schema", "init", "report", "history", "schedule",
     "gameday", "exec", "down"}
)  # fmt: skip
"""Commands that say nothing of faults left in the ledger before they start: each either
deals with the ledger itself (``run``, ``recover``, a game day, ``down``, which says what is
left after it) or does not touch the lab."""


def invoked_command(argv: list[str]) -> str | None:
    """The command ``argv`` (the arguments after ``chaoskit``) names, if any."""
    arguments = iter(argv)
    for argument in arguments:
        if argument in ROOT_OPTIONS_WITH_VALUES:
            next(arguments, None)
        elif not argument.startswith("-"):
            return argument
    return None


def _register(argv: list[str]) -> None:
    """Register the command ``argv`` names, or, for help, completion or a name that is no
    command (so the error can suggest one), every command: each module imports what its
    commands need, and the DNS server a lab starts need not import the experiment engine."""
    import importlib
    import os

    named = invoked_command(argv)
    completing = any(key.endswith("_COMPLETE") for key in os.environ)
    if named in COMMANDS and not completing:
        modules = [COMMANDS[named]]
    else:
        modules = list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        module = importlib.import_module(f"chaoskit.cli.{name}")
        if hasattr(module, "register"):
            module.register(app)
        else:  # a group of commands
            app.add_typer(module.app, name=name)
    _one_line_summaries(app)


def _one_line_summaries(typer_app: typer.Typer) -> None:
    """Each command's help as a terminal shows it: its docstring's paragraphs each one line
    that the terminal wraps (Typer's rich mode keeps a wrapped docstring's line breaks, and a
    narrower terminal then breaks each source line again), the first as its line in a list of
    commands, and ``literals`` in single backticks."""
    import inspect

    for command in typer_app.registered_commands:
        doc = inspect.getdoc(command.callback) if command.callback else None
        if command.short_help is None and command.help is None and doc:
            doc = doc.replace("``", "`")  # the docstrings' literals, as a terminal shows them
            paragraphs = [" ".join(paragraph.split()) for paragraph in doc.split("\n\n")]
            command.help = "\n\n".join(paragraphs)
            command.short_help = paragraphs[0]
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _one_line_summaries(group.typer_instance)


def main() -> None:
    _register(sys.argv[1:])
    try:
        app(prog_name="chaoskit")
    except ChaoskitError as exc:
        problems = getattr(exc, "problems", None)
        if problems:  # one line per problem, as editors and CI annotate them
            for problem in problems:
                print(problem, file=sys.stderr)
            sys.exit(exc.exit_code)
        err.print(styled(ERROR, f" {exc}"), soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except SystemExit as exc:  # Typer turns Ctrl-C into exit 130 without a word
        if exc.code == 130:
            err.print("interrupted")
        raise
    except OSError as exc:  # the machine said no (a path, a permission): one line, no trace
        if os.environ.get("CHAOSKIT_DEBUG"):
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(styled(ERROR, f" {where}{exc.strerror or exc}"), soft_wrap=True)
        sys.exit(1)
