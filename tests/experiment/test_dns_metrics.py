"""The DNS tier's metrics from sampled counters (pure logic: samples built by hand)."""

from __future__ import annotations

import pytest

from chaoskit.experiment.dns_metrics import dns_tier_metrics
from chaoskit.experiment.recorder import LAG_S, RESOLVER_RESOLVES_KEY, Sample


def _sample(t: float, resolves: bool, **counters: float) -> Sample:
    return Sample(
        t=t, wall=t, phase="method", requests=10, ok=10, failures={}, window_requests=10,
        error_rate=0.0, rps=10.0, p50_ms=1.0, p95_ms=1.0, p99_ms=1.0, dns_answer="127.0.0.1",
        active_faults=0, good=True,
        services={RESOLVER_RESOLVES_KEY: 1.0 if resolves else 0.0, **counters},
    )  # fmt: skip


def _run(resolver_rate_during: float, blank_until: float) -> list[Sample]:
    """10 queries/s at the resolver until t=10, then ``resolver_rate_during`` until t=20; the
    resolver answers the watched record empty from 10 s until ``blank_until``."""
    samples, queries, authority, expired = [], 0.0, 0.0, 0.0
    for i in range(0, 301):
        t = i / 10
        rate = resolver_rate_during if 10 < t <= 20 else 10.0
        queries += rate / 10 + 1  # the clients' queries, and the recorder's own one
        authority += 1 / 10 + 1
        expired += 0.5 if 10 < t <= 20 else 0.0
        asked = t + LAG_S  # a sample asks the resolver when taken, LAG_S after its t
        samples.append(_sample(t, not (10 <= asked < blank_until), resolver_queries=queries,
                               authority_queries=authority, resolver_expired=expired,
                               recorder_dns_queries=float(i + 1)))  # fmt: skip
    return samples


def test_amplification_is_the_clients_rate_during_the_fault_over_the_rate_before() -> None:
    """The recorder's own query each sample is left out: it would dilute the storm."""
    metrics = dns_tier_metrics(_run(50.0, 20.0), 10.0, 20.0, 20.0)
    assert metrics["resolver_amplification"] == 5.0
    assert metrics["authority_amplification"] == 1.0
    assert metrics["stale_answers_served"] == 50.0


def test_negative_cache_lag_runs_from_the_restoration_to_the_first_address() -> None:
    lagging = dns_tier_metrics(_run(10.0, 25.0), 10.0, 20.0, 20.0)
    assert lagging["negative_cache_lag_s"] == pytest.approx(5.0, abs=0.11)
    prompt = dns_tier_metrics(_run(10.0, 20.0), 10.0, 20.0, 20.0)
    assert prompt["negative_cache_lag_s"] == 0.0


def test_a_resolver_that_kept_answering_has_no_lag_and_a_run_without_one_no_metrics() -> None:
    always = dns_tier_metrics(_run(10.0, 10.0), 10.0, 20.0, 20.0)
    assert always["negative_cache_lag_s"] == 0.0
    assert always["resolver_amplification"] == 1.0
    bare = [_sample(t / 10, True) for t in range(100)]
    assert dns_tier_metrics(bare, 2.0, 5.0, 5.0) == {}
    assert dns_tier_metrics(_run(10.0, 25.0), 10.0, 20.0, None)["negative_cache_lag_s"] is None
