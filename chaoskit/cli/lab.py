"""``chaoskit doctor|install|up|status|down``."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from chaoskit.cli._console import console, styled

if TYPE_CHECKING:
    from chaoskit.experiment.ledger import LedgerEntry
    from chaoskit.lab.backend import LabBackend
    from chaoskit.lab.config import LabConfig
    from chaoskit.resolver.settings import ResolverProfile
    from chaoskit.services.resilience.settings import ServiceProfile

__all__ = ["register"]

out = console()
DynamoOption = Annotated[
    str | None,
    typer.Option("--dynamodb", help="Force the DynamoDB engine: local (java) or moto."),
]


def _lab(  # type: ignore[no-untyped-def]
    ctx: typer.Context,
    config: Path | None = None,
    dynamodb: str | None = None,
    backend: str = "auto",
    project: str | None = None,
    existing: bool = False,
):
    from chaoskit._errors import InvalidInput
    from chaoskit.cli import _shared
    from chaoskit.lab import load_lab_config
    from chaoskit.lab.config import ComposeSettings
    from chaoskit.lab.open import open_lab

    if dynamodb not in (None, "local", "moto"):
        raise InvalidInput(f"--dynamodb: expected 'local' or 'moto', got {dynamodb!r}")
    if config is not None and ctx.obj.get("lab_file") is not None and not existing:
        raise InvalidInput(
            f"--config {config} and the lab file {ctx.obj['lab_file']} both describe the lab; "
            "give one (a lab file's subnet: moves the lab's addresses)"
        )
    lab_config: LabConfig | None = None
    if config is not None:
        lab_config = load_lab_config(config)
    elif not existing:
        lab_config = _shared.lab_config(ctx.obj)
    compose = None
    if project is not None:
        from pydantic import ValidationError

        try:
            compose = ComposeSettings(project=project)
        except ValidationError:
            raise InvalidInput(
                f"--project: {project!r} is not a Compose project name (lower-case letters, "
                "digits, '-' and '_', beginning with a letter or a digit)"
            ) from None
    return open_lab(
        ctx.obj["state_dir"], backend, config=lab_config, dynamodb=dynamodb,
        compose=compose, echo=lambda m: out.print(m),
        auto_default="local" if existing else None,  # status and down: only what is up
    )  # fmt: skip


def doctor() -> None:
    """List each component the lab needs: found or missing, its version, how to install it."""
    from chaoskit.lab.doctor import diagnose

    table = Table(title="chaoskit doctor")
    for column in ("component", "status", "version", "detail / install with"):
        table.add_column(column, overflow="fold")
    failing = False
    for f in diagnose():
        if f.found:
            status = styled(("found", "green"))
        elif f.required:
            status, failing = styled(("MISSING", "red")), True
        else:
            status = styled(("missing (optional)", "yellow"))
        detail = styled(f.detail, *((("\ninstall:", "bold"), f" {f.install}") if f.install else ()))
        table.add_row(f.component, status, f.version, detail)
    out.print(table)
    raise typer.Exit(1 if failing else 0)


def install(
    what: Annotated[str, typer.Argument(help="toxiproxy, dynamodb-local, or all")] = "all",
) -> None:
    """Install Toxiproxy (go install) and DynamoDB Local (Maven Central) into the cache."""
    from chaoskit._errors import InvalidInput
    from chaoskit.install import (
        find_dynamodb_local,
        find_toxiproxy,
        install_dynamodb_local,
        install_toxiproxy,
    )
    from chaoskit.install.dynamodb_local import prepare_class_sharing

    if what not in ("toxiproxy", "dynamodb-local", "all"):
        raise InvalidInput(f"install: expected toxiproxy, dynamodb-local or all, got {what!r}")
    if what in ("toxiproxy", "all"):
        found = find_toxiproxy()
        out.print(f"toxiproxy-server: {found or install_toxiproxy()}")
    if what in ("dynamodb-local", "all"):
        ddb = find_dynamodb_local() or install_dynamodb_local()
        java = shutil.which("java")
        sharing = f" ({prepare_class_sharing(ddb, java)})" if java else ""
        out.print(f"DynamoDB Local: {ddb.home}{sharing}")


def up(
    ctx: typer.Context,
    backend: Annotated[
        str,
        typer.Option(
            help="local (processes on loopback), compose (Docker Compose), or auto: compose "
            "when a Docker engine answers, local otherwise. A lab that is up keeps its backend."
        ),
    ] = "auto",
    project: Annotated[
        str | None, typer.Option(help="Compose project name (compose backend).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="YAML file of lab addresses and ports.")
    ] = None,
    dynamodb: DynamoOption = None,
    profile: Annotated[
        str | None,
        typer.Option(help="Resilience profile for every service: naive or resilient."),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="SERVICE.SETTING=VALUE over the profile, e.g. orders.dns.serve_stale=false; "
            "resolver.SETTING=VALUE for the lab resolver, e.g. resolver.serve_expired=false.",
        ),
    ] = None,
    resolver_profile: Annotated[
        str | None,
        typer.Option(help="The lab resolver's profile: naive (Unbound's defaults) or resilient."),
    ] = None,
    services: Annotated[
        bool, typer.Option(help="Start the sample services (orders, fleet, status, gateway).")
    ] = True,
) -> None:
    """Start every lab component that is not running and wait until all are healthy.

    A running service whose profile changes is restarted with the new one.

    Refused (exit 4) while a run, a game day or Python faults hold the lab.
    """
    from chaoskit.experiment.drift import find_drift, repair_drift

    with _holding_the_lab(
        ctx.obj["state_dir"], "chaoskit up", would="change the lab under it: let it end first"
    ):
        lab = _lab(ctx, config, dynamodb, backend, project)
        service_pairs = [p for p in overrides or [] if not p.startswith("resolver.")]
        resolver_pairs = [
            p[len("resolver.") :] for p in overrides or [] if p.startswith("resolver.")
        ]
        wanted = _profiles(lab.state.profiles, profile, service_pairs, lab.config)
        resolver = _resolver_profile(lab.state.resolver, resolver_profile, resolver_pairs)
        entries = _live_entries(lab.state_dir)
        frozen = [d for d in find_drift(lab, entries) if d.level == "component"]
        for drift, repaired, detail in repair_drift(lab, frozen, entries) if frozen else []:
            out.print(f"{drift.describe()}: {detail}" + ("" if repaired else " (still so)"))
        lab.up(profiles=wanted, services=services, resolver=resolver)
        why = lab.system_resolver().unavailable
        if why:
            out.print(
                f"system-resolver mode (chaoskit exec, dns.resolver=system) is unavailable: {why}"
            )
        report = _with_drift(lab, lab.status())
        _print_status(report)
        if lab.timings:
            parts = ", ".join(f"{k} {v:.2f}s" for k, v in lab.timings.items())
            out.print(f"healthy in: {parts}")


def _profiles(
    current: dict[str, ServiceProfile], profile: str | None, pairs: list[str], config: LabConfig
) -> dict[str, ServiceProfile] | None:
    """Per-service profiles from ``--profile`` and ``--set orders.dns.serve_stale=false``."""
    from chaoskit._errors import InvalidInput
    from chaoskit.lab.catalogue import sample_services
    from chaoskit.services.resilience.settings import PROFILES, ServiceProfile, parse_overrides

    names = sample_services(config)
    if profile is None and not pairs:
        return None
    if profile is not None and profile not in PROFILES:
        raise InvalidInput(f"--profile: expected one of {', '.join(PROFILES)}, got {profile!r}")
    wanted = {name: current.get(name, ServiceProfile()) for name in names}
    if profile is not None:
        wanted = {name: ServiceProfile(profile=profile) for name in names}  # type: ignore[arg-type]
    for key, value in parse_overrides(pairs).items():
        service, _, setting = key.partition(".")
        if service not in wanted or not setting:
            known = ", ".join(names)
            raise InvalidInput(f"--set {key}: expected SERVICE.SETTING with SERVICE one of {known}")
        base = wanted[service]
        wanted[service] = base.model_copy(update={"overrides": {**base.overrides, setting: value}})
    for name, chosen in wanted.items():
        try:
            chosen.resolve()
        except InvalidInput as exc:
            raise InvalidInput(f"{name}: {exc}") from None
    return wanted


def _resolver_profile(
    current: ResolverProfile, profile: str | None, pairs: list[str]
) -> ResolverProfile | None:
    """The resolver's profile from ``--resolver-profile`` and ``--set resolver.X=Y``."""
    from chaoskit._errors import InvalidInput
    from chaoskit.resolver.settings import RESOLVER_PROFILES, ResolverProfile
    from chaoskit.services.resilience.settings import parse_overrides

    if profile is None and not pairs:
        return None
    if profile is not None and profile not in RESOLVER_PROFILES:
        known = ", ".join(RESOLVER_PROFILES)
        raise InvalidInput(f"--resolver-profile: expected one of {known}, got {profile!r}")
    chosen = ResolverProfile(profile=profile) if profile else current  # type: ignore[arg-type]
    chosen = chosen.model_copy(update={"overrides": {**chosen.overrides, **parse_overrides(pairs)}})
    chosen.resolve()
    return chosen


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Backend and, per component, pid, endpoint and health. Exit 1 if any is unhealthy."""
    lab = _lab(ctx, existing=True)
    report = _with_drift(lab, lab.status())
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        _print_status(report, ctx.obj.get("lab_file"))
    healthy = all(c["healthy"] for c in report["components"].values())
    as_it_should_be = not report["drift"] and not report.get("unrecorded")
    raise typer.Exit(0 if healthy and as_it_should_be and report["components"] else 1)


def _live_entries(state_dir: Path) -> list[LedgerEntry]:
    from chaoskit.experiment.ledger import Ledger, LedgerCorrupt

    try:
        return Ledger(state_dir).entries()
    except LedgerCorrupt:
        return []  # the notice says so; recover moves it aside


def _with_drift(lab: LabBackend, report: dict[str, Any]) -> dict[str, Any]:
    """The status report with the faults in force (the ledger) and every drift: what differs
    from the lab as it should be that no ledger entry accounts for."""
    from chaoskit.experiment.drift import find_drift
    from chaoskit.experiment.ledger import unended_past_expiry

    entries = _live_entries(lab.state_dir)
    unended = unended_past_expiry(lab.state_dir, entries, time.time())
    report["faults"] = [
        {"id": e.id, "kind": e.kind, "target": e.target, "run": e.run,
         "expires_at": e.expires_at, "reverted_by": e.reverted_by,
         "unended": e.id in unended}
        for e in entries
    ]  # fmt: skip
    report["drift"] = (
        [d.as_json() for d in find_drift(lab, entries)] if report["components"] else []
    )
    return report


@contextlib.contextmanager
def _holding_the_lab(
    state_dir: Path, command: str, would: str, force: bool = False
) -> Iterator[None]:
    """The lab lock for a command that changes the lab (``up``, ``down``): never under a
    run, a game day or faults put in from Python, which hold it while they act on the lab
    (a run's revert would start again what ``down`` stopped, and ``up`` restart what a
    fault killed); ``would`` says what the command would do under it. ``force`` (``down
    --force``): the holder is interrupted first, and the lab stopped even if something
    still holds it."""
    from chaoskit.lab.lock import LabBusy, LabLock

    lock = LabLock(state_dir)
    if not state_dir.is_dir():
        yield  # no lab was ever up here: nothing holds it, and no state directory to make
        return
    if force:
        if lock.take_over(command, echo=lambda m: out.print(m, highlight=False)):
            try:
                yield
            finally:
                lock.release()
            return
        out.print(
            f"--force: {lock.holder()} still holds the lab; stopping it anyway",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
        yield
        return
    with contextlib.ExitStack() as holding:
        try:
            holding.enter_context(lock.held(command))
        except LabBusy:
            raise LabBusy(f"the lab is busy: {lock.holder()}; `{command}` would {would}") from None
        yield


def down(
    ctx: typer.Context,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Stop the lab even while a run, a game day or faults from Python hold it: "
            "a run is interrupted first (as Ctrl-C, so it reverts its faults).",
        ),
    ] = False,
) -> None:
    """Revert every fault still in force and stop everything the lab started.

    Refused (exit 4) while a run, a game day or Python faults hold the lab, unless --force.
    """
    lab = _lab(ctx, existing=True)
    would = (
        "stop the lab under it: let it end or interrupt it (Ctrl-C; a run reverts its faults), "
        "or give --force to interrupt it and then stop the lab"
    )
    with _holding_the_lab(lab.state_dir, "chaoskit down", would, force):
        stopped = lab.down()
    out.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    for entry in lab.forgotten:
        out.print(
            f"ended with the lab: {entry.kind} on {entry.target} (run {entry.run}), left by "
            "a controller that is gone; cleared from the ledger",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
    from chaoskit.cli._shared import warn_of_ledger

    warn_of_ledger(lab.state_dir)  # what the teardown could not be sure it ended
    for name, other in lab.left_running.items():
        out.print(
            f"not stopped: {name}: its recorded {other} is not the process the lab started "
            "(another start time), so it was left alone; if it is the lab's, stop it yourself",
            highlight=False, soft_wrap=True,
        )  # fmt: skip


def _print_status(report: dict, lab_file: Path | None = None) -> None:  # type: ignore[type-arg]
    """The report as a table; ``lab_file`` is the one ``up`` would bring up now."""
    table = Table(title=f"lab ({report['backend']} backend, state in {report['state_dir']})")
    for column in ("component", "healthy", "pid", "endpoint", "engine / version"):
        table.add_column(column, overflow="fold")
    for name, c in report["components"].items():
        mark = styled(("yes", "green") if c["healthy"] else ("no", "red"))
        engine = " / ".join(x for x in (c.get("engine"), c.get("version")) if x)
        table.add_row(name, mark, str(c["pid"] or "-"), c["address"], engine)
    if not report["components"]:
        table.add_row("(nothing running)", "", "", "", "")
    out.print(table)
    described = report.get("lab_file") or "the sample stack (no lab file)"
    if not report["components"]:  # the state has no lab file then: say what `up` would use
        described = f"none up; `chaoskit up` brings up {lab_file or 'the sample stack'}"
    theirs = [what for key, what in (("toxiproxy_attached", "Toxiproxy"), ("dns_attached", "DNS"))
              if report.get(key)]  # fmt: skip
    attached = f" ({' and '.join(theirs)} attached, not started)" if theirs else ""
    out.print(f"lab: {described}{attached}", highlight=False, soft_wrap=True)
    now = time.time()
    for fault in report.get("faults", []):
        out.print(_fault_line(fault, now), highlight=False)
    for drift in report.get("drift", []):
        out.print(
            f"not as it should be: {drift['component']}: {drift['problem']} "
            f"(`chaoskit recover` will {drift['remedy']})",
            highlight=False,
        )  # fmt: skip
    if report.get("unrecorded"):
        out.print(
            f"containers of a start that did not finish (in no lab's state): "
            f"{', '.join(report['unrecorded'])}: `chaoskit up` finishes the start, "
            "`chaoskit down` removes them",
            highlight=False, soft_wrap=True,
        )  # fmt: skip


def _fault_line(fault: dict[str, Any], now: float) -> str:
    """One ledger entry as status shows it: in force, or ended and waiting to be cleared."""
    what = f"{fault['kind']} on {fault['target']} (run {fault['run']})"
    if fault.get("reverted_by"):
        return f"fault reverted by the {fault['reverted_by']}, still in the ledger: {what}"
    if fault.get("unended"):
        return (f"fault in force past its expiry (the watchdog that ends it is not running; "
                f"`chaoskit recover` reverts it): {what}")  # fmt: skip
    if fault["expires_at"] <= now:
        return f"fault past its expiry, still in the ledger: {what}"
    return f"fault in force: {what}, expires in {fault['expires_at'] - now:.0f}s"


def register(app: typer.Typer) -> None:
    for command in (doctor, install, up, status, down):
        app.command()(command)
