"""``chaoskit suite run DIR``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from chaoskit.cli._console import console

__all__ = ["app"]

app = typer.Typer(help="Run a directory of experiments, each once per variant.",
                  no_args_is_help=True)  # fmt: skip
out = console()


@app.command("run")
def run(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(help="A directory of experiments, e.g. experiments/lessons/.")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the suite's directory goes.")
    ] = Path("reports"),
) -> None:
    """Validate every experiment, run each once per variant (e.g. a pattern off and on), and
    write one summary report (suite.md, suite.html, suite.json) with a comparison per lesson.

    Exit 0 when every run completed (a lesson's "off" run is expected not to hold), 1 when
    one failed, 2 on invalid input, 3 when interrupted, 4 when the lab is busy.
    """
    from chaoskit.cli._shared import lab_config, lab_for_a_run, plain_printer
    from chaoskit.experiment.suite import load_suite, run_suite
    from chaoskit.lab.lock import LabLock
    from chaoskit.paths import writable_directory

    state_dir = ctx.obj["state_dir"]
    config = lab_config(ctx.obj)
    echo = plain_printer(out)
    load_suite(directory, config, echo)  # every problem before anything runs
    writable_directory(out_dir, "--out")

    with LabLock(state_dir).held(f"chaoskit suite run {directory}"):
        lab_for_a_run(state_dir, config=config)  # no leftover fault, no drift
        result = run_suite(
            directory, out_dir, state_dir=state_dir, lab_file=ctx.obj.get("lab_file"),
            config=config, interactive=sys.stdin.isatty(), echo=echo,
        )  # fmt: skip
    echo((result.directory / "suite.md").read_text())
    echo(f"suite report: {result.directory / 'suite.html'}")
    raise typer.Exit(result.exit_code)
