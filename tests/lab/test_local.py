"""The local backend against the real DNS server, Toxiproxy and DynamoDB Local."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import botocore.exceptions
import pytest

from chaoskit._errors import PortInUse
from chaoskit.automation.live import read_control, write_control
from chaoskit.experiment.faults.load import surge_control
from chaoskit.experiment.handles import (
    DnsFaultHandle,
    EnactorHandle,
    LoadHandle,
    ProcessHandle,
    ToxicHandle,
)
from chaoskit.experiment.ledger import Ledger, LedgerEntry, ledger_notice
from chaoskit.lab import LocalLab
from chaoskit.lab.clients import dynamodb_client, lab_resolver, resolve_endpoint
from chaoskit.lab.components import HOST_HELPERS
from chaoskit.lab.ports import ensure_free
from chaoskit.lab.state import LabState
from tests.helpers import run_cli, start_run, wait_for_injections
from tests.lab.fixtures import lab_config, session_net

# xdist: its labs on 127.0.12 and 127.0.13, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.12")


def _table(client: object) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    client.create_table(  # type: ignore[attr-defined]
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def test_lab_names_resolve_through_the_lab_dns_server(lab: LocalLab) -> None:
    resolver = lab_resolver(lab.config)
    for region in lab.config.regions:
        answer = resolver.resolve(region.record, "A")
        assert [r.address for r in answer] == [region.proxy.host]
        assert answer.rrset is not None and answer.rrset.ttl == lab.config.record_ttl


def test_put_and_get_through_toxiproxy_in_both_regions(lab: LocalLab) -> None:
    for region in lab.config.regions:
        endpoint = resolve_endpoint(lab.config, region)
        assert endpoint == f"http://{region.proxy.host}:8000"
        client = dynamodb_client(endpoint, region.region)
        table = _table(client)
        client.put_item(TableName=table, Item={"pk": {"S": "k"}, "region": {"S": region.region}})
        item = client.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]
        assert item["region"]["S"] == region.region


def _timed_call(client: object, table: str) -> float:
    started = time.monotonic()
    client.get_item(TableName=table, Key={"pk": {"S": "k"}})  # type: ignore[attr-defined]
    return time.monotonic() - started


def test_a_latency_toxic_adds_its_latency(lab: LocalLab) -> None:
    region = lab.config.region("us-east-1")
    client = dynamodb_client(resolve_endpoint(lab.config, region), region.region)
    table = _table(client)
    baseline = min(_timed_call(client, table) for _ in range(5))
    toxi = lab.toxiproxy()
    toxi.add_toxic(region.proxy_name, "latency", "test-latency", {"latency": 400, "jitter": 0})
    try:
        slowed = min(_timed_call(client, table) for _ in range(3))
    finally:
        assert toxi.remove_toxic(region.proxy_name, "test-latency")
    assert slowed - baseline >= 0.35
    assert min(_timed_call(client, table) for _ in range(3)) < baseline + 0.2


def test_a_disabled_proxy_makes_calls_fail_and_enabling_restores_them(lab: LocalLab) -> None:
    region = lab.config.region("us-east-1")
    client = dynamodb_client(resolve_endpoint(lab.config, region), region.region, timeout_s=1)
    table = _table(client)
    toxi = lab.toxiproxy()
    toxi.set_enabled(region.proxy_name, False)
    try:
        with pytest.raises(botocore.exceptions.EndpointConnectionError):
            client.get_item(TableName=table, Key={"pk": {"S": "k"}})
    finally:
        toxi.set_enabled(region.proxy_name, True)
    client.get_item(TableName=table, Key={"pk": {"S": "k"}})


def test_up_twice_is_harmless(lab: LocalLab, lab_state_dir: Path) -> None:
    lab.refresh()  # other tests' commands may have restarted services
    pids = {n: c.pid for n, c in lab.state.components.items()}
    again = LocalLab(lab_state_dir)
    again.up()
    assert {n: c.pid for n, c in again.state.components.items()} == pids
    assert all(c["healthy"] for c in again.status()["components"].values())


def test_status_json_lists_every_component(lab: LocalLab, lab_state_dir: Path) -> None:
    import json

    done = run_cli("--state-dir", str(lab_state_dir), "status", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["backend"] == "local"
    assert set(report["components"]) == {
        "dns", "resolver", "toxiproxy", "dynamodb-us-east-1", "dynamodb-us-west-2",
        "orders", "fleet", "status", "gateway", "watchdog", "forkserver", "loadserver",
    }  # fmt: skip
    for name, component in report["components"].items():
        assert component["healthy"] is True
        assert component["address"]
        assert component["pid"] > 0
        if name not in HOST_HELPERS:
            assert component["endpoint"]["host"].startswith(f"127.0.{session_net()}.")
            assert isinstance(component["endpoint"]["port"], int)
    components = report["components"]
    assert components["dynamodb-us-east-1"]["engine"] == "local"
    assert components["orders"]["engine"] == "naive"
    dns = components["dns"]["endpoint"]
    assert (dns["host"], dns["port"]) == (lab.config.dns.host, lab.config.dns.port)
    assert dns["admin"]["url"] == f"http://{lab.config.dns_admin}"
    proxy = components["dynamodb-us-east-1"]["endpoint"]["proxy"]
    assert proxy["port"] == lab.config.region("us-east-1").proxy.port
    assert report["drift"] == [] and report["faults"] == []


def test_an_experiment_for_any_backend_is_checked_against_the_local_lab_up(
    lab: LocalLab, lab_state_dir: Path
) -> None:
    """What to do names the lab up, which the experiment would run on, not a key to set."""
    experiment = Path(__file__).parents[1] / "experiment" / "broken" / "container-on-local.yaml"
    done = run_cli("--state-dir", str(lab_state_dir), "validate", str(experiment))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"{experiment}:4:5: method[0].fault: container.kill needs backend compose; the lab up "
        "here is on the local backend (`chaoskit down`, then `chaoskit up --backend compose`)"
    )


def test_a_taken_port_is_a_clear_error_and_nothing_is_started(tmp_path: Path) -> None:
    config = lab_config(13)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((config.toxiproxy.host, config.toxiproxy.port))
        squatter.listen()
        lab = LocalLab(tmp_path, config, dynamodb="local")
        with pytest.raises(PortInUse) as caught:
            lab.up()
    message = str(caught.value)
    assert "127.0.13.2:8474 is already in use" in message
    assert "pid" in message  # the owner, found through psutil
    state = LabState.load(tmp_path)
    assert state is None or not state.components


def test_down_leaves_no_process_and_no_port_behind(tmp_path: Path) -> None:
    import psutil

    config = lab_config(12)
    lab = LocalLab(tmp_path, config, dynamodb="moto")  # the fallback engine, for real
    lab.up()
    assert lab.status()["components"]["dynamodb-us-east-1"]["engine"] == "moto"
    client = dynamodb_client(resolve_endpoint(config, config.region("us-east-1")), "us-east-1")
    _table(client)
    with lab.dns_admin() as admin:
        admin.add_fault("blank", "dynamodb.us-east-1.lab.test", duration_s=600)
    pids = [c.pid for c in lab.state.components.values()]
    stopped = lab.down()
    assert sorted(stopped) == sorted(
        ["dns", "resolver", "toxiproxy", "dynamodb-us-east-1", "dynamodb-us-west-2",
         "orders", "fleet", "status", "gateway", "watchdog", "forkserver", "loadserver"]
    )  # fmt: skip
    assert not any(
        psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" for pid in pids if pid
    )
    ensure_free("dns", config.dns.host, config.dns.port, udp=True)
    ensure_free("dns-admin", config.dns_admin.host, config.dns_admin.port)
    ensure_free("toxiproxy", config.toxiproxy.host, config.toxiproxy.port)
    ensure_free("resolver", config.resolver.host, config.resolver.port, udp=True)
    ensure_free("resolver-control", config.resolver_control.host, config.resolver_control.port)
    for region in config.regions:
        ensure_free(region.component, region.server.host, region.server.port)
        ensure_free(region.proxy_name, region.proxy.host, region.proxy.port)
    assert LabState.load(tmp_path) is None


BLANK_FOR_A_MINUTE = """\
title: a record blanked for a minute
load: {users: 2, spawn_rate: 2, warmup: 1s}
method:
  - {name: blank, at: 0.5s, fault: dns.blank, target: dynamodb.us-east-1.lab.test, duration: 60s}
