import json
import time
from pathlib import Path

import pytest

from chaoskit.experiment.handles import DnsFaultHandle, ProxyHandle
from chaoskit.experiment.ledger import (
    Ledger,
    LedgerCorrupt,
    LedgerEntry,
    ledger_notice,
    unended_past_expiry,
)
from chaoskit.experiment.watchdog import HEARTBEAT_FILE
from tests.helpers import run_cli


def entry(**fields: object) -> LedgerEntry:
    defaults: dict[str, object] = {
        "run": "r1", "kind": "dns.blank", "target": "x.lab.test.", "duration_s": 5,
        "expires_at": time.time() + 8,
    }  # fmt: skip
    return LedgerEntry.model_validate({**defaults, **fields})


def test_entries_survive_a_new_process_and_clear_on_remove(tmp_path: Path) -> None:
    first = entry(handle=DnsFaultHandle(fault_id="ck-abc", actor="me"))
    Ledger(tmp_path).add(first)
    on_disk = json.loads((tmp_path / "ledger.json").read_text())["entries"]
    assert on_disk[0]["handle"] == {
        "type": "dns", "fault_id": "ck-abc", "actor": "me", "address": None
    }  # fmt: skip
    assert Ledger(tmp_path).entries()[0].handle == first.handle
    assert "dns.blank on x.lab.test." in (ledger_notice(tmp_path) or "")
    Ledger(tmp_path).remove(first.id)
    assert Ledger(tmp_path).entries() == []
    assert ledger_notice(tmp_path) is None


def test_reading_the_ledger_of_a_state_directory_never_used_makes_nothing(
    tmp_path: Path,
) -> None:
    """``chaoskit status`` with a mistyped ``--state-dir`` made that directory and its
    parents, and left a lock file in it."""
    unused = tmp_path / "typo" / "state"
    assert Ledger(unused).entries() == []
    assert not (tmp_path / "typo").exists()
    done = run_cli("--state-dir", str(unused), "status")
    assert "lab: none up" in done.stdout, done.stderr
    assert not (tmp_path / "typo").exists()
    done = run_cli("--state-dir", str(unused), "recover")  # made it too, and two lock files
    assert done.returncode == 0 and "nothing to recover" in done.stdout, done.stderr
    assert not (tmp_path / "typo").exists()


def test_notice_says_what_ended_a_fault(tmp_path: Path) -> None:
    Ledger(tmp_path).add(
        entry(reverted_by="watchdog", expires_at=time.time() - 1, handle=ProxyHandle(proxy="p"))
    )
    Ledger(tmp_path).add(entry(expires_at=time.time() - 1, handle=ProxyHandle(proxy="q")))
    ended = ledger_notice(tmp_path) or ""
    assert "reverted by the watchdog" in ended and "past its expiry" in ended
    assert "each reverted or past its expiry, are still in the ledger" in ended
    assert "may still be active" not in ended
    Ledger(tmp_path).add(entry(handle=ProxyHandle(proxy="r")))  # expires in 8 s
    assert "3 fault(s) from an earlier run may still be active" in (ledger_notice(tmp_path) or "")


def test_a_fault_past_its_expiry_is_in_force_while_the_watchdog_that_ends_it_is_down(
    tmp_path: Path,
) -> None:
    """With the watchdog killed, a toxic stayed in force past its expiry, and ``status`` and
    the notice on every command said it was "reverted or past its expiry" and ended."""
    east = "dynamodb-us-east-1"
    toxic = entry(kind="toxiproxy.latency", target=east, expires_at=time.time() - 1,
                  handle=ProxyHandle(proxy=east))  # fmt: skip
    Ledger(tmp_path).add(toxic)
    assert "each reverted or past its expiry" in (ledger_notice(tmp_path) or "")  # no lab up
    (tmp_path / "state.json").write_text("{}")  # a lab is up: its watchdog should run
    blank = DnsFaultHandle(fault_id="d", actor="a")
    Ledger(tmp_path).add(entry(expires_at=time.time() - 1, handle=blank))  # the server ends it
    no_watchdog = ledger_notice(tmp_path) or ""
    assert "2 fault(s) from an earlier run may still be active" in no_watchdog
    assert "toxiproxy.latency on dynamodb-us-east-1 (run r1, 0s ago, past its expiry, and the " \
        "watchdog that ends it is not running)" in no_watchdog  # fmt: skip
    assert "dns.blank on x.lab.test. (run r1, 0s ago, past its expiry)" in no_watchdog
    assert unended_past_expiry(tmp_path, Ledger(tmp_path).entries(), time.time()) == {toxic.id}
    (tmp_path / HEARTBEAT_FILE).touch()  # a watchdog that sweeps: it ends the toxic
    assert "each reverted or past its expiry" in (ledger_notice(tmp_path) or "")
    assert unended_past_expiry(tmp_path, Ledger(tmp_path).entries(), time.time()) == set()


def test_an_entry_without_its_handle_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no handle"):
        Ledger(tmp_path).add(entry())
    assert not (tmp_path / "ledger.json").exists()


def _one_entry(**changes: object) -> bytes:
    handle = {"type": "process", "component": "gateway", "pid": 4242, "create_time": 1.5,
              "pgid": 4242}  # fmt: skip
    document = entry(handle=handle).model_dump(mode="json")
    for key, value in changes.items():
        if key in handle:
            document["handle"][key] = value
        else:
            document[key] = value
    return json.dumps({"entries": [document]}).encode()


@pytest.mark.parametrize(
    "content",
    [b"{", b"\xff\xfe{", b"[]", b'{"entries": [{"id": 1}]}', b'{"entries": 3}',
     _one_entry(controller_pid=-1), _one_entry(pgid=0), _one_entry(expires_at=float("inf"))],
    ids=["truncated", "utf16-bom", "a-list", "bad-entry", "not-a-list",
         "controller-pid-below-1", "process-group-0", "never-expires"],
)  # fmt: skip
def test_a_damaged_ledger_is_a_clear_error_and_can_be_moved_aside(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / "ledger.json").write_bytes(content)
    with pytest.raises(LedgerCorrupt, match=r"ledger\.json"):
        Ledger(tmp_path).entries()
    aside = Ledger(tmp_path).quarantine()
    assert aside is not None and aside.read_bytes() == content
    assert Ledger(tmp_path).entries() == []


def test_forget_removes_what_it_is_told_has_ended_and_returns_it(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    over = entry(handle=ProxyHandle(proxy="p"))
    kept = entry(kind="toxiproxy.down", handle=ProxyHandle(proxy="q"))
    ledger.add(over)
    ledger.add(kept)
    assert ledger.forget(lambda e: e.kind == "dns.blank") == [over]
    assert Ledger(tmp_path).entries() == [kept]
    assert ledger.forget(lambda e: False) == []
