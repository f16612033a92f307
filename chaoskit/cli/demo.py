"""``chaoskit demo``: the main job, end to end, on the embedded default backend."""

from __future__ import annotations

from typing import Annotated

import typer

from chaoskit.cli._console import console

__all__ = ["register"]

out = console()


def demo(
    ctx: typer.Context,
    keep: Annotated[bool, typer.Option(help="Leave the lab running afterwards.")] = False,
    blank_seconds: Annotated[float, typer.Option(help="How long the record stays empty.")] = 3.0,
) -> None:
    """Bring the lab up, show its status, empty the DynamoDB record, measure recovery, tear down."""
    from chaoskit.cli.lab import _print_status
    from chaoskit.lab import LocalLab
    from chaoskit.walkthrough import run_walkthrough

    lab = LocalLab(ctx.obj["state_dir"], echo=lambda m: out.print(m))
    try:
        lab.up()
        _print_status(lab.status())
        run_walkthrough(lab, lambda m: out.print(f"[cyan]>[/] {m}"), blank_seconds)
    finally:
        if not keep:
            stopped = lab.down()
            out.print(f"lab down: stopped {', '.join(stopped)}")


def register(app: typer.Typer) -> None:
    app.command()(demo)
