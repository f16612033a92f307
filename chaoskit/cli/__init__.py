"""The ``chaoskit`` command: a thin layer over the Python API.

Every ChaoskitError becomes one clear line on stderr and its exit code (2 for bad input);
no traceback reaches the user for an error chaoskit anticipated.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chaoskit._errors import ChaoskitError

__all__ = ["app", "main"]

app = typer.Typer(
    name="chaoskit",
    help="Rehearse DNS and dependency failures on one machine, and measure recovery.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


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
) -> None:
    from chaoskit.paths import state_dir as resolve

    ctx.obj = {"state_dir": resolve(state_dir)}


def _register() -> None:
    from chaoskit.cli import demo, dns, lab

    lab.register(app)
    demo.register(app)
    app.add_typer(dns.app, name="dns")


def main() -> None:
    _register()
    try:
        app(prog_name="chaoskit")
    except ChaoskitError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
