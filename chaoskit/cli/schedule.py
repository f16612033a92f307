"""``chaoskit schedule add|list|remove``, ``chaoskit scheduler``, ``chaoskit history``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from chaoskit.cli._console import console, warning

if TYPE_CHECKING:
    from chaoskit.lab.config import LabConfig
    from chaoskit.schedule.db import DamagedRow

__all__ = ["register"]

schedule_app = typer.Typer(help="Recurring and one-off runs of experiments and game days.",
                           no_args_is_help=True)  # fmt: skip
out = console()
err = console(stderr=True)


def _warn_of(damaged: list[DamagedRow]) -> None:
    for row in damaged:
        err.print(warning(row.describe()), soft_wrap=True)


def _kind_of(target: Path, config: LabConfig | None) -> str:
    """Validate the file as a game-day plan or an experiment (as its keys say), against the
    lab its runs will have; which it is."""
    from chaoskit.documents import document_kind
    from chaoskit.experiment.load import load_experiment
    from chaoskit.gameday.load import load_plan

    if document_kind(target) == "game-day plan":
        load_plan(target, config)
        return "gameday"
    load_experiment(target, config)
    return "experiment"


@schedule_app.command("add")
def add(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="An experiment or a game-day plan.")],
    cron: Annotated[str | None, typer.Option(help="Cron expression, e.g. '0 9 * * 1-5'.")] = None,
    at: Annotated[str | None, typer.Option(help="Once, at an ISO date and time.")] = None,
    tz: Annotated[str, typer.Option(help="Time zone of --cron and --at (IANA name).")] = "UTC",
    missed: Annotated[
        str, typer.Option(help="Runs missed while the scheduler was down: skip or run-once.")
    ] = "skip",
    out_dir: Annotated[Path, typer.Option("--out", help="Where run directories go.")] = Path(
        "reports"
    ),
) -> None:
    """Schedule TARGET (validated now) with --cron or --at."""
    from datetime import UTC, datetime

    from chaoskit._errors import InvalidInput
    from chaoskit.cli._shared import lab_config
    from chaoskit.paths import writable_directory
    from chaoskit.schedule.jobs import add_job, check_cron, parse_at, zone

    if (cron is None) == (at is None):
        raise InvalidInput("schedule add: give exactly one of --cron EXPR or --at DATETIME")
    if missed not in ("skip", "run-once"):
        raise InvalidInput(f"--missed: expected skip or run-once, got {missed!r}")
    zone(tz)
    writable_directory(out_dir, "--out")
    state_dir = ctx.obj["state_dir"]
    config = lab_config(ctx.obj)  # the lab up, else the lab file, else the sample stack
    kind = _kind_of(target, config)
    lab_file = config.lab_file if config is not None else None
    job = add_job(
        state_dir, target, "gameday" if kind == "gameday" else "experiment",
        cron=None if cron is None else check_cron(cron),
        at=None if at is None else parse_at(at, tz), tz=tz,
        missed="run-once" if missed == "run-once" else "skip", out_dir=out_dir,
        now=datetime.now(UTC), lab_file=None if lab_file is None else Path(lab_file),
    )  # fmt: skip
    assert job.next_due is not None
    due = f"{job.next_due:%Y-%m-%d %H:%M:%S} UTC"
    out.print(f"{job.id}: {kind} {job.target}, {job.when}; next run {due}",
              highlight=False, soft_wrap=True)  # fmt: skip


@schedule_app.command("list")
def list_jobs(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
) -> None:
    """The scheduled jobs, next due first."""
    from chaoskit.schedule.jobs import read_jobs

    found = read_jobs(ctx.obj["state_dir"])
    jobs = found.jobs
    _warn_of(found.damaged)
    if as_json:
        typer.echo(json.dumps([
            {"id": j.id, "target": j.target, "kind": j.kind, "cron": j.cron,
             "at": j.at.isoformat() if j.at else None, "tz": j.tz, "missed": j.missed,
             "next_due": j.next_due.isoformat() if j.next_due else None,
             "last_run_at": j.last_run_at.isoformat() if j.last_run_at else None,
             "last_exit": j.last_exit, "lab_file": j.lab_file}
            for j in jobs
        ], indent=2))  # fmt: skip
        return
    table = Table(title="scheduled jobs")
    for column in ("id", "target", "when", "missed", "next run (UTC)", "last run", "exit"):
        table.add_column(column)
    for j in jobs:
        table.add_row(
            j.id, j.target, j.when, j.missed,
            f"{j.next_due:%Y-%m-%d %H:%M:%S}" if j.next_due else "done",
            f"{j.last_run_at:%Y-%m-%d %H:%M:%S}" if j.last_run_at else "-",
            "-" if j.last_exit is None else str(j.last_exit),
        )  # fmt: skip
    out.print(table)


@schedule_app.command("remove")
def remove(
    ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="The job's id.")]
) -> None:
    """Remove a scheduled job."""
    from chaoskit.schedule.jobs import remove_job

    remove_job(ctx.obj["state_dir"], job_id)
    out.print(f"removed {job_id}")


def scheduler(
    ctx: typer.Context,
    max_runs: Annotated[
        int | None,
        typer.Option(min=1, help="Exit after this many runs (for scripts and tests)."),
    ] = None,
) -> None:
    """Run due jobs in the foreground, one at a time per lab, until SIGTERM or Ctrl-C.

    A run missed while the scheduler was down is skipped or run once, as its job says.
    """
    from chaoskit.schedule.daemon import Scheduler

    Scheduler(ctx.obj["state_dir"], echo=lambda m: out.print(m, highlight=False)).run_forever(
        max_runs
    )


def history(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
    experiment: Annotated[
        str | None, typer.Option(help="Only this experiment (title or file name).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs.")] = 50,
) -> None:
    """Past runs with verdict, key metrics and report, and time-to-recover per experiment."""
    from dataclasses import asdict

    from chaoskit.schedule.history import read_history, trends

    found = read_history(ctx.obj["state_dir"], experiment, limit)
    runs = found.runs
    _warn_of(found.damaged)
    if as_json:
        document = {
            "runs": [asdict(r) for r in runs],
            "trends": [t.as_dict() for t in trends(runs)],
            "damaged": [asdict(d) for d in found.damaged],
        }
        typer.echo(json.dumps(document, indent=2, allow_nan=False))
        return
    table = Table(title="runs, newest first")
    for column in (
        "started (UTC)",
        "experiment",
        "profile",
        "trigger",
        "verdict",
        "recover",
        "report",
    ):
        table.add_column(column)
    for r in runs:
        recover = "-" if r.time_to_recover_s is None else f"{r.time_to_recover_s:.2f}s"
        table.add_row(
            r.started_at, r.title, r.profile, r.trigger, r.verdict, recover, r.report or "-"
        )
    out.print(table)
    for trend in trends(runs):
        figures = " → ".join("-" if v is None else f"{v:.2f}s" for v in trend.recover_s[-10:])
        out.print(f"{trend.title}: {trend.held}/{trend.runs} held; time to recover {figures} "
                  f"({trend.direction})", highlight=False, soft_wrap=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
    app.command()(scheduler)
    app.command()(history)
