import pytest

from chaoskit.experiment.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10.0), ("500ms", 0.5), ("2m", 120.0), ("1h", 3600.0), (3, 3.0), ("1.5", 1.5)],
)
def test_parses(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "-1s", "10 sec", True, None, -2])
def test_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize("too_long", ["24.01h", "1441m", 86400.5, "99999999999999999999s"])
def test_a_duration_is_at_most_a_day(too_long: object) -> None:
    assert parse_duration("24h") == parse_duration(86400) == 86400.0
    with pytest.raises(ValueError, match=r"a duration is at most 24h, got"):
        parse_duration(too_long)
