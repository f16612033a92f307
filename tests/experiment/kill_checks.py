"""Killing a one-fault controller at a boundary, and checking the lab ends the fault by
itself and that ``recover`` finds it as it should be (shared by both backends' tests)."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import time
from typing import Any

from chaoskit.automation.live import read_control
from chaoskit.experiment.drift import find_drift
from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.injection import KILL_AT_ENV
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.experiment.recover import recover
from chaoskit.lab import LocalLab
from chaoskit.lab.health import wait_until
from tests.experiment.kill_harness import RUN, Zygote
from tests.helpers import assert_lab_clean

DURATION_S, GRACE_S = 0.6, 0.3

RECORD = "dynamodb.us-east-1.lab.test."
PROXY = "dynamodb-us-east-1"

DNS_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("dns.blank", RECORD, {}),
    ("dns.nxdomain", RECORD, {}),
    ("dns.servfail", RECORD, {}),
    ("dns.refused", RECORD, {}),
    ("dns.drop", RECORD, {}),
    ("dns.delay", RECORD, {"ms": 50}),
    ("dns.wrong_ip", RECORD, {"address": "127.0.0.99"}),
    ("dns.ttl", RECORD, {"ttl": 1}),
    ("dns.negative_ttl", RECORD, {"ttl": 300}),
    ("dns.flap", RECORD, {"period_s": 0.2}),
    ("dns.failover", RECORD, {"to": "dynamodb.us-west-2.lab.test"}),
]
TOXIPROXY_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("toxiproxy.latency", PROXY, {"latency": 100}),
    ("toxiproxy.bandwidth", PROXY, {"rate": 10}),
    ("toxiproxy.timeout", PROXY, {"timeout": 0}),
    ("toxiproxy.reset_peer", PROXY, {}),
    ("toxiproxy.slow_close", PROXY, {"delay": 10}),
    ("toxiproxy.slicer", PROXY, {"average_size": 10}),
    ("toxiproxy.limit_data", PROXY, {"bytes": 100}),
    ("toxiproxy.down", PROXY, {}),
]


LB_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("lb.check_failure", "all", {}),
    ("lb.check_failure", "gateway-2", {"mode": "timeout"}),
]
"""On a lab with the sample load balancer (``balanced_lab``)."""

LOAD_CASES: list[tuple[str, str, dict[str, Any]]] = [("load.surge", "load", {"users": 20})]
"""The surge's control file outlives no controller (the watchdog removes it)."""

INSTANT_KINDS = ("process.restart", "container.restart", "resolver.flush")
"""Kinds whose effect is over as soon as it is made."""
RESOLVER_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("resolver.flush", "resolver", {}),
    ("resolver.down", "resolver", {}),
    ("resolver.overload", "resolver", {"qps": 5}),
]


ZYGOTE = Zygote()
atexit.register(ZYGOTE.close)


def kill_at(lab: LocalLab, boundary: str, kind: str, target: str, params: dict[str, Any]) -> str:
    """The harness's output, once it has died at ``boundary``."""
    output = lab.state_dir / "kill-harness.out"
    returncode = ZYGOTE.run(
        [str(lab.state_dir), kind, target, json.dumps(params), str(DURATION_S), str(GRACE_S)],
        env={**os.environ, KILL_AT_ENV: f"{boundary}:{kind}"}, output=output, timeout=60,
    )  # fmt: skip
    said = output.read_text(errors="replace")
    output.unlink()
    assert returncode == -signal.SIGKILL, f"return code {returncode}: {said}"
    return said


def ours(lab: LocalLab) -> list[LedgerEntry]:
    return [e for e in Ledger(lab.state_dir).entries() if e.run == RUN]


def ended_by_the_lab(lab: LocalLab, entry: LedgerEntry) -> bool:
    """Whether the fault is over without any controller: reverted, or (the automation's own
    expiry) ignored by the automation past its expiry."""
    if entry.kind == "dns.enactor_delay":
        delay = read_control(lab.state_dir).get("delays", {}).get(entry.target)
        return not delay or delay["expires_at"] <= time.time()
    return REGISTRY[entry.kind].is_reverted(lab, entry)


def wait_until_ended(lab: LocalLab, entry: LedgerEntry) -> None:
    deadline = entry.expires_at + 15
    while time.time() < deadline:
        if ended_by_the_lab(lab, entry) and not find_drift(lab, ours(lab)):
            return
        time.sleep(0.1)
    drift = [d.describe() for d in find_drift(lab, ours(lab))]
    raise AssertionError(f"{entry.kind} still in force {entry.expires_at + 15 - time.time():.1f}s"
                         f" after its expiry + 15 s; drift: {drift}")  # fmt: skip


def check_boundary(
    lab: LocalLab, boundary: str, kind: str, target: str, params: dict[str, Any]
) -> None:
    """Kill at ``boundary`` and check the fault ends by itself; on a failure what it left is
    recovered, so the failure is reported once and not again by every later case on the lab
    (a compose module's lab has no ``lab`` fixture to do it)."""
    try:
        _check_boundary(lab, boundary, kind, target, params)
    except BaseException:
        with contextlib.suppress(Exception):
            recover(lab)
        raise


def _check_boundary(
    lab: LocalLab, boundary: str, kind: str, target: str, params: dict[str, Any]
) -> None:
    kill_at(lab, boundary, kind, target, params)
    entries = ours(lab)
    if boundary == "before-ledger":
        assert entries == []
        assert find_drift(lab, []) == []  # nothing was done
        return
    (entry,) = entries
    assert entry.handle is not None and entry.handle.type  # all the revert needs, up front
    if boundary == "after-effect" and kind not in INSTANT_KINDS:
        # the watchdog ends it at its expiry, 0.9 s after the ledger entry is written:
        # a loaded machine may be past that by the time the harness is reaped
        checked_at = time.time()
        in_force = not ended_by_the_lab(lab, entry)
        assert in_force or checked_at >= entry.expires_at, "the fault ended before its expiry"
    wait_until_ended(lab, entry)
    done = recover(lab)
    assert done.ok and done.drift == [], (done.entries, done.drift)
    assert find_drift(lab, []) == []
    assert_lab_clean(lab)

    def unhealthy() -> list[str]:
        return [n for n, c in lab.status()["components"].items() if not c["healthy"]]

    # a health check answers within 0.5 s; on a loaded machine one may miss that once
    assert wait_until(lambda: unhealthy() == [], 10), unhealthy()