"""


def test_down_ends_what_a_killed_controller_left_and_clears_it_from_the_ledger(
    tmp_path: Path,
) -> None:
    """A run SIGKILLed while it holds a record blank for a minute, then `chaoskit down`:
    the fault ended with the lab, so the ledger no longer holds it and `recover` finds
    nothing to do (it used to fail on the stopped DNS server, and every run be refused
    until the lab was brought up again only to be recovered)."""
    lab = LocalLab(tmp_path / "state", lab_config(12), dynamodb="local")
    lab.up()
    try:
        (tmp_path / "blank.yaml").write_text(BLANK_FOR_A_MINUTE)
        run = start_run(lab, tmp_path / "blank.yaml", tmp_path / "out")
        wait_for_injections(run, 1, tmp_path / "out")
        run.kill()
        run.wait(timeout=10)
        assert [e.kind for e in Ledger(lab.state_dir).entries()] == ["dns.blank"]
        done = run_cli("--state-dir", str(lab.state_dir), "down")
    finally:
        lab.down()
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 0, said
    assert "ended with the lab: dns.blank on dynamodb.us-east-1.lab.test" in said, said
    assert "may still be active" not in said, said
    assert Ledger(lab.state_dir).entries() == []
    recovered = run_cli("--state-dir", str(lab.state_dir), "recover")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert "nothing to recover" in recovered.stdout


def test_up_and_down_wait_for_a_run_and_down_force_interrupts_it_first(tmp_path: Path) -> None:
    """While a run holds the lab, `down`, `up`, another `run` and a suite are refused (exit
    4, naming the run) and change nothing (a second run called the first run's faults drift
    and sent the user to `recover`, which would revert them under the run): `down` used to
    stop the lab under the run, call the run's live faults "left by a controller that is
    gone", and the run's revert then started the lab again.
    `down --force` interrupts the run (it reverts its faults and exits 3), then stops the
    lab, which stays stopped. Meanwhile no command calls the run's faults left behind."""
    lab = LocalLab(tmp_path / "state", lab_config(12), dynamodb="local")
    lab.up()
    state = str(lab.state_dir)
    try:
        (tmp_path / "blank.yaml").write_text(BLANK_FOR_A_MINUTE)
        (tmp_path / "suite").mkdir()
        (tmp_path / "suite" / "blank.yaml").write_text(BLANK_FOR_A_MINUTE)
        run = start_run(lab, tmp_path / "blank.yaml", tmp_path / "out")
        wait_for_injections(run, 1, tmp_path / "out")
        lab.refresh()
        pids = {name: c.pid for name, c in lab.state.components.items()}
        up = ("up", "--backend", "local", "--profile", "resilient")  # never a compose lab
        refused = [run_cli("--state-dir", state, "down"), run_cli("--state-dir", state, *up)]
        again = ("run", str(tmp_path / "blank.yaml"), "--out", str(tmp_path / "out2"))
        second_runs = [
            run_cli("--state-dir", state, *again),
            run_cli("--state-dir", state, "suite", "run", str(tmp_path / "suite"),
                    "--out", str(tmp_path / "out2")),
        ]  # fmt: skip
        status = run_cli("--state-dir", state, "status")
        lab.refresh()
        after_refusals = (
            lab.status()["components"],
            {n: c.pid for n, c in lab.state.components.items()},
        )
        forced = run_cli("--state-dir", state, "down", "--force")
        run_code = run.wait(timeout=30)
        time.sleep(1)  # time enough for a run's revert to start the lab again, as it did
        left = LabState.load(lab.state_dir)
    finally:
        lab.down()
    for done, command in zip(refused, ("down", "up"), strict=True):
        said = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == 4, said
        assert f"the lab is busy: chaoskit run {tmp_path / 'blank.yaml'} (pid {run.pid}" in said
        assert f"`chaoskit {command}` would" in said and "Traceback" not in said, said
    for done in second_runs:  # refused for the lock, not for the first run's faults as drift
        said = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == 4, said
        assert f"the lab is busy: chaoskit run {tmp_path / 'blank.yaml'} (pid {run.pid}" in said
        assert "not as it should be" not in said and "Traceback" not in said, said
    components, pids_after = after_refusals
    assert all(c["healthy"] for c in components.values()), components
    assert pids_after == pids  # nothing stopped, started or restarted in another profile
    assert "may still be active" not in status.stderr, status.stderr
    assert "fault in force: dns.blank" in " ".join(status.stdout.split()), status.stdout
    said = " ".join((forced.stdout + forced.stderr).split())
    assert forced.returncode == 0, said
    assert f"interrupting chaoskit run {tmp_path / 'blank.yaml'} (pid {run.pid}" in said, said
    assert "ended with the lab" not in said, said  # the run reverted its own fault
    assert run_code == 3
    assert left is None
    assert Ledger(lab.state_dir).entries() == []
    for region in lab.config.regions:
        ensure_free(region.component, region.server.host, region.server.port)


