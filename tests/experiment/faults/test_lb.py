"""``lb.check_failure`` and ``stack.load_balancer`` on a real lab: the checks fail through
their own path while the targets keep serving, and a run that asks for the load balancer
has it, then leaves the lab as its lab file made it."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.injection import inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab import LabConfig, LocalLab
from chaoskit.lab.health import wait_until
from chaoskit.services.resilience.settings import ServiceProfile
from tests.helpers import assert_lab_clean, run_cli

# xdist: its lab on 127.0.31, one worker at a time
pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("127.0.31")]

SHALLOW = ServiceProfile(overrides={"lb.health_check.path": "/health"})
"""Checks that fail only by the fault (a naive fleet starved of CPU can fail deep ones)."""


@pytest.fixture(scope="module")
def plain_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLab]:
    """A lab whose lab file has no load balancer (on 127.0.31.0/24)."""
    lab = LocalLab(tmp_path_factory.mktemp("lb-fault-state"), LabConfig.on_subnet("127.0.31"))
    lab.up()
    try:
        yield lab
    finally:
        lab.down()


def _summary(lab: LocalLab) -> dict[str, dict[str, object]]:
    reply = httpx.get(f"http://{lab.config.lb.controller}/targets", timeout=2)
    return dict(reply.json()["targets"])


def _entry(target: str, seconds: float) -> LedgerEntry:
    now = time.time()
    return LedgerEntry(
        run="test-lb", kind="lb.check_failure", target=target, params={},
        duration_s=seconds, written_at=now, expires_at=now + seconds,
    )  # fmt: skip


def test_failing_checks_take_serving_targets_out_and_their_revert_brings_them_back(
    plain_lab: LocalLab,
) -> None:
    lab = plain_lab
    lab.set_load_balancer(3)
    lab.up(profiles={"lb": SHALLOW})
    try:
        assert wait_until(lambda: all(t["in_service"] for t in _summary(lab).values()), 15)
        ledger = Ledger(lab.state_dir)
        entry = inject_fault(lab, ledger, _entry("all", 60))
        try:
            assert wait_until(lambda: not any(t["in_service"] for t in _summary(lab).values()), 10)
            for name in lab.config.lb.targets():  # each target still serves its traffic
                url = f"http://{lab.config.sample_endpoint(name)}/health"
                assert httpx.get(url, timeout=5).status_code == 200
            check = lab.config.lb.checks[0]
            with pytest.raises(httpx.HTTPError):  # while its check path answers nothing
                httpx.get(f"http://{check}/health", timeout=2)
        finally:
            assert revert_fault(lab, ledger, entry).verified
        assert REGISTRY["lb.check_failure"].is_reverted(lab, entry)
        assert wait_until(lambda: all(t["in_service"] for t in _summary(lab).values()), 15)
    finally:
        lab.set_load_balancer(None)
    assert_lab_clean(lab)


def test_a_run_that_asks_for_the_load_balancer_has_it_and_then_leaves_it(
    plain_lab: LocalLab, tmp_path: Path
) -> None:
    experiment = tmp_path / "lb.yaml"
    experiment.write_text(
        "title: one target's checks fail\n"
        "stack:\n"
        "  load_balancer: {replicas: 3}\n"
        "  services: {lb: {profile: naive, overrides: {lb.health_check.path: /health}}}\n"
        "method:\n"
        "  - {at: 1s, fault: lb.check_failure, target: gateway-2, duration: 4s}\n"
        "recovery: {consecutive_samples: 5, timeout: 20s}\n"
    )
    out = tmp_path / "out"
    done = run_cli("--state-dir", str(plain_lab.state_dir), "run", str(experiment),
                   "--out", str(out), "--no-fresh", timeout=180)  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    (run_dir,) = out.iterdir()
    with (run_dir / "timeline.csv").open() as source:
        in_service = [float(r["svc_lb_targets_in_service"]) for r in csv.DictReader(source)
                      if r["svc_lb_targets_in_service"]]  # fmt: skip
    assert max(in_service) == 3 and min(in_service) == 2
    metrics = json.loads((run_dir / "metrics.json").read_text())["metrics"]
    assert metrics["capacity_removed_peak"] == pytest.approx(1 / 3, abs=0.01)
    assert metrics["time_failed_open_s"] == 0.0
    plain_lab.refresh()
    assert not plain_lab.config.load_balanced  # as its lab file made it
    assert not {"haproxy", "lb", "gateway-2"} & set(plain_lab.state.components)
    assert_lab_clean(plain_lab)
