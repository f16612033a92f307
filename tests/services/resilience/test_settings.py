import pytest

from chaoskit._errors import InvalidInput
from chaoskit.services.resilience.settings import (
    PROFILES,
    ServiceProfile,
    parse_overrides,
    resilience_from_env,
    resolve_resilience,
)


def test_naive_profile_has_every_pattern_off() -> None:
    naive = PROFILES["naive"]
    assert naive.retries.mode == "immediate"
    assert not naive.breaker.enabled
    assert not naive.dns.cache and not naive.dns.serve_stale
    assert not naive.degrade.cached_reads and not naive.multi_region.enabled
    assert naive.max_concurrency is None and naive.queue.bound is None


def test_override_isolates_one_pattern() -> None:
    settings = resolve_resilience("resilient", {"dns.serve_stale": False})
    assert not settings.dns.serve_stale
    assert settings.breaker.enabled  # the rest of the profile stays


def test_parse_overrides_reads_json_values() -> None:
    assert parse_overrides(["retries.max_attempts=5", "dns.serve_stale=false", "x=abc"]) == {
        "retries.max_attempts": 5,
        "dns.serve_stale": False,
        "x": "abc",
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dns.serve_stael": True}, "unknown setting 'serve_stael'"),
        ({"nope.x": 1}, "no setting group 'nope'"),
        ({"retries.max_attempts": 0}, "retries.max_attempts"),
    ],
)
def test_bad_overrides_name_the_key(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        resolve_resilience("naive", overrides)


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="known: naive, resilient"):
        resolve_resilience("paranoid")


def test_environment_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    profile = ServiceProfile(profile="resilient", overrides={"retries.mode": "none"})
    env = profile.environment()
    overrides_file = tmp_path / "overrides.yaml"
    overrides_file.write_text("breaker:\n  failure_threshold: 9\n")
    env["CHAOSKIT_RESILIENCE_FILE"] = str(overrides_file)
    settings = resilience_from_env(env)
    assert settings.profile == "resilient"
    assert settings.retries.mode == "none"
    assert settings.breaker.failure_threshold == 9
