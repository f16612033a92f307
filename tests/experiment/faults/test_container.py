"""``container.pause`` asks again when runc could not freeze a busy cgroup, and only then."""

from __future__ import annotations

from typing import Any

import pytest
from docker.errors import APIError

from chaoskit.experiment.faults import container
from chaoskit.experiment.faults.base import NoParams

UNABLE = "OCI runtime pause failed: unable to freeze: unknown"


class FakeContainer:
    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        self.calls = 0

    def pause(self) -> None:
        self.calls += 1
        if self.failures:
            raise APIError(self.failures.pop(0))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(failures: list[str]) -> FakeContainer:
        made = FakeContainer(failures)
        monkeypatch.setattr(container, "_container", lambda _lab, _entry: made)
        monkeypatch.setattr(container.time, "sleep", lambda _s: None)
        return made

    return install


def test_a_freeze_that_did_not_settle_is_asked_again(fake: Any) -> None:
    made = fake([UNABLE, UNABLE])
    container.pause_container(None, None, NoParams())  # type: ignore[arg-type]
    assert made.calls == 3


def test_any_other_refusal_is_raised_at_once(fake: Any) -> None:
    made = fake(["Container is not running"])
    with pytest.raises(APIError, match="not running"):
        container.pause_container(None, None, NoParams())  # type: ignore[arg-type]
    assert made.calls == 1


def test_a_freeze_that_never_settles_is_raised_after_the_last_attempt(fake: Any) -> None:
    made = fake([UNABLE] * 10)
    with pytest.raises(APIError, match="unable to freeze"):
        container.pause_container(None, None, NoParams())  # type: ignore[arg-type]
    assert made.calls == container.PAUSE_ATTEMPTS
