"""The compose backend against a real Docker engine, with images built offline.

The fixture starts the engine and builds the images (``scripts/compose-images``); if the
engine cannot start, every test here fails with the engine's own error — none is skipped.
The lab runs as project ``chaoskit-test`` on 172.31.54.0/24 (us-west-2's proxy on
172.31.154.0/24) with ports from 28000, away from a developer's own compose lab.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rcode
import httpx
import pytest

from chaoskit._errors import ComponentError
from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.injection import BOUNDARIES
from chaoskit.experiment.ledger import Ledger
from chaoskit.lab.compose import ComposeLab
from chaoskit.lab.config import ComposeSettings
from chaoskit.lab.docker_engine import docker_client
from chaoskit.lab.health import wait_until
from chaoskit.resolver.control import UnboundControl
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.services.resilience.settings import ServiceProfile
from tests.experiment.kill_checks import (
    DNS_CASES,
    LOAD_CASES,
    RESOLVER_CASES,
    TOXIPROXY_CASES,
    check_boundary,
)
from tests.helpers import (
    assert_lab_clean,
    assert_silencers_ended_first,
    carriers_held_down,
    compose_images,
    fleet_and_blank,
    fleet_and_blank_faults,
    run_cli,
    shortened,
    start_run,
    wait_for_injections,
)

# xdist: the Docker engine, its images and compose projects, one worker at a time
pytestmark = [
    pytest.mark.compose,
    pytest.mark.timeout(1500),  # the first builds the images
    pytest.mark.xdist_group("docker"),
]

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ComposeSettings(
    project="chaoskit-test", net="172.31.54", west_net="172.31.154", port_base=28000
)
LIGHT = {"users": 5, "spawn_rate": 5, "warmup": "2s", "mix": {"read": 3, "write": 1}}
# Two cores run the engine, the containers, the load and the controller (and the local
# lab's infrastructure): judge the compose lab by what clients see, with room.
ROOMY = {
    "slo": {"error_rate_below": 0.05, "p95_below_ms": 1000, "window": "1s"},
    "probes": [{"name": "client-slo", "type": "slo", "when": ["after"]}],
}


@pytest.fixture(scope="module")
def compose_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeLab]:
    with compose_images():
        lab = ComposeLab(tmp_path_factory.mktemp("compose-state"), SETTINGS)
        try:
            lab.up()
            yield lab
        finally:
            lab.down()


def _run(lab: ComposeLab, experiment: Path, out: Path) -> tuple[int, dict[str, object]]:
    # fresh services every run (the default): a naive fleet stays collapsed after a fault
    done = run_cli("--state-dir", str(lab.state_dir), "run", str(experiment), "--out", str(out),
                   timeout=600)  # fmt: skip
    (run_dir,) = out.iterdir()
    journal: dict[str, object] = json.loads((run_dir / "journal.json").read_text())
    assert journal["status"] == "completed", done.stdout[-3000:] + done.stderr
    return done.returncode, journal


def _run_text(lab: ComposeLab, tmp_path: Path, text: str) -> dict[str, object]:
    """The journal of a run of the experiment ``text``."""
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text(text)
    return _run(lab, experiment, tmp_path / "reports")[1]


def _getaddrinfo_in(lab: ComposeLab, service: str, name: str) -> tuple[int, str]:
    """Resolve ``name`` with glibc inside ``service``'s container."""
    code = (
        "import socket, sys\n"
        "try:\n"
        f"    print(socket.getaddrinfo({name!r}, 8000, socket.AF_INET)[0][4][0])\n"
        "except socket.gaierror as exc:\n"
        "    print(exc.errno); sys.exit(1)\n"
    )
    result = lab.container(service).exec_run(["python3", "-c", code])
    return result.exit_code, result.output.decode().strip()


def _resolver(lab: ComposeLab) -> UnboundControl:
    return UnboundControl(lab.config.resolver_control.host, lab.config.resolver_control.port)


