"""``chaoskit.Lab`` on the real session lab: a fault for the length of a block, validated,
verified in force, reverted and verified on every way out, one per target."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import dns.message
import dns.query
import pytest

import chaoskit
from chaoskit.api import FaultConflict, Lab
from chaoskit.experiment.faults import REGISTRY
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab import LocalLab
from chaoskit.lab.backend import LabBackend

pytestmark = pytest.mark.lab

EAST = "dynamodb-us-east-1"


@pytest.fixture
def api_lab(lab: LocalLab, lab_state_dir: Path) -> Iterator[Lab]:
    opened = Lab.open(state_dir=lab_state_dir)
    try:
        yield opened
    finally:
        assert opened.close() == []  # not started by it: left up


def _toxics(lab: Lab) -> list[str]:
    return [t["name"] for t in lab.backend_lab.toxiproxy().toxics(EAST)]


def _east_answer(lab: Lab) -> list[str]:
    record = lab.config.region("us-east-1").record
    reply = dns.query.udp(dns.message.make_query(record, "A"), lab.config.dns.host,
                          port=lab.config.dns.port, timeout=2)  # fmt: skip
    return [r.to_text() for rrset in reply.answer for r in rrset]


def test_the_lab_that_is_up_is_used_and_left_up(api_lab: Lab) -> None:
    assert api_lab.started is False
    assert api_lab.url("gateway") == f"http://{api_lab.config.services.gateway}"
    east = api_lab.endpoint(EAST)
    assert (east.host, east.port) == ("dynamodb.us-east-1.lab.test", 8000)
    assert east.address == api_lab.config.region("us-east-1").proxy.host
    with pytest.raises(chaoskit.InvalidInput, match=r"known: .*gateway"):
        api_lab.url("nope")


def test_a_toxic_is_in_for_the_block_and_out_after(api_lab: Lab) -> None:
    with api_lab.fault("toxiproxy.latency", EAST, duration="20s", latency=300) as fault:
        assert fault.entry is not None and len(_toxics(api_lab)) == 1
        assert [e.id for e in Ledger(api_lab.state_dir).entries()] == [fault.entry.id]
    assert _toxics(api_lab) == []
    assert Ledger(api_lab.state_dir).entries() == []


@pytest.mark.parametrize(
    ("kind", "target", "params"),
    [("process.restart", "status", {}), ("resolver.flush", "resolver", {"name": "lab.test"})],
)
def test_a_fault_over_as_soon_as_it_is_in_goes_in(
    api_lab: Lab, kind: str, target: str, params: dict[str, object]
) -> None:
    """A restart and a cache flush leave nothing in force to be seen: both were refused
    after 5 s as 'put in but was not in force', and reverted, every time."""
    before = api_lab.backend_lab.state.components["status"].pid
    with api_lab.fault(kind, target, duration="10s", **params) as fault:
        assert fault.entry is not None
    assert fault.verified is True
    api_lab.backend_lab.refresh()
    restarted = api_lab.backend_lab.state.components["status"].pid != before
    assert restarted is (kind == "process.restart")
    assert Ledger(api_lab.state_dir).entries() == []


def test_a_failing_block_still_reverts_and_its_error_goes_on(api_lab: Lab) -> None:
    blank = api_lab.fault("dns.blank", "dynamodb.us-east-1.lab.test", duration="20s")
    with pytest.raises(ZeroDivisionError), blank:
        assert _east_answer(api_lab) == []
        _ = 1 / 0
    assert _east_answer(api_lab) == [api_lab.config.region("us-east-1").proxy.host]
    assert Ledger(api_lab.state_dir).entries() == []


class TimedOut(Exception):
    """What pytest-timeout's alarm raises, in its signal method."""


def _time_out(_signum: int, _frame: object) -> None:
    raise TimedOut("Timeout >300.0s")


@pytest.mark.parametrize(
    ("sig", "raised"), [(signal.SIGTERM, KeyboardInterrupt), (signal.SIGALRM, TimedOut)]
)
def test_a_signal_during_the_revert_ends_the_block_after_the_revert(
    api_lab: Lab, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals, raised: type[BaseException]
) -> None:
    """A CI job cancelled (SIGTERM), or a test's timeout (pytest-timeout's alarm), as a
    test's fault is being taken out: raised at once, it cut the revert short and left the
    toxic in until the watchdog's expiry."""
    kind = REGISTRY["toxiproxy.latency"]

    def revert_under_a_signal(lab: LabBackend, entry: LedgerEntry) -> None:
        signal.raise_signal(sig)
        kind.revert(lab, entry)

    monkeypatch.setitem(REGISTRY, kind.kind, replace(kind, revert=revert_under_a_signal))
    previous = signal.signal(signal.SIGALRM, _time_out)
    try:
        with (
            pytest.raises(raised),
            api_lab.fault("toxiproxy.latency", EAST, duration="20s", latency=300) as fault,
        ):
            assert len(_toxics(api_lab)) == 1
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert fault.verified is True
    assert _toxics(api_lab) == []
    assert Ledger(api_lab.state_dir).entries() == []


