"""The byo example end to end on the local backend: a Go service (AWS SDK for Go v2, Redis)
built here with the Go toolchain, its lab file, and its experiments against the real lab."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from chaoskit.experiment.ledger import Ledger
from chaoskit.lab.health import http_ok, wait_until
from chaoskit.lab.state import LabState
from chaoskit.toxiproxy import ToxiproxyAdapter
from tests.byo.checks import p95_rise_ms, run_metrics
from tests.helpers import run_cli, wait_for_injections

# xdist: the byo lab on 127.0.14, one worker at a time
pytestmark = pytest.mark.xdist_group("127.0.14")

BYO = Path(__file__).resolve().parents[2] / "examples" / "byo"
SUBNET = "127.0.14"  # away from a developer's lab (127.0.10) and the session lab (127.0.11)


@pytest.fixture(scope="module")
def byo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example copied to a directory of its own, on the test subnet, its API built."""
    if shutil.which("go") is None:
        pytest.fail("go is missing: scripts/bootstrap installs it")
    root = tmp_path_factory.mktemp("byo")
    shutil.copytree(BYO, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("api", ".*"))
    (root / "api").mkdir()
    built = subprocess.run(
        ["go", "build", "-o", str(root / "api" / "api"), "."],
        cwd=BYO / "api", env={**os.environ, "CGO_ENABLED": "0"},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    text = (BYO / "chaoskit.yaml").read_text().replace("127.0.10.", f"{SUBNET}.")
    (root / "chaoskit.yaml").write_text(
        text.replace("zone: lab.test", f"zone: lab.test\nsubnet: {SUBNET}")
    )
    up = run_cli("--state-dir", str(root / "state"), "up", cwd=root, timeout=180)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield root
    finally:
        run_cli("--state-dir", str(root / "state"), "down", cwd=root)


def _run(byo: Path, name: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    done = run_cli("--state-dir", str(byo / "state"), "run", f"experiments/{name}.yaml",
                   "--out", str(byo / "reports" / name), cwd=byo, timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run_dir,) = (byo / "reports" / name).iterdir()
    return done, run_dir


def test_the_lab_holds_what_the_file_names(byo: Path) -> None:
    state = LabState.load(byo / "state")
    assert state is not None
    assert set(state.components) == {
        "dns", "resolver", "toxiproxy", "watchdog", "dynamodb-us-east-1", "redis", "api",
        "loadserver",
    }  # fmt: skip
    dig = subprocess.run(["dig", "+short", "-p", "5353", f"@{SUBNET}.53", "redis.lab.test"],
                         capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
    assert dig.stdout.strip() == f"{SUBNET}.100"


def test_a_blanked_dynamodb_record_reaches_the_go_sdk_as_no_such_host(byo: Path) -> None:
    _, run_dir = _run(byo, "dynamodb-blank")
    metrics = run_metrics(run_dir)
    assert metrics["recovered"] is True
    assert float(str(metrics["availability_during_fault"])) < 0.9
    log = (byo / "state" / "logs" / "api.log").read_text()
    assert "lookup dynamodb.us-east-1.lab.test" in log and "no such host" in log


def test_latency_on_redis_raises_the_services_p95_by_about_the_toxic(byo: Path) -> None:
    _, run_dir = _run(byo, "redis-latency")
    before, during = p95_rise_ms(run_dir)
    assert 120 < during - before < 400, (before, during)  # the toxic is 200 ms


def test_the_service_killed_is_brought_back(byo: Path) -> None:
    before = LabState.load(byo / "state")
    assert before is not None
    _, run_dir = _run(byo, "api-killed")
    metrics = run_metrics(run_dir)
    assert metrics["recovered"] is True
    assert float(str(metrics["outage_s"])) > 0
    after = LabState.load(byo / "state")
    assert after is not None
    assert after.components["api"].pid != before.components["api"].pid
    assert psutil.pid_exists(after.components["api"].pid or -1)


def test_a_dns_fault_no_client_met_is_named_in_the_summary(byo: Path) -> None:
    experiment = byo / "experiments" / "blank-alone.yaml"
    text = (byo / "experiments" / "dynamodb-blank.yaml").read_text()
    head, _, _ = text.partition("  - name: connections-dropped")
    # one user, so one request at a time: the SDK's pool never needs a second connection
    # (a new connection is a lookup, which would be the client meeting the fault)
    head = head.replace("users: 4\n  spawn_rate: 4", "users: 1\n  spawn_rate: 1")
    assert "users: 1" in head
    experiment.write_text(head + "  - at: 13s\n    wait: 2s\nrecovery:\n  timeout: 30s\n")
    done, run_dir = _run(byo, "blank-alone")
    # The API's row: the resolver's queries less the recorder's own. Whether the API met the
    # blank depends on its pool (a request cut off by its 2 s deadline closes its connection,
    # and the next one dials, so looks the name up): the summary names it exactly when the
    # row says 0.
    report = (run_dir / "report.md").read_text()
    (row,) = [line for line in report.splitlines() if line.startswith("| api (via resolver) |")]
    count = int(row.split("|")[2])
    said = "api (via resolver) sent no DNS query during blank" in done.stdout
    assert said == (count == 0), (count, done.stdout[-2000:])
    log = (byo / "state" / "logs" / "api.log").read_text()
    this_run = log.rsplit("\n--- ", 1)[-1]  # the run restarted the API: its last start
    if count == 0:
        assert "no such host" not in this_run


def test_a_killed_controller_leaves_the_service_back_and_nothing_faulted(byo: Path) -> None:
    """SIGKILL the run while the API is killed and its Redis slowed: once the faults'
    durations pass, the lab's watchdog has brought the API back and removed the toxic."""
    experiment = byo / "experiments" / "killed-controller.yaml"
    experiment.write_text(
        "title: killed controller\nmethod:\n"
        "  - {name: slow, at: 0s, fault: toxiproxy.latency, target: redis, duration: 4s,"
        " params: {latency: 100}}\n"
        "  - {name: kill, at: 0s, fault: process.kill, target: api, duration: 4s}\n"
        "  - {at: 4s, wait: 20s}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(byo / "state"), "run",
         str(experiment), "--out", str(byo / "reports" / "killed"), "--no-fresh"],
        cwd=byo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    wait_for_injections(proc, 2, byo / "reports" / "killed")
    proc.kill()
    proc.wait(10)
    api = f"{SUBNET}.70"
    assert wait_until(lambda: http_ok(api, 8080, "/healthz"), 30), "the API was not brought back"
    assert wait_until(lambda: ToxiproxyAdapter(f"{SUBNET}.2", 8474).toxics("redis") == [], 30)

    def reverted_by_the_watchdog() -> bool:
        return all(e.reverted_by == "watchdog" for e in Ledger(byo / "state").entries())

    assert wait_until(reverted_by_the_watchdog, 30), Ledger(byo / "state").entries()
    entries = Ledger(byo / "state").entries()
    assert sorted(e.kind for e in entries) == ["process.kill", "toxiproxy.latency"]
    done = run_cli("--state-dir", str(byo / "state"), "recover", cwd=byo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert Ledger(byo / "state").entries() == []
