"""What the DNS tier did during a run, from the counters the recorder sampled.

- resolver and authority amplification: the query rate at the lab resolver, and at the lab
  authority, from the first injection to the last revert ÷ the rate before the first
  injection (1.0: the fault changed nothing; a retry storm shows as much more), leaving out
  the recorder's own queries (one a sample to each); none when fewer than
  ``MIN_BASELINE_QUERIES`` reached the tier before the fault (an authority behind a warm
  cache may see none at all), so there is no rate to compare with;
- stale answers served: expired answers the resolver gave (Unbound's ``serve-expired``)
  from the first injection to the end of the run;
- negative-cache lag: from the last revert of a DNS fault (the record restored at the
  authority) to the first sample at which the resolver answers the watched record with an
  address again; 0 when the resolver never stopped answering it. A sample asks the resolver
  when it is taken, ``LAG_S`` after the time it describes, so that is the time used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chaoskit.experiment.recorder import LAG_S, OWN_QUERIES_KEY, RESOLVER_RESOLVES_KEY, Sample

__all__ = ["MIN_BASELINE_QUERIES", "dns_tier_metrics"]

MIN_BASELINE_QUERIES = 5


def _clients_count(sample: Sample, key: str) -> float:
    """A tier's counter less the queries the recorder itself sent it."""
    return sample.services[key] - sample.services.get(OWN_QUERIES_KEY, 0.0)


def _rate(
    samples: Sequence[Sample], key: str, start: float, end: float, at_least: float = 0.0
) -> float | None:
    """Queries per second in [start, end]; None with fewer than ``at_least`` queries."""
    inside = [(s.t, _clients_count(s, key)) for s in samples
              if start <= s.t <= end and key in s.services]  # fmt: skip
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return None
    counted = inside[-1][1] - inside[0][1]
    if counted < at_least:
        return None
    return counted / (inside[-1][0] - inside[0][0])


def _amplification(
    samples: Sequence[Sample], key: str, first_injection: float, fault_end: float
) -> float | None:
    before = _rate(samples, key, float("-inf"), first_injection, MIN_BASELINE_QUERIES)
    during = _rate(samples, key, first_injection, fault_end)
    if before is None or during is None:
        return None
    return round(during / before, 2) if before > 0 else None


def dns_tier_metrics(
    samples: Sequence[Sample],
    first_injection: float,
    fault_end: float,
    dns_restored: float | None,
) -> dict[str, Any]:
    """The DNS tier's metrics; empty when the run had no lab resolver to sample."""
    if not any("resolver_queries" in s.services for s in samples):
        return {}
    metrics: dict[str, Any] = {
        "resolver_amplification": _amplification(
            samples, "resolver_queries", first_injection, fault_end
        ),
        "authority_amplification": _amplification(
            samples, "authority_queries", first_injection, fault_end
        ),
    }
    expired = [s.services["resolver_expired"] for s in samples
               if s.t >= first_injection and "resolver_expired" in s.services]  # fmt: skip
    metrics["stale_answers_served"] = expired[-1] - expired[0] if len(expired) >= 2 else None
    metrics["negative_cache_lag_s"] = _negative_cache_lag(samples, first_injection, dns_restored)
    return metrics


def _negative_cache_lag(
    samples: Sequence[Sample], first_injection: float, restored: float | None
) -> float | None:
    if restored is None:
        return None
    asked = [(s.t + LAG_S, s.services[RESOLVER_RESOLVES_KEY]) for s in samples
             if RESOLVER_RESOLVES_KEY in s.services]  # fmt: skip
    failed = any(value < 1 for t, value in asked if first_injection <= t <= restored)
    after = [(t, value) for t, value in asked if t >= restored]
    if not failed:
        return 0.0 if after else None
    back = next((t for t, value in after if value >= 1), None)
    return round(back - restored, 3) if back is not None else None