def test_one_fault_per_target(api_lab: Lab) -> None:
    with api_lab.fault("toxiproxy.latency", EAST, duration="20s", latency=100):
        second = api_lab.fault("toxiproxy.timeout", EAST, duration="20s", timeout=100)
        with pytest.raises(FaultConflict, match=f"{EAST} is already under a fault"), second:
            pass  # pragma: no cover
        assert len(_toxics(api_lab)) == 1  # never a silently combined fault
    assert _toxics(api_lab) == []


def test_one_fault_per_dns_name_however_it_is_spelled(api_lab: Lab) -> None:
    with api_lab.fault("dns.blank", "dynamodb.us-east-1.lab.test", duration="20s") as blank:
        assert blank.target == "dynamodb.us-east-1.lab.test"
        second = api_lab.fault("dns.servfail", "DynamoDB.US-East-1.Lab.Test.", duration="20s")
        taken = r"dynamodb\.us-east-1\.lab\.test is already under a fault"
        with pytest.raises(FaultConflict, match=taken), second:
            pass  # pragma: no cover
        assert _east_answer(api_lab) == []  # blank, not failing
    with api_lab.fault("dns.blank", "DynamoDB.US-East-1.Lab.Test.", duration="20s") as upper:
        assert upper.entry is not None and upper.entry.target == "dynamodb.us-east-1.lab.test"
        assert _east_answer(api_lab) == []
    assert _east_answer(api_lab) == [api_lab.config.region("us-east-1").proxy.host]


def test_a_fault_is_refused_at_once_while_its_carrier_is_held_down(api_lab: Lab) -> None:
    """Put in while Toxiproxy was paused, a toxic waited out Toxiproxy's 5 s timeout before
    an error that did not say why (`Read timed out`); it is refused before anything is
    written, naming the fault that holds Toxiproxy down."""
    with api_lab.fault("process.pause", "toxiproxy", duration="20s") as pause:
        assert pause.entry is not None
        toxic = api_lab.fault("toxiproxy.latency", EAST, duration="5s", latency=100)
        held = r"toxiproxy: is held down by process\.pause .* toxiproxy\.latency goes in through it"
        with pytest.raises(chaoskit.ChaoskitError, match=held), toxic:
            pass  # pragma: no cover
        assert [e.id for e in Ledger(api_lab.state_dir).entries()] == [pause.entry.id]
    assert api_lab.backend_lab.toxiproxy().toxics(EAST) == []


def test_a_fault_without_a_lab_up_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """Opened with up=False and no lab up, a fault went into the ledger, then failed on the
    DNS server's missing token, and its revert too: the entry stayed, and every later
    ``Lab.open`` there was refused for a fault "that may still be active"."""
    lab = Lab.open(state_dir=tmp_path, up=False)
    blank = lab.fault("dns.blank", "dynamodb.us-east-1.lab.test")
    with pytest.raises(chaoskit.ChaoskitError, match="no lab is up in"), blank:
        pass  # pragma: no cover
    assert Ledger(tmp_path).entries() == []
    Lab.open(state_dir=tmp_path, up=False).close()


@pytest.mark.parametrize(
    ("kind", "target", "params", "words"),
    [
        ("dns.blnk", "dynamodb.us-east-1.lab.test", {}, "did you mean dns.blank"),
        ("toxiproxy.latency", "redis", {"latency": 1}, "not a target of toxiproxy.latency"),
        ("toxiproxy.latency", EAST, {"latency": "soon"}, "toxiproxy.latency params: latency"),
        ("container.kill", "orders", {}, "needs the compose backend"),
    ],
)
def test_bad_faults_are_refused_before_anything_is_touched(
    api_lab: Lab, kind: str, target: str, params: dict[str, object], words: str
) -> None:
    with pytest.raises(chaoskit.InvalidInput, match=words):
        api_lab.fault(kind, target, duration="5s", **params)
    assert Ledger(api_lab.state_dir).entries() == []


def test_measure_sees_the_blank_and_the_recovery(api_lab: Lab) -> None:
    probe = f"{api_lab.url('orders')}/health/deep"
    with api_lab.measure(probe, hz=20) as measured:
        time.sleep(0.5)
        with api_lab.fault("dns.blank", "dynamodb.us-east-1.lab.test", duration="10s"):
            time.sleep(1.5)
        time.sleep(2.0)
    metrics = measured.metrics
    assert metrics["time_to_impact_s"] is not None and metrics["time_to_impact_s"] < 1.0
    assert metrics["availability_during_fault"] < 0.5
    measured.assert_recovered(within="2s")
    assert [m[0] for m in measured.marks] == ["injected", "reverted"]
