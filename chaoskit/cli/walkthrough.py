"""``chaoskit walkthrough``: a one-minute guided look at the lab (one record blanked and
restored, recovery measured). The demo of the main job is ``./scripts/demo``."""

from __future__ import annotations

from typing import Annotated

import typer

from chaoskit.cli._console import console, styled

__all__ = ["register"]

out = console()
MAX_BLANK_S = 600.0
"""A walkthrough is a short look; a longer blackout is an experiment's (`chaoskit run`)."""


def walkthrough(
    ctx: typer.Context,
    keep: Annotated[bool, typer.Option(help="Leave the lab running afterwards.")] = False,
    blank_seconds: Annotated[float, typer.Option(help="How long the record stays empty.")] = 3.0,
) -> None:
    """A guided look: lab up, its status, the DynamoDB record emptied and restored, recovery
    measured, lab down. (The full demo, naive vs resilient with reports, is ./scripts/demo.)"""
    from chaoskit._errors import InvalidInput
    from chaoskit.cli.lab import _print_status
    from chaoskit.lab import LocalLab
    from chaoskit.walkthrough import run_walkthrough

    if not 0 < blank_seconds <= MAX_BLANK_S:
        raise InvalidInput(
            f"--blank-seconds: expected a number of seconds above 0 and up to {MAX_BLANK_S:g}, "
            f"got {blank_seconds:g}"
        )
    lab = LocalLab(ctx.obj["state_dir"], echo=lambda m: out.print(m))
    try:
        lab.up()
        _print_status(lab.status())
        run_walkthrough(lab, lambda m: out.print(styled((">", "cyan"), f" {m}")), blank_seconds)
    finally:
        if not keep:
            stopped = lab.down()
            out.print(f"lab down: stopped {', '.join(stopped)}")


def register(app: typer.Typer) -> None:
    app.command()(walkthrough)
