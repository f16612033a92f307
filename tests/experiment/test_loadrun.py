"""Locust started at its gate: no request before ``release()``, the load right after it,
and a Locust stopped while it waits leaves no process; exec'd, and forked from the lab's
Locust fork server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chaoskit.experiment.loadrun import LocustRun
from chaoskit.experiment.model import LoadSpec
from chaoskit.experiment.recorder import ClientEvents, LoadStreamListener
from chaoskit.lab.health import wait_until
from tests.load.fixtures import Origin


@pytest.fixture(params=["exec", "forked"])
def zygote(request: pytest.FixtureRequest) -> Path | None:
    """No fork server (each Locust exec'd), or one (each forked from it)."""
    return request.getfixturevalue("loadserver") if request.param == "forked" else None


def test_no_request_before_the_load_is_released(
    origin: Origin, tmp_path: Path, zygote: Path | None
) -> None:
    url, seen = origin
    listener = LoadStreamListener(ClientEvents())
    listener.start()
    locust = LocustRun(LoadSpec(users=3, spawn_rate=10), url, listener.address, 60,
                       tmp_path / "logs", tmp_path, zygote=zygote)  # fmt: skip
    try:
        locust.start()
        time.sleep(3.0)  # Locust's start-up is well over by now
        assert locust.running()
        assert seen == [] and listener.datagrams == 0
        released = time.monotonic()
        locust.release()
        assert wait_until(lambda: len(seen) >= 3, 10)
        assert seen[0][0] - released < 2.0
        assert wait_until(lambda: listener.datagrams > 0, 5)
    finally:
        locust.stop()
        listener.stop()
    assert not locust.running()


def test_a_locust_stopped_at_its_gate_is_gone(
    origin: Origin, tmp_path: Path, zygote: Path | None
) -> None:
    url, seen = origin
    locust = LocustRun(LoadSpec(users=2), url, "127.0.0.1:9", 60, tmp_path / "logs", tmp_path,
                       zygote=zygote)  # fmt: skip
    locust.start()
    time.sleep(1.0)
    started = time.monotonic()
    locust.stop()
    assert not locust.running()
    assert time.monotonic() - started < 5
    assert seen == []
    assert ("(forked)" in (tmp_path / "logs" / "locust.log").read_text()) == (zygote is not None)


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("import nosuchmodule\n", "ModuleNotFoundError: No module named 'nosuchmodule' ("),
        ("x = 1\n", "No User class found!"),
    ],
    ids=["import-error", "no-user-class"],
)
def test_a_locust_that_ends_on_its_own_says_why(
    origin: Origin, tmp_path: Path, zygote: Path | None, source: str, said: str
) -> None:
    """A run said "Locust sent no results within 30s" of a locustfile that did not import,
    a second after Locust had ended saying why, in its log."""
    (tmp_path / "broken_locustfile.py").write_text(source)
    url, _ = origin
    locust = LocustRun(LoadSpec(users=1, locustfile="broken_locustfile.py"), url,
                       "127.0.0.1:9", 60, tmp_path / "logs", tmp_path, zygote=zygote)  # fmt: skip
    locust.start()
    try:
        assert wait_until(lambda: not locust.running(), 30)
    finally:
        locust.stop()
    words = locust.last_words()
    assert words is not None and words.startswith(said), words
