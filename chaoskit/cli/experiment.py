"""``chaoskit validate|run|recover|schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from chaoskit.cli._console import console
from chaoskit.cli._shared import duration_option

__all__ = ["register"]

out = console()
err = console(stderr=True)


def validate(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Experiment files, lab files and game-day plans, each checked as what its "
            "keys say it is; a directory: every *.yaml and *.yml in it (none: the lab file only)."
        ),
    ] = None,
) -> None:
    """Check the lab file and experiment files against it; print one line per problem
    (file:line:col: field: message). A lab file among FILES is the lab the experiments are
    checked against when no --lab names one."""
    from chaoskit._input import InputInvalid
    from chaoskit.cli._shared import lab_config
    from chaoskit.documents import compose_file, document_kind, yaml_files_in
    from chaoskit.experiment.load import load_experiment
    from chaoskit.gameday.load import load_plan
    from chaoskit.lab.labfile import lab_config_from_file
    from chaoskit.lab.open import lab_is_up

    problems: list[str] = []
    listed: list[Path] = []
    for path in files or []:
        if not path.is_dir():
            listed.append(path)
        elif found := yaml_files_in(path):
            for compose in filter(compose_file, found):
                out.print(f"{compose}: skipped (a Docker Compose file)")
            listed += [f for f in found if not compose_file(f)]
        else:
            problems.append(f"{path}:1:1: (directory): no YAML files (*.yaml, *.yml) in it")
    kinds = {path: document_kind(path) for path in listed}
    lab_file = ctx.obj.get("lab_file")
    given = [path for path, kind in kinds.items() if kind == "lab file"]
    if lab_file is None and len(given) == 1 and not lab_is_up(ctx.obj["state_dir"]):
        lab_file = given[0]  # else the lab that is up, and the file checked on its own
    config = lab_config({**ctx.obj, "lab_file": lab_file})
    if lab_file is not None:
        out.print(f"{lab_file}: ok (lab file)")
    elif not files:
        raise typer.BadParameter("give experiment files, or a lab file with --lab")
    for path, kind in kinds.items():
        if kind == "lab file" and lab_file is not None and path.resolve() == lab_file.resolve():
            continue
        try:
            if kind == "lab file":
                lab_config_from_file(path)
            elif kind == "game-day plan":
                load_plan(path, config)
            else:
                load_experiment(path, config)
        except InputInvalid as exc:
            problems += [str(p) for p in exc.problems]
        else:
            out.print(f"{path}: ok" + ("" if kind == "experiment" else f" ({kind})"))
    if problems:
        for line in problems:
            typer.echo(line, err=True)
        raise typer.Exit(2)


def run(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The experiment file.")],
    backend: Annotated[str | None, typer.Option(help="Override the stack's backend.")] = None,
    profile: Annotated[
        str | None, typer.Option(help="Run every service with this profile: naive or resilient.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where run directories go.")] = Path(
        "reports"
    ),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the resolved timeline; inject nothing.")
    ] = False,
    recovery_timeout: Annotated[
        float | None,
        typer.Option(
            parser=duration_option,
            metavar="<duration>",
            help="Override recovery.timeout: 90s, 2m, or seconds.",
        ),
    ] = None,
    fresh: Annotated[
        bool,
        typer.Option(help="Restart the sample services first, so every run starts the same."),
    ] = True,
    load_workers: Annotated[
        int | None,
        typer.Option(
            min=0, max=64, help="Run Locust distributed: one master and N workers on loopback."
        ),
    ] = None,
) -> None:
    """Run an experiment: lab up, steady state, load, faults, revert, recovery, report.

    Exit 0: hypothesis held and the system recovered; 1: it did not; 2: invalid input;
    3: aborted by a stop condition or interrupted; 4: another run holds the lab.
    """
    from chaoskit._errors import InvalidInput
    from chaoskit.cli._shared import lab_config
    from chaoskit.runs import PROFILES, checked_experiment

    if profile is not None and profile not in PROFILES:
        raise InvalidInput(f"--profile: expected naive or resilient, got {profile!r}")
    if dry_run:  # what the run would run, its options checked as the run checks them
        planned = checked_experiment(
            file, lab_config(ctx.obj), recovery_timeout_s=recovery_timeout,
            load_workers=load_workers, backend=backend,
        )  # fmt: skip
        _print_plan(planned, recovery_timeout)
        return
    from chaoskit.cli.live import LiveView
    from chaoskit.runs import run_experiment

    live = LiveView(out, f"chaoskit run {file}")
    with live:
        result = run_experiment(
            file, profile=profile, out=out_dir, lab_file=ctx.obj.get("lab_file"),
            state_dir=ctx.obj["state_dir"], backend=backend, fresh=fresh,
            recovery_timeout_s=recovery_timeout, load_workers=load_workers, echo=live.echo,
            on_event=live.on_event, interactive=sys.stdin.isatty(),
        )  # fmt: skip
    live.summary(result)
    raise typer.Exit(result.exit_code)


def _print_plan(experiment: object, recovery_timeout_s: float | None = None) -> None:
    from rich.table import Table

    from chaoskit.experiment.model import Experiment
    from chaoskit.experiment.timeline import plan

    assert isinstance(experiment, Experiment)
    table = Table(title=f"{experiment.title} (dry run: nothing is injected)")
    for column in ("#", "start", "end", "step"):
        table.add_column(column)
    for planned in plan(experiment.method):
        end = f"{planned.end_s:g}s" if planned.end_s != planned.start_s else ""
        table.add_row(str(planned.index), f"{planned.start_s:g}s", end, planned.label)
    out.print(table)
    load = experiment.load
    if load is not None:
        out.print(
            f"load: {load.users} users at {load.spawn_rate:g}/s, {load.locustfile} locustfile, "
            f"{load.workers} workers, warm-up {load.warmup:g}s"
        )
    out.print(
        f"recovered when {experiment.recovery.consecutive_samples} samples in a row meet the SLO "
        f"(timeout {recovery_timeout_s or experiment.recovery.timeout:g}s)"
    )


def recover(ctx: typer.Context) -> None:
    """Put the lab back as it should be: revert, verify and clear every fault in the ledger,
    then thaw, restart or remove whatever else differs (a component stopped by hand, a
    disabled proxy, a toxic or DNS fault with no ledger entry). Exit 1 if anything is left."""
    from chaoskit.cli._shared import plain_printer
    from chaoskit.experiment.recover import recover as do_recover
    from chaoskit.lab.lock import LabLock
    from chaoskit.lab.open import open_lab

    echo = plain_printer(out)
    state_dir = ctx.obj["state_dir"]
    if not state_dir.is_dir():  # a mistyped --state-dir: nothing to recover, nothing made
        echo(f"no lab state in {state_dir} (no such directory): nothing to recover")
        return
    with LabLock(state_dir).held("chaoskit recover"):  # a live run reverts its own faults
        done = do_recover(open_lab(state_dir, auto_default="local"))
    if done.quarantined is not None:
        echo(f"the ledger was unreadable; moved aside to {done.quarantined}")
    if done.nothing_to_do:
        echo("the ledger is empty and the lab is as it should be: nothing to recover")
        return
    for entry, verified, detail in done.entries:
        mark = "ok" if verified else "FAILED"
        echo(f"{mark} {entry.kind} on {entry.target} (run {entry.run}): {detail}")
    if done.drift:
        echo("not in the ledger (changed by hand or by another program):")
    for drift, repaired, detail in done.drift:
        mark = "ok" if repaired else "FAILED"
        echo(f"{mark} {drift.describe()}: {detail}")
    if not done.ok:
        raise typer.Exit(1)


def schema(
    what: Annotated[str, typer.Argument(help="experiment or lab")] = "experiment",
) -> None:
    """Print the JSON Schema of experiment files, or of lab files (``schema lab``)."""
    from pydantic import BaseModel

    from chaoskit._errors import InvalidInput
    from chaoskit.experiment.model import Experiment
    from chaoskit.lab.labfile import LabFile

    models: dict[str, type[BaseModel]] = {"experiment": Experiment, "lab": LabFile}
    if what not in models:
        raise InvalidInput(f"schema: expected experiment or lab, got {what!r}")
    document = models[what].model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = f"chaoskit {what}"
    typer.echo(json.dumps(document, indent=2))


def init(
    path: Annotated[
        Path,
        typer.Argument(
            help="The lab file to write (*.yaml, *.yml), or a directory to write chaoskit.yaml "
            "into (made if it does not exist)."
        ),
    ] = Path("chaoskit.yaml"),
    force: Annotated[bool, typer.Option(help="Overwrite a file that exists.")] = False,
) -> None:
    """Write a commented starter lab file (chaoskit.yaml); given a directory, into it, as
    ``git init DIR`` does (``init team`` makes team/ when there is none)."""
    from chaoskit._errors import InvalidInput
    from chaoskit._whole_files import write_whole
    from chaoskit.lab.starter import STARTER

    if path.suffix not in (".yaml", ".yml") or path.is_dir():
        if path.exists() and not path.is_dir():
            raise InvalidInput(f"{path}: is a file, neither a lab file (*.yaml, *.yml) nor a "
                               "directory to write chaoskit.yaml into")  # fmt: skip
        _in_a_directory(path)
        path.mkdir(exist_ok=True)  # one made here holds no file for the checks below to refuse
        path = path / "chaoskit.yaml"
    _in_a_directory(path)
    folder = path.parent
    if path.exists() and not force:
        raise InvalidInput(f"{path} exists; pass --force to overwrite it")
    other_spelling = folder / "chaoskit.yml"
    if path.name == "chaoskit.yaml" and other_spelling.is_file():
        raise InvalidInput(f"{other_spelling} is the lab file here already: edit it, or remove "
                           "it first (with both, either could be the lab)")  # fmt: skip
    write_whole(path, lambda tmp: tmp.write_text(STARTER))
    out.print(f"wrote {path}: edit it, then `chaoskit validate` and `chaoskit up`")


def _in_a_directory(path: Path) -> None:
    from chaoskit._errors import InvalidInput

    folder = path.parent
    if not folder.is_dir():
        what = "is not a directory" if folder.exists() else "does not exist; create it first"
        raise InvalidInput(f"{path}: {folder} {what}")


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(run)
    app.command()(recover)
    app.command()(schema)
    app.command()(init)