def test_down_keeps_in_the_ledger_what_it_cannot_be_sure_it_ended(tmp_path: Path) -> None:
    """Faults on a DNS server and a Toxiproxy the lab attached to, neither answering, stay
    for `recover`; a process fault on a component the lab stops is forgotten, and a surge
    and an enactor delay (control files that outlive the lab) are reverted, then forgotten."""
    config = lab_config(13).model_copy(update={"dns_attach": True, "toxiproxy_attach": True})
    lab = LocalLab(tmp_path, config, dynamodb="local")  # never up: nothing answers
    ledger = Ledger(tmp_path)
    later = time.time() + 60

    def write(kind: str, target: str, handle: object) -> LedgerEntry:
        entry = LedgerEntry.model_validate({"run": "killed", "kind": kind, "target": target,
                                            "duration_s": 60, "expires_at": later,
                                            "handle": handle})  # fmt: skip
        ledger.add(entry)
        return entry

    kept = [
        write("dns.blank", "dynamodb.us-east-1.lab.test.", DnsFaultHandle(fault_id="f", actor="a")),
        write("toxiproxy.latency", "dynamodb-us-east-1",
              ToxicHandle(proxy="dynamodb-us-east-1", toxic="t")),
    ]  # fmt: skip
    surge = surge_control(tmp_path)
    surge.write_text('{"users": 50, "spawn_rate": 10}')
    delay = {"seconds": 5, "expires_at": later}
    ended = [
        write("process.pause", "status",
              ProcessHandle(component="status", pid=1, create_time=0.0, pgid=1)),
        write("load.surge", "load", LoadHandle(control=str(surge))),
        write("dns.enactor_delay", "enactor-1", EnactorHandle(enactor="enactor-1")),
    ]  # fmt: skip
    write_control(tmp_path, {"delays": {"enactor-1": {**delay, "ledger_id": ended[-1].id}}})
    lab.down()
    assert lab.forgotten == ended
    assert {e.id for e in ledger.entries()} == {e.id for e in kept}
    assert "may still be active" in (ledger_notice(tmp_path) or "")
    assert not surge.exists()
    assert read_control(tmp_path).get("delays") == {}
