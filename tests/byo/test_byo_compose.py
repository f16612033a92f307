"""The byo example end to end on the compose backend: the Go service as a static binary in
an image built here from nothing (``FROM scratch``), Redis as a compose service of the
team's own file, both joined to the lab by the lab file's ``compose:`` section; its
experiments against the real containers.

The lab runs as project ``chaoskit-byo-test`` on 172.31.58.0/24 with ports from 26000, the
API published on 127.0.32.70, away from the compose module's lab and a developer's own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from chaoskit.experiment.ledger import Ledger
from chaoskit.lab.compose import ComposeLab
from chaoskit.lab.config import ComposeSettings
from chaoskit.lab.health import http_ok, wait_until
from chaoskit.lab.open import lab_config_for, open_lab
from chaoskit.lab.state import LabState
from chaoskit.toxiproxy import ToxiproxyAdapter
from tests.byo.checks import p95_rise_ms, run_metrics
from tests.helpers import compose_images, run_cli, wait_for_injections

# xdist: the Docker engine, its images and compose projects, one worker at a time
pytestmark = [pytest.mark.compose, pytest.mark.timeout(1500), pytest.mark.xdist_group("docker")]

BYO = Path(__file__).resolve().parents[2] / "examples" / "byo"
SETTINGS = ComposeSettings(
    project="chaoskit-byo-test", net="172.31.58", west_net="172.31.158", port_base=26000
)
PUBLISHED = "127.0.32"


@pytest.fixture(scope="module")
def byo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeLab]:
    """The example copied to a directory of its own, its API built static, brought up on
    the compose backend."""
    root = tmp_path_factory.mktemp("byo-compose")
    shutil.copytree(BYO, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.go", "go.*"))
    built = subprocess.run(
        ["go", "build", "-o", str(root / "api" / "api"), "."],
        cwd=BYO / "api", env={**os.environ, "CGO_ENABLED": "0"},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    text = (BYO / "chaoskit.yaml").read_text().replace("127.0.10.", f"{PUBLISHED}.")
    (root / "chaoskit.yaml").write_text(text)
    with compose_images():
        state = root / "state"
        config = lab_config_for(state, root / "chaoskit.yaml")
        lab = open_lab(state, "compose", config=config, compose=SETTINGS)
        assert isinstance(lab, ComposeLab)
        try:
            # what `chaoskit run` does first; on a lab never up, `rm` named the team's
            # services to compose files that did not have them yet ("No such service: redis")
            lab.stop_services()
            lab.up()
            yield lab
        finally:
            lab.down()


def _root(lab: ComposeLab) -> Path:
    return lab.state_dir.parent


def _run(lab: ComposeLab, name: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    root = _root(lab)
    done = run_cli("--state-dir", str(lab.state_dir), "run", f"experiments/{name}.yaml",
                   "--out", str(root / "reports" / name), cwd=root, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run_dir,) = (root / "reports" / name).iterdir()
    return done, run_dir


def _api_log(lab: ComposeLab) -> str:
    return str(lab.container("api").logs().decode(errors="replace"))


def test_the_lab_holds_the_teams_containers(byo: ComposeLab) -> None:
    state = LabState.load(byo.state_dir)
    assert state is not None
    assert set(state.components) == {
        "dns", "resolver", "toxiproxy", "watchdog", "dynamodb-us-east-1", "redis", "api",
        "loadserver",
    }  # fmt: skip
    api, redis = byo.container("api"), byo.container("redis")
    assert api.image.tags == ["chaoskit-byo/api:dev"]  # built from the team's Dockerfile
    networks = api.attrs["NetworkSettings"]["Networks"]
    assert {n: v["IPAddress"] for n, v in networks.items()} == {
        "chaoskit-byo-test_lab": "172.31.58.80"
    }
    assert redis.attrs["NetworkSettings"]["Networks"]["chaoskit-byo-test_lab"]["IPAddress"] == (
        "172.31.58.100"
    )
    dig = subprocess.run(["dig", "+short", "-p", "26053", "@127.0.0.1", "redis.lab.test"],
                         capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
    assert dig.stdout.strip() == "172.31.58.2"  # Toxiproxy's address on the lab network
    assert http_ok(f"{PUBLISHED}.70", 8080, "/healthz")  # published where the lab file says
    status = run_cli("--state-dir", str(byo.state_dir), "status", "--json")
    components = json.loads(status.stdout)["components"]
    assert all(c["healthy"] for c in components.values()), components


def test_a_blanked_dynamodb_record_reaches_the_go_sdk_as_no_such_host(byo: ComposeLab) -> None:
    _, run_dir = _run(byo, "dynamodb-blank")
    metrics = run_metrics(run_dir)
    assert metrics["recovered"] is True
    assert float(str(metrics["availability_during_fault"])) < 0.9
    log = _api_log(byo)
    assert "lookup dynamodb.us-east-1.lab.test" in log and "no such host" in log


def test_latency_on_redis_raises_the_services_p95_by_about_the_toxic(byo: ComposeLab) -> None:
    _, run_dir = _run(byo, "redis-latency")
    before, during = p95_rise_ms(run_dir)
    assert 120 < during - before < 400, (before, during)  # the toxic is 200 ms


def test_the_services_container_killed_is_started_again(byo: ComposeLab) -> None:
    done, run_dir = _run(byo, "api-container-killed")
    metrics = run_metrics(run_dir)
    assert metrics["recovered"] is True
    assert float(str(metrics["outage_s"])) > 0
    assert "reverted container.kill on api" in done.stdout
    # the run started from fresh containers; the revert started the one it killed again
    api = byo.container("api")
    assert api.status == "running"
    started, created = (_instant(api.attrs[k] if k == "Created" else api.attrs["State"][k])
                        for k in ("StartedAt", "Created"))  # fmt: skip
    assert started - created > 4, api.attrs["State"]  # the kill came 3 s after the warm-up


def _instant(docker_time: str) -> float:
    """Seconds since the epoch of a Docker time (RFC 3339, nanoseconds)."""
    from datetime import datetime

    whole, _, fraction = docker_time.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{whole}.{fraction[:6] or 0}+00:00").timestamp()


def test_a_killed_controller_leaves_the_service_back_and_nothing_faulted(byo: ComposeLab) -> None:
    """SIGKILL the run while the API's container is killed and Redis slowed: once the
    faults' durations pass, the lab's watchdog has started the container again and removed
    the toxic."""
    root = _root(byo)
    experiment = root / "experiments" / "killed-controller.yaml"
    experiment.write_text(
        "title: killed controller\nstack: {backend: compose}\nmethod:\n"
        "  - {name: slow, at: 0s, fault: toxiproxy.latency, target: redis, duration: 4s,"
        " params: {latency: 100}}\n"
        "  - {name: kill, at: 0s, fault: container.kill, target: api, duration: 4s}\n"
        "  - {at: 4s, wait: 20s}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(byo.state_dir), "run",
         str(experiment), "--out", str(root / "reports" / "killed"), "--no-fresh"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
    )  # fmt: skip
    wait_for_injections(proc, 2, root / "reports" / "killed")
    proc.kill()
    proc.wait(10)
    served = wait_until(lambda: http_ok(f"{PUBLISHED}.70", 8080, "/healthz"), 30)
    assert served, "the API's container was not started again"
    toxiproxy = ToxiproxyAdapter("127.0.0.1", 26074)
    assert wait_until(lambda: toxiproxy.toxics("redis") == [], 30)

    def reverted_by_the_watchdog() -> bool:
        return all(e.reverted_by == "watchdog" for e in Ledger(byo.state_dir).entries())

    assert wait_until(reverted_by_the_watchdog, 30), Ledger(byo.state_dir).entries()
    done = run_cli("--state-dir", str(byo.state_dir), "recover", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert Ledger(byo.state_dir).entries() == []


def test_down_removes_the_teams_containers_and_files_too(byo: ComposeLab) -> None:
    """Last in the module: ``down`` (the fixture's is then a no-op)."""
    byo.down()
    client = docker.from_env()
    label = f"com.docker.compose.project={SETTINGS.project}"
    assert client.containers.list(all=True, filters={"label": label}) == []
    assert client.networks.list(filters={"label": label}) == []
    assert not (byo.state_dir / "compose" / "team.yml").exists()
    assert not (byo.state_dir / "compose" / "lab-file.yml").exists()
