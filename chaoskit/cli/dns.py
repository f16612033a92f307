"""``chaoskit dns serve|list|set|delete|fault|lift|events|reload``."""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from chaoskit.cli._console import console
from chaoskit.cli._shared import duration_option

if TYPE_CHECKING:
    from chaoskit.lab.config import Endpoint

__all__ = ["app"]

app = typer.Typer(help="Run the lab DNS server, or change its records and faults.",
                  no_args_is_help=True)  # fmt: skip
out = console()
err = console(stderr=True)

AdminUrl = Annotated[
    str | None,
    typer.Option("--admin-url", help="Admin API URL. Default: the running lab's DNS server."),
]
TokenFile = Annotated[
    Path | None, typer.Option("--token-file", help="Admin token file. Default: the lab's.")
]


@app.command()
def serve(
    ctx: typer.Context,
    zone: Annotated[list[Path], typer.Option("--zone", help="RFC 1035 zone file (repeatable).")],
    listen: Annotated[str, typer.Option(help="Address for DNS (UDP and TCP).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="DNS port.")] = 5353,
    admin_listen: Annotated[str | None, typer.Option(help="Admin API address.")] = None,
    admin_port: Annotated[int, typer.Option(min=0, max=65535, help="Admin API port.")] = 8053,
    token_file: TokenFile = None,
    event_log: Annotated[
        Path | None, typer.Option(help="Append every change to this JSON-lines file.")
    ] = None,
    udp: Annotated[
        str,
        typer.Option(
            envvar="CHAOSKIT_DNS_UDP",
            help="UDP listener: 'batched' (recvmmsg/sendmmsg from a thread; Linux, falls back "
            "to 'loop' elsewhere) or 'loop' (the asyncio event loop).",
        ),
    ] = "batched",
) -> None:
    """Serve zone files authoritatively, with faults controlled over the admin API."""
    import logging

    from chaoskit._errors import InvalidInput
    from chaoskit.dns.server import UDP_MODES, DnsServerConfig, run_dns_server
    from chaoskit.dns.zone import load_zone_file

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if udp not in UDP_MODES:
        raise InvalidInput(f"--udp (or CHAOSKIT_DNS_UDP): expected batched or loop, got {udp!r}")
    for option, address in (("--listen", listen), ("--admin-listen", admin_listen)):
        if address is not None and not _can_listen_on(address):
            raise InvalidInput(f"{option}: {address!r} is neither an IP address nor a name "
                               "this machine resolves; e.g. 127.0.0.1")  # fmt: skip
    served: dict[str, Path] = {}
    for path in zone:
        origin = load_zone_file(path).origin  # a bad zone is an input error before any bind
        if origin in served:
            raise InvalidInput(f"--zone {path}: serves {origin}, as --zone {served[origin]} does")
        served[origin] = path
    run_dns_server(
        DnsServerConfig(
            zone_files=zone,
            listen=listen,
            port=port,
            admin_listen=admin_listen or listen,
            admin_port=admin_port,
            token_file=token_file or ctx.obj["state_dir"] / "dns-admin.token",
            event_log=event_log,
            udp_mode=udp,  # type: ignore[arg-type]
        )
    )


def _can_listen_on(address: str) -> bool:
    """An IP address, or a name this machine resolves (``localhost``)."""
    import socket

    try:
        socket.getaddrinfo(address, None, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError):
        return False
    return True


def _client(ctx: typer.Context, admin_url: str | None, token_file: Path | None):  # type: ignore[no-untyped-def]
    from chaoskit._text import http_url_problem
    from chaoskit.dns.client import DnsAdminClient
    from chaoskit.lab.state import LabState

    state_dir: Path = ctx.obj["state_dir"]
    if admin_url is not None and (bad := http_url_problem(admin_url, "http://127.0.0.1:8053")):
        from chaoskit._errors import InvalidInput

        raise InvalidInput(f"--admin-url: {bad}")
    if admin_url is None:
        state = LabState.load(state_dir)
        from chaoskit.lab.config import LabConfig

        lab_admin = (state.config if state else LabConfig()).dns_admin
        admin: Endpoint | None = lab_admin
        if state is None and token_file is None:
            admin = _a_server_here(state_dir, lab_admin)
        if admin is None:
            from chaoskit._errors import DnsAdminError

            raise DnsAdminError(
                f"no lab is up here ({state_dir}): start one with `chaoskit up`, or name a "
                "DNS server of your own with --admin-url and --token-file"
            )
        admin_url = f"http://{admin}"
    return DnsAdminClient.from_token_file(
        admin_url, token_file or state_dir / "dns-admin.token", actor="cli"
    )


def _a_server_here(state_dir: Path, lab_admin: Endpoint) -> Endpoint | None:
    """With no lab up: the admin API of a ``chaoskit dns serve`` of this state directory
    that takes its token, where a lab's would answer or where ``dns serve`` listens by
    default; None if none does. A lab's ``down`` leaves the token behind, so the token
    alone says nothing, and a lab of another directory may answer at the lab's address
    (with a token of its own: this one's got HTTP 401)."""
    from chaoskit._errors import DnsAdminError
    from chaoskit.dns.client import DnsAdminClient
    from chaoskit.lab.config import Endpoint

    if not (state_dir / "dns-admin.token").exists():
        return None
    for admin in (lab_admin, Endpoint(host="127.0.0.1", port=8053)):
        try:
            with DnsAdminClient.from_token_file(
                f"http://{admin}", state_dir / "dns-admin.token", timeout=1.0
            ) as client:
                client.zones()
        except DnsAdminError:
            continue
        return admin
    return None


@app.command("list")
def list_records(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Only this name.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    admin_url: AdminUrl = None,
    token_file: TokenFile = None,
) -> None:
    """The records served now, and the faults in force."""
    with _client(ctx, admin_url, token_file) as client:
        records, faults = client.records(name), client.faults()
    if as_json:
        typer.echo(json.dumps({"records": records, "faults": faults}, indent=2))
        return
    table = Table(title="records")
    for column in ("name", "type", "ttl", "values"):
        table.add_column(column)
    for r in records:
        table.add_row(r["name"], r["type"], str(r["ttl"]), "\n".join(r["values"]) or "(none)")
    out.print(table)
    _print_faults(faults)


def _print_faults(faults: list[dict[str, Any]]) -> None:
    table = Table(title="faults in force")
    for column in ("id", "kind", "name", "probability", "params", "left"):
        table.add_column(column)
    for f in faults:
        params = json.dumps({k: v for k, v in f["params"].items() if v is not None})
        left = f"{f['remaining_s']:.1f}s"
        table.add_row(f["id"], f["kind"], f["name"], str(f["probability"]), params, left)
    out.print(table)


@app.command("set")
def set_record(
    ctx: typer.Context,
    name: str,
    rtype: Annotated[str, typer.Argument(metavar="TYPE")],
    values: Annotated[
        list[str] | None, typer.Argument(help="Values; none empties the RRset.")
    ] = None,
    ttl: Annotated[int, typer.Option()] = 60,
    admin_url: AdminUrl = None,
    token_file: TokenFile = None,
) -> None:
    """Replace one RRset (e.g. ``set dynamodb.us-east-1.lab.test A 127.0.10.11``)."""
    with _client(ctx, admin_url, token_file) as client:
        done = client.set_record(name, rtype, values or [], ttl)
    out.print(
        f"{done['name']} {done['ttl']} {done['type']} {' '.join(done['values']) or '(no values)'}"
    )


@app.command()
def delete(
    ctx: typer.Context,
    name: str,
    rtype: Annotated[str | None, typer.Argument(metavar="[TYPE]")] = None,
    admin_url: AdminUrl = None,
    token_file: TokenFile = None,
) -> None:
    """Delete an RRset, or every RRset of a name."""
    with _client(ctx, admin_url, token_file) as client:
        removed = client.delete_record(name, rtype)
    out.print(f"removed {removed} RRset(s)")


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    from chaoskit._keyvalues import parse_key_values

    return parse_key_values(pairs, "--param", "ms=200")


@app.command()
def fault(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(help="blank, nxdomain, servfail, refused, drop, delay, wrong_ip, ttl, flap"),
    ],
    name: Annotated[str, typer.Argument(help="Exact name or glob, e.g. 'dynamodb.*.lab.test'.")],
    duration: Annotated[
        float,
        typer.Option(
            parser=duration_option,
            metavar="<duration>",
            help="How long until the server lifts it itself: 30s, 500ms, 2m, or seconds.",
        ),
    ] = 60.0,
    probability: Annotated[float, typer.Option(help="Share of queries affected.")] = 1.0,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="key=value, e.g. ms=200")
    ] = None,
    admin_url: AdminUrl = None,
    token_file: TokenFile = None,
) -> None:
    """Inject a fault; it is lifted when it expires even if nothing asks for it."""
    from chaoskit._errors import InvalidInput
    from chaoskit.dns.faults import is_pattern
    from chaoskit.lab.catalogue import bare_name

    if not math.isfinite(probability):
        raise InvalidInput(f"--probability: expected a finite number, got {probability}")
    with _client(ctx, admin_url, token_file) as client:
        done = client.add_fault(kind, name, duration, probability, **_parse_params(param or []))
        served = sorted({str(r["name"]) for r in client.records()})
    out.print(f"{done['id']}: {done['kind']} on {done['name']} for {done['duration_s']:g}s")
    written = bare_name(name) + "."  # as the server lists names
    if not _matches_a_served_name(written, served):  # a typo, most likely: say so
        close = [] if is_pattern(name) else difflib.get_close_matches(written, served, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        err.print(f"note: no name served now matches {name}{hint}; the fault is in, for the "
                  "name as written", highlight=False)  # fmt: skip


def _matches_a_served_name(wanted: str, served: list[str]) -> bool:
    """Whether a fault on ``wanted`` (a name or a glob, lower case, fully qualified) reaches
    a name the server has a record for, or one its wildcard records make (``*.w.lab.test``
    makes ``x.w.lab.test``)."""
    return any(
        fnmatch.fnmatchcase(name, wanted)
        or (name.startswith("*.") and wanted.endswith(name[1:]) and wanted != name[2:])
        for name in served
    )


@app.command()
def lift(
    ctx: typer.Context,
    fault_id: Annotated[str | None, typer.Argument(help="Fault id; omit with --all.")] = None,
    lift_all: Annotated[bool, typer.Option("--all", help="Lift every fault.")] = False,
    admin_url: AdminUrl = None,
    token_file: TokenFile = None,
) -> None:
    """Lift one fault, or all of them."""
    from chaoskit._errors import InvalidInput

    if bool(fault_id) == lift_all:
        raise InvalidInput("lift: give a fault id or --all, not both or neither")
    with _client(ctx, admin_url, token_file) as client:
        if lift_all:
            out.print(f"lifted: {', '.join(client.lift_all()) or 'none in force'}")
        else:
            assert fault_id is not None
            client.lift_fault(fault_id)
            out.print(f"lifted {fault_id}")


@app.command()
def events(
    ctx: typer.Context,
    since: Annotated[int, typer.Option(help="Only events after this sequence number.")] = 0,
    admin_url: AdminUrl = None,
    token_file: TokenFile = None,
) -> None:
    """The change log: every record and fault change, with who made it, as JSON lines."""
    with _client(ctx, admin_url, token_file) as client:
        for event in client.events(since)["events"]:
            typer.echo(json.dumps(event, sort_keys=True))


@app.command()
def reload(ctx: typer.Context, admin_url: AdminUrl = None, token_file: TokenFile = None) -> None:
    """Re-read the zone files without a restart (run-time records are kept)."""
    with _client(ctx, admin_url, token_file) as client:
        out.print(f"reloaded: {', '.join(client.reload())}")
