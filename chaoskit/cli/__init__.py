"""The ``chaoskit`` command: a thin layer over the Python API.

Every ChaoskitError becomes one clear line on stderr and its exit code (2 for bad input);
no traceback reaches the user for an error chaoskit anticipated.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from chaoskit._errors import ChaoskitError
from chaoskit.cli._console import console

__all__ = ["app", "main"]

app = typer.Typer(
    name="chaoskit",
    help="Rehearse DNS and dependency failures on one machine, and measure recovery.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = console(stderr=True)


@app.callback()
def _root(
    ctx: typer.Context,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            envvar="CHAOSKIT_STATE_DIR",
            help="Lab state directory (pids, ports, tokens, logs). Default: ./.chaoskit",
        ),
    ] = None,
    lab: Annotated[
        Path | None,
        typer.Option(
            "--lab",
            envvar="CHAOSKIT_LAB",
            help="The lab file: your services, dependencies and names. Default: ./chaoskit.yaml "
            "if there is one, else the sample stack.",
        ),
    ] = None,
) -> None:
    from chaoskit.paths import find_lab_file
    from chaoskit.paths import state_dir as resolve

    ctx.obj = {"state_dir": resolve(state_dir), "lab_file": find_lab_file(lab)}
    if ctx.invoked_subcommand not in (
        None,
        "recover",
        "run",
        "validate",
        "schema",
        "init",
        "report",
        "history",
        "schedule",
        "gameday",
        "exec",
    ):
        from chaoskit.experiment.ledger import ledger_notice

        notice = ledger_notice(ctx.obj["state_dir"])
        if notice:
            err.print(f"[bold yellow]warning:[/] {notice}", highlight=False, soft_wrap=True)


def _register() -> None:
    from chaoskit.cli import (
        automation,
        dns,
        experiment,
        gameday,
        lab,
        report,
        resolver,
        schedule,
        suite,
        walkthrough,
    )

    lab.register(app)
    experiment.register(app)
    report.register(app)
    resolver.register(app)
    schedule.register(app)
    walkthrough.register(app)
    app.add_typer(dns.app, name="dns")
    app.add_typer(gameday.app, name="gameday")
    app.add_typer(automation.app, name="automation")
    app.add_typer(suite.app, name="suite")


def main() -> None:
    _register()
    try:
        app(prog_name="chaoskit")
    except ChaoskitError as exc:
        problems = getattr(exc, "problems", None)
        if problems:  # one line per problem, as editors and CI annotate them
            for problem in problems:
                print(problem, file=sys.stderr)
            sys.exit(exc.exit_code)
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
