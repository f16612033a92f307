"""The resolver tier's three lessons, shortened, through ``chaoskit suite run``: each pattern's
effect measured against the real Unbound, off and on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chaoskit.lab import LocalLab
from tests.helpers import assert_lab_clean, run_suite, shortened

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("fresh_services_after")]

LIGHT = {"users": 5, "spawn_rate": 5, "warmup": "1s", "mix": {"read": 3, "write": 1}}
RECORD = "dynamodb.us-east-1.lab.test"
LONGER_THAN_THE_TTL = "8s"  # the resolver holds the address for the record's TTL (5 s)
# the resolver's cached answer expires anywhere in the first 5 s of a silence (where it is in
# its TTL when the fault begins), and then a naive lookup fails only once Unbound gives up on
# the silent authority: a silence that ends before then is never seen by the clients
SILENT_LONG_ENOUGH = "14s"


def _suite(lab: LocalLab, tmp_path: Path) -> dict[str, dict[str, Any]]:
    _, lessons = run_suite(lab, tmp_path)
    for lesson in lessons.values():
        assert all(r["status"] == "completed" for r in lesson["runs"].values()), lesson
    return {
        title: {variant: run["metrics"] for variant, run in lesson["runs"].items()}
        for title, lesson in lessons.items()
    }


def test_the_resolver_lessons_off_and_on(lab: LocalLab, tmp_path: Path) -> None:
    if lab.system_resolver().unavailable:
        pytest.skip(f"system-resolver mode: {lab.system_resolver().unavailable}")
    (tmp_path / "lessons").mkdir()
    recovery = {"consecutive_samples": 10, "timeout": "40s"}
    shortened("lessons/negative-caching.yaml", tmp_path, load=LIGHT, recovery=recovery,
              variants={"off": {"steps": {"soa-minimum": {"params": {"ttl": 20}}}},
                        "on": {"steps": {"soa-minimum": {"params": {"ttl": 2}}}}},
              method=[{"name": "soa-minimum", "at": "0.5s", "fault": "dns.negative_ttl",
                       "target": RECORD, "duration": "9s", "params": {"ttl": 20}},
                      {"name": "blackout", "at": "1s", "fault": "dns.blank", "target": RECORD,
                       "duration": LONGER_THAN_THE_TTL}])  # fmt: skip
    shortened("lessons/resolver-serve-expired.yaml", tmp_path, load=LIGHT, recovery=recovery,
              method=[{"name": "silent", "at": "1s", "fault": "dns.drop", "target": RECORD,
                       "duration": SILENT_LONG_ENOUGH}])  # fmt: skip
    shortened("lessons/resolver-retry-storm.yaml", tmp_path, load=LIGHT, recovery=recovery,
              method=[{"name": "failing", "at": "1s", "fault": "dns.servfail", "target": RECORD,
                       "duration": LONGER_THAN_THE_TTL}])  # fmt: skip
    lessons = _suite(lab, tmp_path)

    negative = lessons["Lesson: negative caching at the resolver"]
    off, on = negative["off"]["negative_cache_lag_s"], negative["on"]["negative_cache_lag_s"]
    assert off is not None and on is not None
    assert off > on + 5, (off, on)  # the empty answer outlived the record's restoration

    expired = lessons["Lesson: serve-expired at the resolver"]
    assert expired["on"]["stale_answers_served"] > 0
    assert expired["on"]["availability_during_fault"] > expired["off"]["availability_during_fault"]

    storm = lessons["Lesson: a retry storm on the resolver"]
    assert storm["off"]["resolver_amplification"] > storm["on"]["resolver_amplification"]
    assert_lab_clean(lab)
