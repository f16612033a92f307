"""What the charts plot: rates from counts and counters, DNS answers as categories."""

from __future__ import annotations

from chaoskit.report.series import counter_rate, dns_categories, rolling_rate


def test_rolling_rate_is_per_second_over_the_window() -> None:
    assert rolling_rate([1, 1, 1, 1, 1, 1], window=2, period=0.1) == [10, 10, 10, 10, 10, 10]
    assert rolling_rate([0, 0, 5, 0, 0], window=2, period=0.5) == [0, 0, 5, 5, 0]


def test_counter_rate_survives_a_restarted_service() -> None:
    t = [0.0, 1.0, 2.0, 3.0, 4.0]
    # 10 per second, then the service restarts and counts from zero again
    rates = counter_rate(t, [100.0, 110.0, 120.0, 5.0, 15.0], window=1)
    assert rates == [None, 10, 10, 5, 10]
    assert counter_rate(t, [None, None, 3.0, 4.0, 4.0], window=1) == [None, 0, 0, 1, 0]


def test_dns_answers_become_categories() -> None:
    band = dns_categories(["", "127.0.10.11", "EMPTY", "10.9.9.9", "NXDOMAIN", "127.0.10.11"])
    assert band.labels == [
        "not asked",
        "expected",
        "EMPTY",
        "other addresses",
        "NXDOMAIN",
        "expected",
    ]
    assert band.severity["EMPTY"] > band.severity["expected"]
    assert set(band.colours) == set(band.labels)
