"""The lab's watchdog: a lab with no fault costs it no imports; a fault it does not own, or
one not yet expired, is left to its owner; one whose carrier another fault holds down waits
for that one; a ledger it cannot read is said, not fatal."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaoskit.automation.live import STATUS
from chaoskit.experiment.handles import DnsFaultHandle, ProcessHandle, ToxicHandle
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.experiment.watchdog import AUTOMATION_STATUS, restore_orphaned_record, sweep_once


def test_a_lab_that_never_held_a_fault_costs_no_imports(tmp_path: Path) -> None:
    probe = (
        "import sys; from pathlib import Path; "
        "from chaoskit.experiment.watchdog import sweep_once; "
        f"assert sweep_once(Path({str(tmp_path)!r})) == []; "
        "heavy = [m for m in ('chaoskit.experiment.ledger', 'chaoskit.lab.open', "
        "'chaoskit.experiment.faults', 'pydantic') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_faults_it_does_not_end_are_left_to_their_owner(tmp_path: Path) -> None:
    now = time.time()
    ledger = Ledger(tmp_path)
    dns = LedgerEntry(
        run="r", kind="dns.blank", target="dynamodb", duration_s=1, expires_at=now - 5,
        handle=DnsFaultHandle(fault_id="f1", actor="chaoskit"),
    )  # fmt: skip
    pending = LedgerEntry(
        run="r", kind="toxiproxy.latency", target="dynamodb", duration_s=60,
        expires_at=now + 60, handle=ToxicHandle(proxy="dynamodb", toxic="latency"),
    )  # fmt: skip
    for entry in (dns, pending):
        ledger.add(entry)
    assert sweep_once(tmp_path, now=now) == []
    assert all(entry.reverted_by is None for entry in Ledger(tmp_path).entries())


def test_a_ledger_it_cannot_read_is_said_and_the_sweep_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ledger.json").write_text("{not json")
    assert sweep_once(tmp_path) == []
    assert "chaoskit recover" in capsys.readouterr().out


def test_an_expired_toxic_waits_while_another_fault_holds_toxiproxy_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tried while Toxiproxy is paused, the toxic's revert would wait out its timeout on
    every sweep, and hold the pause past its own expiry meanwhile; it waits, untried, until
    the pause has ended, and is tried then (this state directory holds no lab of its own: a
    try fails, and says so, unless a lab on the default addresses takes it)."""
    now = time.time()
    ledger = Ledger(tmp_path)
    toxic = LedgerEntry(
        run="r", kind="toxiproxy.latency", target="dynamodb", duration_s=1,
        expires_at=now - 5, handle=ToxicHandle(proxy="dynamodb", toxic="latency"),
    )  # fmt: skip
    pause = LedgerEntry(
        run="r", kind="process.pause", target="toxiproxy", duration_s=60, expires_at=now + 60,
        handle=ProcessHandle(component="toxiproxy", pid=1, create_time=0.0, pgid=1),
    )  # fmt: skip
    for entry in (toxic, pause):
        ledger.add(entry)
    assert sweep_once(tmp_path, now=now) == []
    assert "cannot revert" not in capsys.readouterr().out
    ledger.remove(pause.id)
    reverted = sweep_once(tmp_path, now=now)  # a lab on the default addresses may take it
    tried = "cannot revert toxiproxy.latency on dynamodb yet" in capsys.readouterr().out
    assert reverted == [toxic.id] or tried


def test_it_reads_the_automations_status_file_only_where_there_is_one(tmp_path: Path) -> None:
    """Named in the watchdog so that a lab the automation never ran in imports nothing."""
    assert AUTOMATION_STATUS == STATUS
    assert restore_orphaned_record(tmp_path) is False
