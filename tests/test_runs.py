"""``chaoskit.run_experiment``: a run from Python, with the checks ``chaoskit run`` makes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import chaoskit
from chaoskit.experiment.events import (
    FaultInjected,
    FaultReverted,
    PhaseChanged,
    RunEvent,
    RunFinished,
    Sampled,
)  # fmt: skip
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
    seen: list[RunEvent] = []
    result = chaoskit.run_experiment(
        experiment, out=tmp_path / "out", state_dir=lab.state_dir, on_event=seen.append
    )
    assert result.status == "completed", result
    assert (result.run_dir / "journal.json").is_file()
    assert [(f.kind, f.outcome) for f in result.faults] == [("toxiproxy.latency", "reverted")]
    assert result.exit_code == (0 if result.held else 1)  # what `chaoskit run` exits with
    assert result.metrics["time_to_impact_s"] is not None  # 300 ms on every read
    assert_lab_clean(lab)
    # the run told what happened as it happened, in order, ending with its result
    phases = [e.phase for e in seen if isinstance(e, PhaseChanged)]
    assert phases == ["warmup", "steady-state-before", "method", "recovery",
                      "steady-state-after", "teardown"]  # fmt: skip
    (injected,) = [e for e in seen if isinstance(e, FaultInjected)]
    (reverted,) = [e for e in seen if isinstance(e, FaultReverted)]
    assert (injected.kind, injected.target, reverted.verified) == (
        "toxiproxy.latency",
        "dynamodb-us-east-1",
        True,
    )
    assert 2.9 < reverted.t - injected.t < 3.5
    method_at = next(e.t for e in seen if isinstance(e, PhaseChanged) and e.phase == "method")
    assert 0.9 < injected.t - method_at < 1.2
    samples = [e for e in seen if isinstance(e, Sampled)]
    assert len(samples) == result.metrics["samples"]
    assert isinstance(seen[-1], RunFinished) and seen[-1].result is result
    # and events.jsonl holds the same, but for the samples (those are timeline.csv)
    logged = [json.loads(line) for line in (result.run_dir / "events.jsonl").open()]
    assert [e["event"] for e in logged] == [
        type(e).__name__ for e in seen if not isinstance(e, Sampled)
    ]


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