def test_the_containers_resolve_through_the_lab_resolver(compose_lab: ComposeLab) -> None:
    record = "dynamodb.us-east-1.lab.test."
    control = _resolver(compose_lab)
    control.flush(record)
    before = control.stats()["total.num.queries"]
    assert _getaddrinfo_in(compose_lab, "orders", record) == (0, "172.31.54.2")
    assert control.stats()["total.num.queries"] > before  # asked the resolver, not the authority
    published = compose_lab.config.resolver
    reply = dns.query.udp(dns.message.make_query(record, "A"), published.host,
                          port=published.port, timeout=2)  # fmt: skip
    assert [rd.address for rrset in reply.answer for rd in rrset] == ["172.31.54.2"]
    outside = dns.query.udp(dns.message.make_query("example.com.", "A"), published.host,
                            port=published.port, timeout=2)  # fmt: skip
    assert outside.rcode() == dns.rcode.REFUSED
    with compose_lab.dns_admin() as admin:
        by_source = admin.stats()["by_source"]
    assert by_source.get(compose_lab.inside.resolver.host, 0) > 0


def _http_status_in(lab: ComposeLab, service: str, url: str) -> str:
    """What an HTTP GET of ``url`` from inside ``service``'s container got: a status code,
    or the error."""
    code = (
        "import urllib.request, urllib.error\n"
        "try:\n"
        f"    print(urllib.request.urlopen({url!r}, timeout=3).status)\n"
        "except urllib.error.HTTPError as exc:\n"
        "    print(exc.code)\n"
        "except OSError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    return lab.container(service).exec_run(["python3", "-c", code]).output.decode().strip()


def test_each_region_has_its_own_proxy_address_so_a_failover_reaches_the_other_region(
    compose_lab: ComposeLab,
) -> None:
    east, west = compose_lab.inside.regions
    assert (east.proxy.host, west.proxy.host) == ("172.31.54.2", "172.31.154.2")
    assert east.proxy.port == west.proxy.port
    url = f"http://{east.record.rstrip('.')}:{east.proxy.port}/"
    toxi = compose_lab.toxiproxy()
    with compose_lab.dns_admin() as admin:
        fault = admin.add_fault("wrong_ip", east.record, duration_s=60, address=west.proxy.host)
    _resolver(compose_lab).flush(east.record)
    toxi.set_enabled(east.proxy_name, False)  # only the west path is left
    try:
        assert _getaddrinfo_in(compose_lab, "orders", east.record) == (0, west.proxy.host)
        assert _http_status_in(compose_lab, "orders", url).isdigit()  # west's DynamoDB answered
    finally:
        toxi.set_enabled(east.proxy_name, True)
        with compose_lab.dns_admin() as admin:
            admin.lift_fault(fault["id"])
        _resolver(compose_lab).flush(east.record)
    assert _getaddrinfo_in(compose_lab, "orders", east.record) == (0, east.proxy.host)
    # without the failover, the east name with its proxy down gets nowhere
    toxi.set_enabled(east.proxy_name, False)
    try:
        assert not _http_status_in(compose_lab, "orders", url).isdigit()
    finally:
        toxi.set_enabled(east.proxy_name, True)


def test_a_resolver_profile_switch_restarts_its_container_with_the_new_settings(
    compose_lab: ComposeLab,
) -> None:
    conf = compose_lab.state_dir / "resolver" / "unbound.conf"
    started = compose_lab.container("resolver").attrs["State"]["StartedAt"]
    try:
        compose_lab.up(resolver=ResolverProfile(profile="resilient"))
        assert "serve-expired: yes" in conf.read_text()
        assert compose_lab.container("resolver").attrs["State"]["StartedAt"] != started
        assert _resolver(compose_lab).get_option("serve-expired") == "yes"
    finally:
        compose_lab.up(resolver=ResolverProfile())
    assert _resolver(compose_lab).get_option("serve-expired") == "no"
    assert _getaddrinfo_in(compose_lab, "orders", "dynamodb.us-east-1.lab.test")[0] == 0


def _started(lab: ComposeLab, name: str) -> tuple[str, str, dict[str, str]]:
    """A container's id, when its process started, and its environment."""
    attrs = lab.container(name).attrs
    env = dict(item.split("=", 1) for item in attrs["Config"]["Env"])
    return attrs["Id"], attrs["State"]["StartedAt"], env


def test_fresh_services_are_their_containers_started_again_and_made_anew_for_a_new_profile(
    compose_lab: ComposeLab,
) -> None:
    names = ("orders", "fleet", "status", "gateway")
    before = {name: _started(compose_lab, name) for name in names}
    compose_lab.stop_services()
    assert {n: compose_lab.container(n).status for n in names} == dict.fromkeys(names, "exited")
    compose_lab.up()
    again = {name: _started(compose_lab, name) for name in names}
    for name in names:  # the same container, a new process in it
        assert again[name][0] == before[name][0] and again[name][1] != before[name][1], name
    assert all(c["healthy"] for c in compose_lab.status()["components"].values())

    resilient = ServiceProfile(profile="resilient", overrides={"retries.max_attempts": 2})
    compose_lab.stop_services()
    try:
        compose_lab.up(profiles={"orders": resilient})
        orders_id, _, orders_env = _started(compose_lab, "orders")
        assert orders_id != before["orders"][0]  # compose made it anew, in that profile
        assert orders_env["CHAOSKIT_PROFILE"] == "resilient"
        assert json.loads(orders_env["CHAOSKIT_RESILIENCE"]) == {"retries.max_attempts": 2}
        assert _started(compose_lab, "gateway")[0] == before["gateway"][0]
    finally:
        compose_lab.stop_services()
        compose_lab.up(profiles={"orders": ServiceProfile()})
    assert _started(compose_lab, "orders")[2]["CHAOSKIT_PROFILE"] == "naive"


def test_status_names_the_backend_and_every_container_is_healthy(compose_lab: ComposeLab) -> None:
    done = run_cli("--state-dir", str(compose_lab.state_dir), "status", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["backend"] == "compose"
    expected = {"dns", "resolver", "toxiproxy", "dynamodb-us-east-1", "dynamodb-us-west-2",
                "watchdog", "loadserver", "orders", "fleet", "status", "gateway"}  # fmt: skip
    assert set(report["components"]) == expected
    assert all(c["healthy"] for c in report["components"].values()), report


def test_an_experiment_for_any_backend_is_checked_against_the_compose_lab_up(
    compose_lab: ComposeLab,
) -> None:
    """It was checked as if for a local lab: a container fault was refused (`set
    stack.backend: compose`), though its run would go on the compose lab up."""
    experiment = ROOT / "tests" / "experiment" / "broken" / "container-on-local.yaml"
    done = run_cli("--state-dir", str(compose_lab.state_dir), "validate", str(experiment))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{experiment}: ok"


def test_up_on_an_engine_without_the_labs_image_says_how_to_get_it_and_makes_nothing(
    compose_lab: ComposeLab, tmp_path: Path
) -> None:
    """A tag never built, on the engine the module's lab runs on: exit 1, the image named
    with the ways to get one, no traceback, and nothing of the project made."""
    project = "chaoskit-no-image"
    env = {**os.environ, "CHAOSKIT_IMAGE": "chaoskit-local/never-built:none"}
    done = run_cli("--state-dir", str(tmp_path / "state"), "up", "--backend", "compose",
                   "--project", project, env=env, timeout=120)  # fmt: skip
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1, said
    assert "image chaoskit-local/never-built:none is not on this Docker engine" in said, said
    assert "scripts/compose-images" in said and "--backend local" in said, said
    assert "Traceback" not in said
    made = {"label": f"com.docker.compose.project={project}"}
    assert docker_client().containers.list(all=True, filters=made) == []
    assert docker_client().networks.list(filters=made) == []


def test_up_from_another_state_directory_leaves_the_project_to_the_lab_that_is_up(
    compose_lab: ComposeLab, tmp_path: Path
) -> None:
    """Compose made the containers of the lab that was up the second lab's (its DNS server
    remade with the other state directory's token), and either lab's ``down`` removed both."""
    before = {c.name: c.id for c in compose_lab.containers_in(compose_lab.infrastructure(),
                                                              "running").values()}  # fmt: skip
    second = ComposeLab(tmp_path / "state", SETTINGS)
    with pytest.raises(
        ComponentError, match=r"project 'chaoskit-test' is the lab of another"
    ) as refused:
        second.up()
    assert f"chaoskit --state-dir {compose_lab.state_dir.resolve()} down" in str(refused.value)
    after = {c.name: c.id for c in compose_lab.containers_in(compose_lab.infrastructure(),
                                                             "running").values()}  # fmt: skip
    assert after == before
    assert compose_lab.status()["components"]["dns"]["healthy"]
    assert not (tmp_path / "state" / "state.json").exists()


def test_containers_no_component_records_are_named_by_status(compose_lab: ComposeLab) -> None:
    """What ``up`` killed between compose's start and its first record leaves: ``status``
    named no lab up (and ``down`` stopped nothing); it names the containers (exit 1)."""
    names = sorted(c.name for c in compose_lab.containers_in(compose_lab.infrastructure(),
                                                             "running").values())  # fmt: skip
    records = dict(compose_lab.state.components)
    compose_lab.state.components.clear()
    compose_lab.state.save(compose_lab.state_dir)
    try:
        done = run_cli("--state-dir", str(compose_lab.state_dir), "status")
        assert done.returncode == 1
        said = " ".join(done.stdout.split())
        assert "lab: none up" in said, said
        assert "containers of a start that did not finish (in no lab's state): " in said, said
        assert "`chaoskit up` finishes the start, `chaoskit down` removes them" in said, said
        status = run_cli("--state-dir", str(compose_lab.state_dir), "status", "--json")
        assert set(names) <= set(json.loads(status.stdout)["unrecorded"])
    finally:
        compose_lab.refresh()
        compose_lab.state.components.update(records)
        compose_lab.state.save(compose_lab.state_dir)
    assert compose_lab.unrecorded_containers() == []


def test_a_project_left_by_a_state_directory_that_holds_no_lab_is_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whose the project is decides, not the engine (here, the owner found is given)."""
    said: list[str] = []
    lab = ComposeLab(tmp_path / "here", SETTINGS, echo=said.append)
    gone, up = tmp_path / "gone", tmp_path / "up"
    (up / "state.json").parent.mkdir()
    (up / "state.json").write_text("{}")
    for owner in (None, lab.state_dir.resolve(), gone):
        monkeypatch.setattr(lab, "_project_owner", lambda found=owner: found)
        lab._refuse_another_labs_project()
    assert said == [f"compose project 'chaoskit-test': taking over the containers left by "
                    f"{gone}, which holds no lab now"]  # fmt: skip
    monkeypatch.setattr(lab, "_project_owner", lambda: up)
    with pytest.raises(ComponentError, match=f"the lab of another state directory, {up}, "):
        lab._refuse_another_labs_project()


def test_dns_blackout_seen_through_the_containers_resolver(
    compose_lab: ComposeLab, tmp_path: Path
) -> None:
    record = "dynamodb.us-east-1.lab.test"
    assert _getaddrinfo_in(compose_lab, "orders", record) == (0, "172.31.54.2")
    with compose_lab.dns_admin() as admin:
        fault = admin.add_fault("blank", record, duration_s=30)
    _resolver(compose_lab).flush(record)  # the containers' resolver held the address for its TTL
    try:
        code, said = _getaddrinfo_in(compose_lab, "orders", record)
        assert code == 1 and said in ("-5", "-2"), said  # glibc: no address for the name
    finally:
        with compose_lab.dns_admin() as admin:
            admin.lift_fault(fault["id"])
    # the resolver holds the empty answer for the zone's SOA minimum (5 s), then asks again
    back = (0, "172.31.54.2")
    assert wait_until(lambda: _getaddrinfo_in(compose_lab, "orders", record) == back, 15)

    experiment = shortened(
        "dns-blackout.yaml", tmp_path, load=LIGHT, steady_state=ROOMY,
        method=[{"name": "blackout", "at": "1s", "fault": "dns.blank", "target": record,
                 "duration": "8s"}],  # longer than the record's TTL in the resolver's cache
        recovery={"consecutive_samples": 10, "timeout": "30s"},
    )  # fmt: skip
    _, journal = _run(compose_lab, experiment, tmp_path / "reports")
    metrics = journal["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["time_to_impact_s"] is not None  # the services failed: they resolve via glibc
    assert metrics["recovered"] is True
    assert_lab_clean(compose_lab)


def test_toxiproxy_latency_raises_latency_and_recovers(
    compose_lab: ComposeLab, tmp_path: Path
) -> None:
    experiment = shortened(
        "dynamodb-latency.yaml", tmp_path, load=LIGHT, steady_state=ROOMY,
        method=[{"name": "slow", "at": "1s", "fault": "toxiproxy.latency",
                 "target": "dynamodb-us-east-1", "duration": "5s",
                 "params": {"latency": 1500}}],
        recovery={"consecutive_samples": 10, "timeout": "30s"},
    )  # fmt: skip
    _, journal = _run(compose_lab, experiment, tmp_path / "reports")
    metrics = journal["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["time_to_impact_s"] is not None  # p95 over 1 s while the toxic was on
    assert metrics["recovered"] is True
    assert_lab_clean(compose_lab)


def test_container_kill_is_reverted_and_recovery_is_measured(
    compose_lab: ComposeLab, tmp_path: Path
) -> None:
    journal = _run_text(
        compose_lab, tmp_path,
        "title: orders killed\n"
        "stack: {backend: compose}\n"
        "steady_state: {slo: {error_rate_below: 0.05, p95_below_ms: 1000, window: 1s}}\n"
        "load: {users: 5, spawn_rate: 5, warmup: 2s, mix: {write: 1}}\n"
        "method:\n"
        "  - {name: kill, at: 1s, fault: container.kill, target: orders, duration: 4s}\n"
        "recovery: {consecutive_samples: 10, timeout: 60s}\n",
    )  # fmt: skip
    metrics = journal["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["time_to_impact_s"] is not None
    assert metrics["recovered"] is True and metrics["time_to_recover_from_revert_s"] is not None
    faults = journal["faults"]
    assert isinstance(faults, list) and [f["outcome"] for f in faults] == ["reverted"]
    assert compose_lab.container("orders").status == "running"
    assert_lab_clean(compose_lab)


@pytest.mark.parametrize(("fault", "at_s"), [("container.kill", 1), ("container.restart", 2)])
def test_a_killed_or_restarted_container_runs_again_on_time_even_while_it_cannot_serve(
    compose_lab: ComposeLab, tmp_path: Path, fault: str, at_s: int
) -> None:
    """fleet's container killed for 2 s (or restarted) while its database's name is blanked
    for 7 s: fleet cannot serve until the blank ends, and the revert starts it without
    waiting for that, so both faults end on time. The revert used to wait for it to be
    healthy (up to 60 s a try): the kill lasted 14.8 s and held the blank's revert 7.8 s
    past its time; after a restart, the blank was 6.3 s late."""
    journal = _run_text(
        compose_lab, tmp_path,
        fleet_and_blank(fault, at_s, 2, 7, header="stack: {backend: compose}\n"),
    )  # fmt: skip
    faulted, blank = fleet_and_blank_faults(journal, fault, at_s)
    assert faulted["reverted_t"] - faulted["injected_t"] < 4, faulted  # was 14.4 s, 14.7 s
    assert blank["reverted_t"] - blank["injected_t"] < 9, blank
    metrics = journal["metrics"]
    assert isinstance(metrics, dict) and metrics["recovered"] is True
    assert compose_lab.container("fleet").status == "running"
    assert_lab_clean(compose_lab)


def test_a_fault_whose_container_carrier_another_holds_down_is_reverted_as_that_one_ends(
    compose_lab: ComposeLab, tmp_path: Path
) -> None:
    """As on the local backend (``test_runs``), with the DNS server's container paused and
    Toxiproxy's killed. Toxiproxy's container started again held no proxy (they live in its
    memory): every dependency was unreachable until ``recover``, and the toxic's revert
    failed with `proxy not found`; its revert now puts the proxies back."""
    journal = _run_text(
        compose_lab, tmp_path, carriers_held_down("container", "stack: {backend: compose}\n")
    )
    assert_silencers_ended_first(journal)
    metrics = journal["metrics"]
    assert isinstance(metrics, dict) and metrics["recovered"] is True
    proxies = set(compose_lab.toxiproxy().proxies())
    assert {"dynamodb-us-east-1", "dynamodb-us-west-2"} <= proxies, proxies
    assert_lab_clean(compose_lab)


def test_toxiproxy_restarted_keeps_its_proxies_through_the_fault(compose_lab: ComposeLab) -> None:
    """A restart is a blip: Toxiproxy's container restarted came back with no proxy, and
    every dependency stayed unreachable for the rest of the fault."""
    from chaoskit import Lab

    with Lab.open(state_dir=compose_lab.state_dir).fault("container.restart", "toxiproxy", "20s"):
        proxies = set(compose_lab.toxiproxy().proxies())
        assert {"dynamodb-us-east-1", "dynamodb-us-west-2"} <= proxies, proxies
    assert_lab_clean(compose_lab)


def test_a_killed_controller_leaves_a_paused_container_to_the_watchdog(
    compose_lab: ComposeLab, tmp_path: Path
) -> None:
    experiment = tmp_path / "pause-status.yaml"
    experiment.write_text(
        "title: status paused\n"
        "stack: {backend: compose}\n"
        "method:\n"
        "  - {name: pause, at: 0s, fault: container.pause, target: status, duration: 3s}\n"
        "  - {wait: 30s}\n"
    )
    proc = start_run(compose_lab, experiment, tmp_path / "reports")
    wait_for_injections(proc, 1, tmp_path / "reports")
    proc.kill()
    proc.wait(10)
    assert compose_lab.container("status").status == "paused"
    assert wait_until(lambda: compose_lab.container("status").status == "running", 10)
    assert wait_until(
        lambda: [e.reverted_by for e in Ledger(compose_lab.state_dir).entries()] == ["watchdog"], 5
    )
    done = run_cli("--state-dir", str(compose_lab.state_dir), "recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_lab_clean(compose_lab)


COMPOSE_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("container.kill", "status", {}),
    ("container.stop", "status", {}),
    ("container.pause", "status", {}),
    ("container.restart", "status", {}),
    ("container.disconnect", "status", {"network": "lab"}),
]


def test_every_compose_only_kind_is_covered() -> None:
    only = {k for k, kind in REGISTRY.items() if kind.backends == ("compose",)}
    assert only == {kind for kind, _, _ in COMPOSE_CASES}


ALL_CASES = COMPOSE_CASES + DNS_CASES + TOXIPROXY_CASES + RESOLVER_CASES + LOAD_CASES
LB_CASE = ("lb.check_failure", "gateway-2", {"mode": "timeout"})


def test_every_kind_of_the_compose_backend_is_covered() -> None:
    on_compose = {k for k, kind in REGISTRY.items() if "compose" in kind.backends}
    assert on_compose == {kind for kind, _, _ in [*ALL_CASES, LB_CASE]}


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize(("kind", "target", "params"), ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_a_controller_killed_at_a_boundary_leaves_nothing_on_compose(
    compose_lab: ComposeLab, boundary: str, kind: str, target: str, params: dict[str, Any]
) -> None:
    check_boundary(compose_lab, boundary, kind, target, params)


def test_recover_unpauses_a_container_paused_by_hand(compose_lab: ComposeLab) -> None:
    compose_lab.container("orders").pause()
    status = run_cli("--state-dir", str(compose_lab.state_dir), "status", "--json")
    assert status.returncode == 1
    drift = json.loads(status.stdout)["drift"]
    assert [(d["component"], d["problem"]) for d in drift] == [
        ("orders", "is paused (cgroup freezer)")
    ]
    done = run_cli("--state-dir", str(compose_lab.state_dir), "recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unpause it: done" in done.stdout
    assert compose_lab.container("orders").status == "running"


# -- the sample load balancer as containers (last: it stays up until the module ends) ------

GATEWAYS = {"gateway", "gateway-2", "gateway-3"}
SHALLOW_CHECKS = ServiceProfile(overrides={"lb.health_check.path": "/health"})
"""Naive removal, checks of liveness only: the deep checks' answer time on two busy cores
is not what these tests are about."""


@pytest.fixture(scope="module")
def balanced_compose_lab(compose_lab: ComposeLab) -> Iterator[ComposeLab]:
    """The compose lab behind the sample load balancer, as its configured state: a run
    that asks for it leaves it up."""
    compose_lab.set_load_balancer(3)
    compose_lab.state.lb_configured = 3
    compose_lab.state.save(compose_lab.state_dir)
    compose_lab.up(profiles={"lb": SHALLOW_CHECKS})
    try:
        yield compose_lab
    finally:
        compose_lab.refresh()
        compose_lab.state.lb_configured = None
        compose_lab.state.save(compose_lab.state_dir)
        compose_lab.set_load_balancer(None)


def _serving(lab: ComposeLab) -> set[str]:
    targets = httpx.get(f"http://{lab.config.lb.controller}/targets", timeout=2).json()["targets"]
    return {name for name, target in targets.items() if target["in_service"]}


def test_the_load_balancer_runs_as_containers_in_front_of_three_gateways(
    balanced_compose_lab: ComposeLab,
) -> None:
    lab = balanced_compose_lab
    components = lab.status()["components"]
    for name in ("haproxy", *sorted(GATEWAYS), "lb"):
        assert components[name]["healthy"], components[name]
    assert components["haproxy"]["engine"].startswith("container ")
    node = lab.config.lb.nodes[0]
    with httpx.Client(timeout=5, headers={"Connection": "close"}) as client:
        answered = {client.get(f"http://{node}/health").json()["service"] for _ in range(6)}
        assert answered == GATEWAYS  # round robin over the three containers
        assert client.get(f"http://{node}/orders").status_code == 200
    published = lab.config.resolver
    reply = dns.query.udp(dns.message.make_query("lb.lab.test.", "A"), published.host,
                          port=published.port, timeout=2)  # fmt: skip
    assert [rd.address for rrset in reply.answer for rd in rrset] == ["172.31.54.40"]
    # inside the lab the load balancer is reached by its name, through the lab resolver
    assert _http_status_in(lab, "orders", "http://lb.lab.test:8080/health") == "200"

    lab.container("gateway-2").kill()
    removed = wait_until(lambda: _serving(lab) == GATEWAYS - {"gateway-2"}, 15)
    assert removed, httpx.get(f"http://{lab.config.lb.controller}/targets", timeout=2).text
    lab.up()  # brings gateway-2 back; the control plane puts it back in service
    assert wait_until(lambda: _serving(lab) == GATEWAYS, 15)


def test_the_haproxy_container_ends_on_sigterm_not_at_the_stop_timeouts_sigkill(
    balanced_compose_lab: ComposeLab,
) -> None:
    """HAProxy leaves SIGTERM to its default action, which a PID 1 does not get: without an
    init in its container, ``docker stop`` (``compose rm -s``, ``down``) waits out its
    timeout and ends it with SIGKILL (exit 137)."""
    lab = balanced_compose_lab
    container = lab.container("haproxy")
    container.stop(timeout=30)
    container.reload()
    assert container.attrs["State"]["ExitCode"] == 128 + signal.SIGTERM
    lab.up()
    assert lab.status()["components"]["haproxy"]["healthy"]
    assert wait_until(lambda: _serving(lab) == GATEWAYS, 15)


def test_failing_health_checks_take_a_serving_container_out_and_back(
    balanced_compose_lab: ComposeLab, tmp_path: Path
) -> None:
    journal = _run_text(
        balanced_compose_lab, tmp_path,
        "title: the checks of gateway-2 fail while it serves\n"
        "stack:\n"
        "  backend: compose\n"
        "  load_balancer: {replicas: 3}\n"
        "  services: {lb: {overrides: {lb.health_check.path: /health}}}\n"
        "load: {users: 5, spawn_rate: 5, warmup: 2s, mix: {read: 1}}\n"
        "method:\n"
        "  - {name: checks, at: 1s, fault: lb.check_failure, target: gateway-2, duration: 8s}\n"
        "recovery: {consecutive_samples: 10, timeout: 60s}\n",
    )  # fmt: skip
    metrics = journal["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["capacity_removed_peak"] == pytest.approx(1 / 3, abs=0.01)  # naive: removed
    faults = journal["faults"]
    assert isinstance(faults, list) and [f["outcome"] for f in faults] == ["reverted"]
    assert wait_until(lambda: _serving(balanced_compose_lab) == GATEWAYS, 15)
    assert_lab_clean(balanced_compose_lab)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_controller_killed_at_a_boundary_of_a_load_balancer_fault_leaves_nothing_on_compose(
    balanced_compose_lab: ComposeLab, boundary: str
) -> None:
    kind, target, params = LB_CASE
    check_boundary(balanced_compose_lab, boundary, kind, target, params)
