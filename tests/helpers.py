"""Helpers shared by the test suite: free ports, waiting, running the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from chaoskit.experiment.ledger import Ledger
from chaoskit.lab import LocalLab

ROOT = Path(__file__).resolve().parents[1]


def free_port(host: str = "127.0.0.1", udp_too: bool = True) -> int:
    """A port free for TCP (and UDP) on ``host``."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            if not udp_too:
                return int(port)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return int(port)
    raise RuntimeError("no free port")


@contextlib.contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    """``server`` answering from a thread of its own until the block ends, then closed. It
    looks for the end every 50 ms: at ``serve_forever``'s default 0.5 s, each shutdown cost
    the test that long."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``chaoskit ARGS`` as a user would, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "chaoskit", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout, check=False,
    )  # fmt: skip


EXAMPLES = Path(__file__).resolve().parents[1] / "experiments"


def shortened(name: str, tmp_path: Path, **changes: Any) -> Path:
    """An example experiment with its timeline squeezed into a few seconds."""
    data = YAML(typ="safe").load((EXAMPLES / name).read_text())
    data.update(changes)
    path = tmp_path / name
    with path.open("w") as sink:
        YAML().dump(data, sink)
    return path


def run_suite(lab: LocalLab, tmp_path: Path, timeout: float = 900) -> tuple[Path, dict[str, Any]]:
    """``chaoskit suite run`` on ``tmp_path/lessons``: the suite's directory, and its lessons
    by title (each with ``runs`` by variant)."""
    done = run_cli("--state-dir", str(lab.state_dir), "suite", "run", str(tmp_path / "lessons"),
                   "--out", str(tmp_path / "out"), timeout=timeout)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    (suite,) = (tmp_path / "out").iterdir()
    document = json.loads((suite / "suite.json").read_text())
    return suite, {lesson["title"]: lesson for lesson in document["lessons"]}


def assert_lab_clean(lab: LocalLab) -> None:
    """No DNS fault, no toxic, every proxy enabled, nothing in the ledger."""
    with lab.dns_admin() as admin:
        assert admin.faults() == []
    toxi = lab.toxiproxy()
    for name, proxy in toxi.proxies().items():
        assert proxy.enabled, name
        assert toxi.toxics(name) == []
    assert Ledger(lab.state_dir).entries() == []


def short_blackout(tmp_path: Path, seconds: int, **changes: Any) -> Path:
    """The DNS blackout example with light load, the fault from 1 s for ``seconds``."""
    return shortened(
        "dns-blackout.yaml", tmp_path, **changes,
        load={"users": 5, "spawn_rate": 5, "warmup": "1s"},
        method=[{"name": "blackout", "at": "1s", "fault": "dns.blank",
                 "target": "dynamodb.us-east-1.lab.test", "duration": f"{seconds}s"}],
        recovery={"consecutive_samples": 10, "timeout": "20s"},
    )  # fmt: skip


def fleet_and_blank(fault: str, at_s: int, fault_s: int, blank_s: int, header: str = "") -> str:
    """An experiment: ``fault`` on fleet, and its database's name blanked at 1 s and flushed
    from the resolver's cache, so that fleet cannot resolve it from then on (a cached
    answer lives up to the record's 5 s TTL). At one time, the fleet's step is first (its
    revert falls due first)."""
    fleet = f"{{name: fleet, at: {at_s}s, fault: {fault}, target: fleet, duration: {fault_s}s}}"
    blank = [
        "{name: blank, at: 1s, fault: dns.blank, target: dynamodb.us-east-1.lab.test, "
        f"duration: {blank_s}s}}",
        "{name: forget, at: 1s, fault: resolver.flush, target: resolver, duration: 1s,"
        " params: {name: dynamodb.us-east-1.lab.test}}",
    ]
    steps = [fleet, *blank] if at_s <= 1 else [*blank, fleet]
    return (
        f"title: fleet faulted and its database's name blanked\n{header}method:\n"
        + "".join(f"  - {step}\n" for step in steps)
        + "recovery: {consecutive_samples: 3, timeout: 30s}\n"
    )


def carriers_held_down(family: str, header: str = "") -> str:
    """An experiment: a blank on the DNS server and a toxic on Toxiproxy, each due at 2.5 s
    while a fault of ``family`` (``process`` or ``container``) holds its carrier down, the
    DNS server paused and Toxiproxy killed, from 1 s to 4 s."""
    return (
        f"title: carriers held down\n{header}"
        "load: {users: 2, spawn_rate: 2, warmup: 1s}\n"
        "method:\n"
        "  - {name: blank, at: 0.5s, fault: dns.blank,"
        " target: dynamodb.us-east-1.lab.test, duration: 2s}\n"
        "  - {name: slow, at: 0.5s, fault: toxiproxy.latency, target: dynamodb-us-east-1,"
        " duration: 2s, params: {latency: 100}}\n"
        f"  - {{name: dns-paused, at: 1s, fault: {family}.pause, target: dns, duration: 3s}}\n"
        f"  - {{name: proxy-killed, at: 1s, fault: {family}.kill, target: toxiproxy,"
        " duration: 3s}\n"
        "recovery: {consecutive_samples: 3, timeout: 20s}\n"
    )


def assert_silencers_ended_first(journal: dict[str, Any]) -> None:
    """Of a ``carriers_held_down`` run: every fault reverted, each silencer on time (within
    1 s of its 3 s) and before the fault its carrier holds."""
    by_name = {f["name"]: f for f in journal["faults"]}
    assert {f["outcome"] for f in by_name.values()} == {"reverted"}, journal["faults"]
    for silencer, carried in (("dns-paused", "blank"), ("proxy-killed", "slow")):
        held = by_name[silencer]
        assert held["reverted_t"] - held["injected_t"] < 3 + 1, held
        assert held["reverted_t"] <= by_name[carried]["reverted_t"], (held, by_name[carried])


def fleet_and_blank_faults(
    journal: dict[str, Any], fault: str, at_s: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fleet's fault and the blank of a ``fleet_and_blank`` run, each reverted, and the
    fleet's injected on time: a restart waited on to serve used to return 11 s late. A fault's
    ``injected_t`` is when its injection returned, so a restart's includes the stop and the
    start (about 2 s for a container on a loaded machine): 3 s of leeway."""
    faults = journal["faults"]
    by_name = {f["name"]: f for f in faults}
    faulted, blank = by_name["fleet"], by_name["blank"]
    assert (faulted["kind"], blank["kind"]) == (fault, "dns.blank")
    assert faulted["outcome"] == blank["outcome"] == "reverted", faults
    due_after_the_blank = at_s - 1  # the blank is at 1 s
    assert faulted["injected_t"] - blank["injected_t"] < due_after_the_blank + 3, faults
    return faulted, blank


