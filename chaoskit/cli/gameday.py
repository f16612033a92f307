"""``chaoskit gameday plan|run``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from chaoskit.cli._console import console

__all__ = ["app"]

app = typer.Typer(help="Game days: a plan with roles, a runbook, checkpoints and notes.",
                  no_args_is_help=True)  # fmt: skip
out = console()
err = console(stderr=True)


@app.command()
def plan(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The game-day plan (YAML).")],
    ics: Annotated[
        Path | None, typer.Option(help="Also write a calendar invitation (.ics) for the window.")
    ] = None,
) -> None:
    """Check the plan and print its runbook as Markdown."""
    from datetime import UTC, datetime

    from chaoskit.cli._shared import lab_config
    from chaoskit.gameday.load import load_plan
    from chaoskit.gameday.runbook import render_ics, render_runbook
    from chaoskit.paths import writable_file

    if ics is not None:
        writable_file(ics, "--ics")
    loaded = load_plan(file, lab_config(ctx.obj))
    typer.echo(render_runbook(loaded))
    if ics is not None:
        ics.write_bytes(render_ics(loaded, datetime.now(UTC)))
        err.print(f"calendar invitation: {ics}", highlight=False)


@app.command()
def run(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The game-day plan (YAML).")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Unattended (CI): every checkpoint go, manual steps done.")
    ] = False,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the game day's directory goes.")
    ] = Path("reports"),
) -> None:
    """Walk the plan: checkpoints, manual steps and experiments, with notes and halt.

    Type at any time: a line is a note; 'action TEXT', 'decision TEXT'; 'halt REASON'
    reverts every fault and ends the game day. Exit 0: every experiment held; 1: one did
    not; 2: invalid plan; 3: halted or stopped at a checkpoint; 4: the lab is busy.
    """
    from chaoskit.cli._shared import lab_config, lab_for_a_run, plain_printer
    from chaoskit.gameday.load import load_plan
    from chaoskit.gameday.session import GameDay
    from chaoskit.lab.lock import LabLock
    from chaoskit.paths import writable_directory

    state_dir = ctx.obj["state_dir"]
    loaded = load_plan(file, lab_config(ctx.obj))
    writable_directory(out_dir, "--out")
    echo = plain_printer(out)

    with LabLock(state_dir).held(f"chaoskit gameday run {file}"):
        lab = lab_for_a_run(state_dir, config=lab_config(ctx.obj))  # a run's faults: no drift
        gameday = GameDay(loaded, lab, out_dir, unattended=yes, source=None if yes else sys.stdin,
                          echo=echo, lab_file=ctx.obj.get("lab_file"))  # fmt: skip
        if not yes:
            echo("type a note at any time; 'action TEXT', 'decision TEXT', 'halt REASON'")
        result = gameday.run()
    echo(f"game day {result.status}; report: {result.directory / 'gameday.html'}")
    raise typer.Exit(result.exit_code)
