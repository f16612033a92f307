"""``chaoskit report RUN_DIR [--format ...] [--compare RUN_DIR ...] [--out DIR]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chaoskit.cli._console import console

__all__ = ["register"]

out = console()


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by chaoskit run.")],
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, md, junit, json.")
    ] = "html,md,junit,json",
    compare: Annotated[
        list[Path] | None,
        typer.Option(
            "--compare",
            help="Other run directories to put side by side with RUN_DIR (the baseline); "
            "repeat for more than one.",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to write. Default: RUN_DIR (the baseline's, for --compare)."
        ),
    ] = None,
) -> None:
    """Render a run's recovery report, or compare runs side by side.

    One run: report.html, report.md (+ report-chart.png), junit.xml, metrics.json.
    With --compare: compare.html, compare.md (+ compare-chart.png), compare-junit.xml,
    compare.json. Re-rendering the same run gives the same files.
    """
    from chaoskit.paths import writable_directory
    from chaoskit.report import load_run, parse_formats, render_comparison, render_run

    chosen = parse_formats(formats)
    runs = [load_run(path) for path in [run_dir, *(compare or [])]]
    if out_dir is not None:
        writable_directory(out_dir, "--out")
    if compare:
        written = render_comparison(runs, chosen, out_dir)
    else:
        written = render_run(runs[0], chosen, out_dir)
    for path in written:
        out.print(str(path), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(report)