def start_run(
    lab: LocalLab, experiment: Path, out: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(lab.state_dir), "run",
         str(experiment), "--out", str(out), "--no-fresh"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )  # fmt: skip


def injected(out: Path) -> list[dict[str, Any]]:
    """The ``FaultInjected`` events of every run under ``out`` so far (their
    ``events.jsonl``, written as each event happens)."""
    found = []
    for log in sorted(out.glob("**/events.jsonl")):
        for line in log.read_text().splitlines():
            if line.endswith("}"):  # a line being written is not yet an event
                event = json.loads(line)
                if event["event"] == "FaultInjected":
                    found.append(event)
    return found


def wait_for_injections(
    proc: subprocess.Popen[str], count: int, out: Path, timeout_s: float = 300
) -> list[dict[str, Any]]:
    """The run's ``FaultInjected`` events once it has fired ``count`` (a compose lab's
    set-up after a fresh run can take minutes on two cores). Its output is drained
    meanwhile, and shown if it ends first."""
    seen: list[str] = []
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: seen.extend(stdout), daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events = injected(out)
        if len(events) >= count:
            assert len(events) == count, events
            return events
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"{len(injected(out))} of {count} faults injected; output:\n"
                         + "".join(seen))  # fmt: skip


@contextlib.contextmanager
def compose_images() -> Iterator[dict[str, str]]:
    """The compose backend's images built offline (``scripts/compose-images``) and named in
    the environment. (The session lab's services are stopped meanwhile: no compose test
    uses that lab, see ``tests/lab/fixtures.py``.)"""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "compose-images")],
        capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"building the compose images failed:\n{done.stderr[-4000:]}"
    images = dict(line.split("=", 1) for line in done.stdout.split() if "=" in line)
    saved = {key: os.environ.get(key) for key in images}
    os.environ.update(images)
    try:
        yield images
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
