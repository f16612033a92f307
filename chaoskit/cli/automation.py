"""``chaoskit automation status|repair``: the DNS automation a run started."""

from __future__ import annotations

import json

import typer

__all__ = ["app"]

app = typer.Typer(help="The lab's DNS automation (experiments with stack.automation).",
                  no_args_is_help=True)  # fmt: skip


@app.command()
def status(ctx: typer.Context) -> None:
    """Mode, the plan in effect, the record's addresses, whether it was emptied, recent log."""
    from chaoskit.automation.live import read_status

    found = read_status(ctx.obj["state_dir"])
    if not found:
        typer.echo("the DNS automation has not run in this lab", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(found, indent=2))


@app.command()
def repair(ctx: typer.Context) -> None:
    """Write the newest plan to the record by hand, as the operators did, and unstick it."""
    import psutil

    from chaoskit.automation.live import read_status
    from chaoskit.automation.process import request_repair

    pid = read_status(ctx.obj["state_dir"]).get("pid")
    if not isinstance(pid, int) or not psutil.pid_exists(pid):
        typer.echo(
            "the DNS automation is not running in this lab (it runs during a run whose "
            "stack.automation is legacy or safe): nothing to repair, nothing requested",
            err=True,
        )
        raise typer.Exit(1)
    count = request_repair(ctx.obj["state_dir"])
    typer.echo(f"repair requested (#{count}); see chaoskit automation status")
