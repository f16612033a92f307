import json
import time
from pathlib import Path

from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.experiment.recover import ledger_notice


def entry(**fields: object) -> LedgerEntry:
    defaults: dict[str, object] = {
        "run": "r1", "kind": "dns.blank", "target": "x.lab.test.", "duration_s": 5,
        "expires_at": time.time() + 8,
    }  # fmt: skip
    return LedgerEntry.model_validate({**defaults, **fields})


def test_entries_survive_a_new_process_and_clear_on_remove(tmp_path: Path) -> None:
    first = entry()
    Ledger(tmp_path).add(first)
    Ledger(tmp_path).update(first.id, handle={"fault_id": "abc"})
    on_disk = json.loads((tmp_path / "ledger.json").read_text())["entries"]
    assert on_disk[0]["handle"] == {"fault_id": "abc"}
    assert "dns.blank on x.lab.test." in (ledger_notice(tmp_path) or "")
    Ledger(tmp_path).remove(first.id)
    assert Ledger(tmp_path).entries() == []
    assert ledger_notice(tmp_path) is None


def test_notice_says_what_ended_a_fault(tmp_path: Path) -> None:
    Ledger(tmp_path).add(entry(reverted_by="watchdog", expires_at=time.time() - 1))
    assert "reverted by the watchdog" in (ledger_notice(tmp_path) or "")
