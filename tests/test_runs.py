"""``chaoskit.run_experiment``: a run from Python, with the checks ``chaoskit run`` makes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import chaoskit
from chaoskit.experiment.injection import inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab import LocalLab
from tests.helpers import assert_lab_clean, shortened

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("fresh_services_after")]


def test_a_run_from_python_returns_its_result(lab: LocalLab, tmp_path: Path) -> None:
    experiment = shortened(
        "dynamodb-latency.yaml", tmp_path,
        load={"users": 5, "spawn_rate": 5, "warmup": "1s"},
        method=[{"at": "1s", "fault": "toxiproxy.latency", "target": "dynamodb-us-east-1",
                 "duration": "3s", "params": {"latency": 300}}],
        recovery={"consecutive_samples": 10, "timeout": "30s"},
    )  # fmt: skip
    result = chaoskit.run_experiment(experiment, out=tmp_path / "out", state_dir=lab.state_dir)
    assert result.status == "completed", result
    assert (result.run_dir / "journal.json").is_file()
    assert [(f.kind, f.outcome) for f in result.faults] == [("toxiproxy.latency", "reverted")]
    assert result.exit_code == (0 if result.held else 1)  # what `chaoskit run` exits with
    assert result.metrics["time_to_impact_s"] is not None  # 300 ms on every read
    assert_lab_clean(lab)


def test_a_fault_left_by_a_killed_run_refuses_the_next(lab: LocalLab, tmp_path: Path) -> None:
    ledger = Ledger(lab.state_dir)
    left = inject_fault(lab, ledger, LedgerEntry(
        run="killed", kind="toxiproxy.latency", target="dynamodb-us-east-1",
        params={"latency": 100}, duration_s=1, expires_at=time.time() + 60,
    ))  # fmt: skip
    try:
        with pytest.raises(chaoskit.InvalidInput, match="chaoskit recover"):
            chaoskit.run_experiment(shortened("dns-blackout.yaml", tmp_path),
                                    state_dir=lab.state_dir)  # fmt: skip
    finally:
        assert revert_fault(lab, ledger, left).verified
    with pytest.raises(chaoskit.InvalidInput, match="profile: expected naive or resilient"):
        chaoskit.run_experiment(
            shortened("dns-blackout.yaml", tmp_path), state_dir=lab.state_dir, profile="brave"
        )
