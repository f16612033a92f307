"""``recover``, ``status`` and ``run`` against a lab broken behind chaoskit's back: a
component SIGSTOPped by hand, a proxy disabled and a toxic added through Toxiproxy's own
API, a DNS fault added through the admin API. None of it is in the ledger."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from chaoskit.experiment.drift import find_drift
from chaoskit.experiment.injection import inject_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab import LocalLab
from chaoskit.lab.process import stopped_in_group
from tests.helpers import assert_lab_clean, run_cli

pytestmark = pytest.mark.lab


def break_behind_its_back(lab: LocalLab) -> int:
    """What a person (or another tool) might do; the pid it froze."""
    pid = lab.state.components["status"].pid
    assert pid is not None
    os.killpg(os.getpgid(pid), signal.SIGSTOP)
    api = f"http://{lab.config.toxiproxy}"
    toxic = {"name": "by-hand", "type": "latency", "attributes": {"latency": 500}}
    requests.post(
        f"{api}/proxies/dynamodb-us-east-1/toxics", json=toxic, timeout=5
    ).raise_for_status()
    requests.post(
        f"{api}/proxies/dynamodb-us-west-2", json={"enabled": False}, timeout=5
    ).raise_for_status()
    with lab.dns_admin(actor="someone") as admin:
        admin.add_fault("servfail", "dynamodb.us-west-2.lab.test", duration_s=120)
    return pid


def test_recover_repairs_what_the_ledger_never_saw(lab: LocalLab, tmp_path: Path) -> None:
    pid = break_behind_its_back(lab)
    state = ("--state-dir", str(lab.state_dir))
    status = run_cli(*state, "status", "--json")
    assert status.returncode == 1
    problems = [d["problem"] for d in json.loads(status.stdout)["drift"]]
    assert len(problems) == 4, problems
    assert any("stopped (SIGSTOP" in p for p in problems)
    assert any("toxic by-hand (latency)" in p for p in problems)
    assert any("dynamodb-us-west-2 is disabled" in p for p in problems)
    assert any("servfail on dynamodb.us-west-2.lab.test" in p for p in problems)
    plain = run_cli(*state, "status")
    assert "not as it should be: status: is stopped" in plain.stdout
    assert all(len(line) < 400 for line in plain.stdout.splitlines())

    experiment = tmp_path / "x.yaml"
    experiment.write_text("title: x\nmethod:\n  - {wait: 1s}\n")
    refused = run_cli(*state, "run", str(experiment), "--out", str(tmp_path), "--no-fresh")
    assert refused.returncode == 2
    assert "not as it should be" in refused.stderr and "chaoskit recover" in refused.stderr

    done = run_cli(*state, "recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing to recover" not in done.stdout
    lines = done.stdout.splitlines()
    heading = lines.index("not in the ledger (changed by hand or by another program):")
    assert [line.split()[0] for line in lines[heading + 1 :]] == ["ok"] * 4, done.stdout
    assert "(no ledger entry)" not in done.stdout  # was after each, "has no ledger entry" too
    assert "thaw it (SIGCONT): done" in done.stdout
    assert not stopped_in_group(pid, None)
    assert find_drift(lab, []) == []
    assert_lab_clean(lab)
    again = run_cli(*state, "recover")
    assert "nothing to recover" in again.stdout
    assert run_cli(*state, "status").returncode == 0


def test_a_fault_whose_holder_died_with_its_controller_is_cleared_in_one_recover(
    lab: LocalLab,
) -> None:
    """A controller killed, then the lab's Toxiproxy (a machine restarted, processes killed):
    ``recover`` failed on the toxic's revert (connection refused), then started Toxiproxy
    again, and exited 1; only a second ``recover`` cleared the entry."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    now = time.time()
    entry = LedgerEntry(run="killed", kind="toxiproxy.latency", target="dynamodb-us-east-1",
                        params={"latency": 300}, duration_s=30, expires_at=now + 33,
                        controller_pid=dead.pid)  # fmt: skip
    inject_fault(lab, Ledger(lab.state_dir), entry)
    toxiproxy = lab.state.components["toxiproxy"]
    assert toxiproxy.pid is not None
    os.killpg(os.getpgid(toxiproxy.pid), signal.SIGKILL)
    done = run_cli("--state-dir", str(lab.state_dir), "recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok toxiproxy.latency on dynamodb-us-east-1 (run killed): reverted and verified once " \
        "the lab ran again (ToxiproxyError at first)" in done.stdout, done.stdout  # fmt: skip
    assert "ok toxiproxy: is not running" in done.stdout
    assert Ledger(lab.state_dir).entries() == []
    lab.refresh()
    assert_lab_clean(lab)


def test_up_thaws_a_component_stopped_by_hand(lab: LocalLab) -> None:
    pid = lab.state.components["gateway"].pid
    assert pid is not None
    os.killpg(os.getpgid(pid), signal.SIGSTOP)
    try:
        done = run_cli("--state-dir", str(lab.state_dir), "up", timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "gateway: is stopped (SIGSTOP, state T)" in done.stdout
        assert not stopped_in_group(pid, None)
        assert lab.state.components["gateway"].pid == pid  # thawed, not replaced
    finally:
        os.killpg(os.getpgid(pid), signal.SIGCONT)


def test_a_damaged_ledger_is_moved_aside_and_the_lab_still_checked(lab: LocalLab) -> None:
    (lab.state_dir / "ledger.json").write_bytes(b"\x00\xffnot json")
    state = ("--state-dir", str(lab.state_dir))
    status = run_cli(*state, "status")
    assert "ledger is damaged" in status.stderr and "Traceback" not in status.stderr
    done = run_cli(*state, "recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "moved aside" in done.stdout
    assert not (lab.state_dir / "ledger.json").exists()
    for aside in lab.state_dir.glob("ledger.corrupt-*.json"):
        aside.unlink()


def test_recover_leaves_a_live_run_to_revert_its_own_faults(tmp_path: Path) -> None:
    from chaoskit.lab.lock import LabLock

    with LabLock(tmp_path).held("chaoskit run x.yaml"):
        done = run_cli("--state-dir", str(tmp_path), "recover")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "busy: chaoskit run x.yaml" in done.stderr
