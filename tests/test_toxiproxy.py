"""The Toxiproxy adapter: timeouts on every call, every non-2xx answer an error."""

from __future__ import annotations

import socket
import time

import pytest

from chaoskit._errors import ToxiproxyError
from chaoskit.lab import LocalLab
from chaoskit.toxiproxy import ToxiproxyAdapter


def test_non_2xx_answers_become_errors(lab: LocalLab) -> None:
    toxi = lab.toxiproxy()
    proxy = lab.config.region("us-west-2").proxy_name
    with pytest.raises(ToxiproxyError, match="no proxy named 'missing'"):
        toxi.add_toxic("missing", "latency", "x", {"latency": 1})
    toxi.add_toxic(proxy, "latency", "dup", {"latency": 1})
    try:
        with pytest.raises(ToxiproxyError, match="HTTP 409"):
            toxi.add_toxic(proxy, "latency", "dup", {"latency": 1})
        with pytest.raises(ToxiproxyError, match="HTTP 400"):
            toxi.set_enabled(proxy, "maybe")  # type: ignore[arg-type]
    finally:
        assert toxi.remove_toxic(proxy, "dup")
    assert toxi.remove_toxic(proxy, "dup") is False  # idempotent
    with pytest.raises(ToxiproxyError, match="unknown toxic type 'nope'; known types: latency"):
        toxi.add_toxic(proxy, "nope", "x", {})


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        toxi = ToxiproxyAdapter("127.0.0.1", silent.getsockname()[1], timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(ToxiproxyError, match="timed out"):
            toxi.version()
    assert time.monotonic() - started < 3


def test_nothing_listening_is_an_error_not_a_hang() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ToxiproxyError, match=r"Connection refused|Failed to establish"):
        ToxiproxyAdapter("127.0.0.1", port, timeout_s=0.5).proxies()
