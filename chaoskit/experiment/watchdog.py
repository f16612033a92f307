"""The lab-side watchdog: ends faults that have no expiry of their own.

Started with the lab and independent of any controller. Every quarter second it reads the
ledger; an entry past its ``expires_at`` whose fault is ended by the watchdog (Toxiproxy
toxics, a disabled proxy, a paused or killed process) is reverted and marked
``reverted_by: watchdog``. The entry stays until ``chaoskit recover`` (or the next run)
clears it, so the next command can say what happened. DNS faults expire on the DNS server.
The DNS automation's record, left as it was by an automation killed with its controller, is
put back as the zone has it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

__all__ = ["HEARTBEAT_FILE", "main", "restore_orphaned_record", "sweep_once", "watchdog_alive"]

HEARTBEAT_FILE = "watchdog.heartbeat"
AUTOMATION_STATUS = "automation-status.json"
"""``chaoskit.automation.live.STATUS``, named here so that a lab without it imports nothing."""
INTERVAL_S = 0.25
ALIVE_WITHIN_S = 2.0
"""A watchdog that has not swept for this long is not running (or cannot do its work)."""


def watchdog_alive(state_dir: Path) -> bool:
    """Whether the lab's watchdog has swept within ``ALIVE_WITHIN_S`` (its heartbeat)."""
    try:
        return time.time() - (state_dir / HEARTBEAT_FILE).stat().st_mtime < ALIVE_WITHIN_S
    except OSError:
        return False


def sweep_once(state_dir: Path, now: float | None = None) -> list[str]:
    """Revert every expired watchdog-owned fault; returns the ids reverted."""
    reverted: list[str] = []
    if not (state_dir / "ledger.json").exists():
        return reverted  # no fault was ever made here: nothing to import or read (the
        # ledger, the lab and the fault kinds are imported when the first fault is)
    from chaoskit.experiment.faults import REGISTRY, carrier_held_down, in_revert_order
    from chaoskit.experiment.ledger import Ledger, LedgerCorrupt
    from chaoskit.lab.open import open_lab

    now = time.time() if now is None else now
    ledger = Ledger(state_dir)
    lab = None
    try:
        entries = ledger.entries()
    except LedgerCorrupt as exc:
        print(f"watchdog: {exc}; `chaoskit recover` repairs the lab without it", flush=True)
        return reverted
    in_force = [e for e in entries if e.reverted_by is None]

    for entry in in_revert_order(in_force):
        kind = REGISTRY.get(entry.kind)
        if kind is None or kind.expiry != "watchdog":
            continue
        if entry.expires_at > now:
            continue
        if carrier_held_down(entry, [e for e in in_force if e is not entry]):
            continue  # its carrier is held down by a fault not yet ended: after that one
        try:
            lab = lab or open_lab(state_dir, auto_default="local")
            kind.revert(lab, entry)
        except Exception as exc:  # keep trying on the next sweep; say why
            print(f"watchdog: cannot revert {entry.kind} on {entry.target} yet: {exc}", flush=True)
            continue
        ledger.update(entry.id, reverted_by="watchdog", reverted_at=time.time())
        in_force.remove(entry)
        print(f"watchdog: reverted expired {entry.kind} on {entry.target} ({entry.id})", flush=True)
        reverted.append(entry.id)
    return reverted


def restore_orphaned_record(state_dir: Path) -> bool:
    """The DNS automation killed with its controller (SIGKILL to their process group, where
    its parent-death signal never comes) left its record as it last wrote it, emptied
    perhaps: put it back as the zone has it, once. True if it did."""
    if not (state_dir / AUTOMATION_STATUS).exists():
        return False  # the automation never ran here: nothing to import
    import psutil

    from chaoskit.automation.live import read_status, restore_record
    from chaoskit.dns.client import DnsAdminClient
    from chaoskit.lab.state import LabState

    status = read_status(state_dir)
    pid = status.get("pid")
    if not isinstance(pid, int) or status.get("ended_by") or psutil.pid_exists(pid):
        return False
    saved = LabState.load(state_dir)
    if saved is None or not saved.components:
        return False  # a lab that is down serves no record
    config, region = saved.config, str(status.get("region", "us-east-1"))
    url = f"http://{config.dns_admin}"
    try:
        with DnsAdminClient.from_token_file(
            url, config.dns_token_path(state_dir), actor="watchdog"
        ) as admin:
            restore_record(admin, config, state_dir, region, "watchdog")
    except Exception as exc:  # try again on the next sweep; say why
        print(f"watchdog: cannot restore the DNS automation's record yet: {exc}", flush=True)
        return False
    print(f"watchdog: the DNS automation (pid {pid}) is gone: its record is restored", flush=True)
    return True


def main() -> None:
    state_dir = Path(sys.argv[1])
    heartbeat = state_dir / HEARTBEAT_FILE
    print(f"watchdog: watching {state_dir / 'ledger.json'}", flush=True)
    while True:
        sweep_once(state_dir)
        restore_orphaned_record(state_dir)
        heartbeat.touch()
        time.sleep(INTERVAL_S)


if __name__ == "__main__":
    main()
