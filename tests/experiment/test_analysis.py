from chaoskit.experiment.analysis import (
    Stage,
    compute_metrics,
    first_recovery,
    goodput_metrics,
    stage_times,
)
from chaoskit.experiment.probes import ProbeResult
from chaoskit.experiment.recorder import Sample


def sample(t: float, good: bool, requests: int = 10, **services: float) -> Sample:
    ok = requests if good else 0
    return Sample(
        t=t, wall=1000 + t, phase="method", requests=requests, ok=ok,
        failures={} if good else {"http_503": requests}, window_requests=requests * 10,
        error_rate=0.0 if good else 1.0, rps=requests * 10.0, p50_ms=10, p95_ms=20, p99_ms=30,
        dns_answer="127.0.0.1", active_faults=0, good=good, services=dict(services),
    )  # fmt: skip


def timeline() -> list[Sample]:
    """Good until 5 s, bad from 5.1 s to 8.0 s, good after; fault from 5.0 to 7.5 s."""
    samples = []
    for i in range(120):
        t = round(i * 0.1, 1)
        good = not (5.1 <= t <= 8.0)
        depth = 0.0 if t < 5 else (50.0 if t < 9 else 0.0)
        samples.append(sample(t, good, dynamodb_attempts=i * 30.0, queue_depth=depth))
    return samples


def test_first_recovery_needs_consecutive_good_samples() -> None:
    samples = [sample(0.1 * i, good) for i, good in enumerate([0, 1, 1, 0, 1, 1, 1])]
    assert first_recovery(samples, 0.0, 3) == samples[4].t
    assert first_recovery(samples, 0.0, 4) is None


def test_recovery_metrics_from_a_known_timeline() -> None:
    probes = [ProbeResult("health", "method", 5.7, False, "503")]
    metrics = compute_metrics(timeline(), [5.0], [7.5], probes, 10, 0.999)
    assert metrics["time_to_impact_s"] == 0.1
    assert metrics["time_to_detect_s"] == 0.7
    assert metrics["recovered"] is True
    assert metrics["time_to_recover_from_revert_s"] == 0.6  # first good at 8.1
    assert metrics["time_to_recover_from_injection_s"] == 3.1
    assert abs(metrics["outage_s"] - 3.0) < 1e-6
    assert metrics["availability_during_fault"] == round(1 / 26, 4)  # only t=5.0 was good
    assert metrics["retry_amplification"] == 3.0  # 30 attempts per 10 requests
    assert metrics["backlog_peak"] == 50.0
    assert metrics["backlog_drain_s"] == 1.5  # back to <= 10 at 9.0
    failed = 30 * 10  # 5.1 s to 8.0 s
    assert metrics["error_budget_used"] == round(failed / (0.001 * 1200), 3)
    assert metrics["peak_burn_rate"] == 1000.0


def test_no_recovery_is_reported_as_none() -> None:
    samples = [sample(0.1 * i, i < 10) for i in range(50)]
    metrics = compute_metrics(samples, [1.0], [2.0], [], 5, 0.99)
    assert metrics["recovered"] is False
    assert metrics["time_to_recover_from_revert_s"] is None


def test_status_page_metrics_compare_its_claim_with_what_clients_saw() -> None:
    # the page claims "operational" until 6.0 s although clients fail from 5.1 s
    samples = [
        sample(s.t, s.good, status_page_operational=1.0 if s.t < 6.0 else 0.0) for s in timeline()
    ]
    metrics = compute_metrics(samples, [5.0], [7.5], [], 10, 0.999)
    assert metrics["status_page_time_to_report_s"] == 1.0
    assert abs(metrics["status_page_misleading_s"] - 0.9) < 1e-6  # 5.1 .. 5.9


def test_a_status_page_that_never_reports_and_runs_without_one() -> None:
    always_fine = [sample(s.t, s.good, status_page_operational=1.0) for s in timeline()]
    metrics = compute_metrics(always_fine, [5.0], [7.5], [], 10, 0.999)
    assert metrics["status_page_time_to_report_s"] is None
    assert abs(metrics["status_page_misleading_s"] - 3.0) < 1e-6  # the whole outage
    without_page = compute_metrics(timeline(), [5.0], [7.5], [], 10, 0.999)
    assert "status_page_misleading_s" not in without_page


def test_goodput_counts_what_was_served_within_the_latency_bound_during_the_fault() -> None:
    # 100 successes at 1..100 ms, 50 refusals, then a success outside the window
    events = [(1000 + i * 0.1, True, float(i + 1), "") for i in range(100)]
    events += [(1000 + i * 0.1, False, 1.0, "http_503") for i in range(50)]
    events.append((1011.0, True, 1.0, ""))
    got = goodput_metrics(events, 1000.0, 1010.0, latency_bound_ms=30)
    assert got == {"goodput_during_fault_rps": 3.0, "p99_during_fault_ms": 99.0}
    unbounded = goodput_metrics(events, 1000.0, 1010.0, latency_bound_ms=None)
    assert unbounded["goodput_during_fault_rps"] == 10.0  # every success counts


def test_goodput_when_nothing_was_served() -> None:
    refused = [(1000.5, False, 1.0, "http_503")]
    assert goodput_metrics(refused, 1000.0, 1010.0, 300) == {
        "goodput_during_fault_rps": 0.0, "p99_during_fault_ms": None,
    }  # fmt: skip
    assert goodput_metrics([], 1000.0, 1000.0, 300)["goodput_during_fault_rps"] is None


def test_each_stage_lasts_until_its_recovery_or_the_next_stage() -> None:
    # bad from 5.1 to 8.0 s (timeline()), then again from 9.5 to 10.0 s
    samples = [s if not 9.5 <= s.t <= 10.0 else sample(s.t, False) for s in timeline()]
    stages = [
        Stage("record-empty", started_t=5.0, settled_t=6.0),  # 10 good from 8.1
        Stage("repair", started_t=9.0, settled_t=9.0),  # 10 good only from 10.1
        Stage("checks", started_t=9.6, settled_t=9.8),
    ]
    first, second, third = stage_times(samples, stages, consecutive=10)
    assert first == {"name": "record-empty", "started_t": 5.0, "recovered_t": 8.1,
                     "took_s": 3.1, "recovered": True, "outage_s": 3.0}  # fmt: skip
    assert second["recovered"] is False and second["took_s"] == 0.6  # the next stage began
    assert third["recovered_t"] == 10.1 and third["took_s"] == 0.5
    assert third["outage_s"] == 0.5
