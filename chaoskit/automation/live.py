"""The DNS automation running against the real lab: the model's Planner and three Enactors
as threads, writing the record through the lab DNS server's admin API.

- The **Planner** probes the region's DynamoDB endpoint (a TCP connect to its proxy) every
  ``plan_interval_s`` and writes a plan with the addresses that answered (the last good
  ones when none did: it never plans an empty record).
- Each **Enactor** repeats pick, apply, clean up, one atomic model step at a time: a short
  gap after picking, ``cleanup_wait_s`` between applying and cleaning up, ``idle_wait_s``
  when there is nothing newer. The record is pushed to the DNS server whenever it changes.
- **Control** (``STATE_DIR/automation.json``, written by ``dns.enactor_delay`` and by
  ``repair``): a delay per Enactor between picking and applying, each with an expiry the
  automation enforces itself; and a repair counter, each increment an operator's repair.
- **Status** (``STATE_DIR/automation-status.json``): mode, the generation in effect, the
  addresses, whether the record was emptied, the plans kept, and the last log lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from chaoskit.automation.model import KEEP, Automation, Mode
from chaoskit.dns.client import DnsAdminClient
from chaoskit.lab.config import LabConfig

__all__ = [
    "CONTROL",
    "STATUS",
    "LiveAutomation",
    "read_control",
    "read_status",
    "restore_record",
    "write_control",
]

CONTROL = "automation.json"
STATUS = "automation-status.json"


def read_control(state_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((state_dir / CONTROL).read_text())
    except (OSError, ValueError):
        return {"delays": {}, "repairs": 0}
    return data if isinstance(data, dict) else {"delays": {}, "repairs": 0}


def restore_record(
    admin: DnsAdminClient, config: LabConfig, state_dir: Path, region_name: str, by: str
) -> None:
    """Put the automation's record back as the zone has it (the lab's own address for the
    region), and say in its status file that it ended, and who restored it: nothing
    restores it again after that (the watchdog restores it once, for an automation killed
    with its controller)."""
    region = config.region(region_name)
    admin.set_record(region.record, "A", [region.proxy.host], ttl=config.record_ttl)
    status = read_status(state_dir)
    if status:
        _write_status_file(state_dir, {**status, "ended_by": by})


def _write_status_file(state_dir: Path, status: dict[str, Any]) -> None:
    tmp = state_dir / (STATUS + ".tmp")
    tmp.write_text(json.dumps(status))
    os.replace(tmp, state_dir / STATUS)


def read_status(state_dir: Path) -> dict[str, Any]:
    """What the automation last wrote about itself; empty if it never ran."""
    try:
        status = json.loads((state_dir / STATUS).read_text())
    except (OSError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}


def write_control(state_dir: Path, control: dict[str, Any]) -> None:
    tmp = state_dir / (CONTROL + ".tmp")
    tmp.write_text(json.dumps(control, indent=2))
    os.replace(tmp, state_dir / CONTROL)


class LiveAutomation:
    def __init__(
        self,
        state_dir: Path,
        config: LabConfig,
        mode: Mode,
        *,
        region: str = "us-east-1",
        plan_interval_s: float = 1.0,
        step_gap_s: float = 0.05,
        cleanup_wait_s: float = 0.05,
        idle_wait_s: float = 0.5,
    ) -> None:
        self.state_dir = state_dir
        self.region = config.region(region)
        self.mode = mode
        self.plan_interval_s = plan_interval_s
        self.step_gap_s = step_gap_s
        self.cleanup_wait_s = cleanup_wait_s
        self.idle_wait_s = idle_wait_s
        self.config = config
        self.model = Automation(mode, addresses=(self.region.proxy.host,))
        self.lock = threading.Lock()
        self.stepped = threading.Condition(self.lock)
        self.stop = threading.Event()
        self.pushed: tuple[str, ...] | None = None
        self.repairs_seen = read_control(state_dir).get("repairs", 0)
        self.admin = DnsAdminClient.from_token_file(
            f"http://{config.dns_admin}", config.dns_token_path(state_dir), actor="automation"
        )

    # ---- threads ------------------------------------------------------------------------
    def run(self) -> None:
        threads = [threading.Thread(target=self._planner, name="planner", daemon=True)]
        threads += [
            threading.Thread(target=self._enactor, args=(i,), name=f"enactor-{i + 1}", daemon=True)
            for i in range(len(self.model.enactors))
        ]
        for thread in threads:
            thread.start()
        while not self.stop.wait(0.05):
            self._check_repair()
        for thread in threads:
            thread.join(2)

    def _planner(self) -> None:
        last_good = self.model.addresses
        while not self.stop.is_set():
            healthy = self._probe()
            last_good = healthy or last_good
            with self.lock:
                self.model.plan(last_good)
                self._write_status()
            self.stop.wait(self.plan_interval_s)

    def _probe(self) -> tuple[str, ...]:
        endpoint = self.region.proxy
        with (
            contextlib.suppress(OSError),
            socket.create_connection((endpoint.host, endpoint.port), timeout=0.5),
        ):
            return (endpoint.host,)
        return ()

    def _enactor(self, index: int) -> None:
        name = self.model.enactors[index].name
        while not self.stop.is_set():
            with self.lock:
                did = self._step(index)
            if did.startswith("picked") and (delay := self._delay(name)) > 0:
                did = self._delayed_apply(index, delay)
            if did.startswith(("applied", "skipped")):
                pause = self.cleanup_wait_s  # an Enactor cleans up at the end of its run
            elif did.startswith(("picked", "deleted", "nothing")):
                pause = self.step_gap_s
            else:  # nothing newer to apply, or stuck: look again later
                pause = self.idle_wait_s
            self.stop.wait(pause)

    def _step(self, index: int) -> str:
        """One model step of Enactor ``index``, with the lock held."""
        did = self.model.advance(index)
        self._push()
        self._write_status()
        self.stepped.notify_all()
        return did

    def _delayed_apply(self, index: int, delay: float) -> str:
        """Hold the picked plan for ``delay`` seconds, then write it at the worst moment:
        when another Enactor has applied a plan new enough that its pending cleanup deletes
        the held one, and no Enactor has a newer write pending that would cover it up. That
        is the incident's interleaving, forced here rather than waited for."""
        held = self.model.enactors[index].picked
        self.stop.wait(delay)
        old_enough = (held.generation if held else 0) + KEEP + 1

        def worst_moment() -> bool:
            others = [e for j, e in enumerate(self.model.enactors) if j != index]
            cleaner = any(e.step == "cleanup" and (e.applied or 0) >= old_enough for e in others)
            return cleaner and not any(e.step == "apply" for e in others)

        with self.stepped:
            self.stepped.wait_for(lambda: self.stop.is_set() or worst_moment(), timeout=10.0)
            return self._step(index)

    def _delay(self, enactor: str) -> float:
        delay = read_control(self.state_dir).get("delays", {}).get(enactor)
        if not delay or time.time() >= float(delay.get("expires_at", 0)):
            return 0.0  # no delay, or it expired: the automation lifts it itself
        return float(delay.get("seconds", 0.0))

    def _check_repair(self) -> None:
        repairs = read_control(self.state_dir).get("repairs", 0)
        if repairs != self.repairs_seen:
            self.repairs_seen = repairs
            with self.lock:
                self.model.repair()
                self._push()
                self._write_status()

    def restore(self) -> None:
        """Put the record back as the zone has it (the lab's own address for the region)."""
        restore_record(self.admin, self.config, self.state_dir, self.region.region, "automation")

    # ---- the record ---------------------------------------------------------------------
    def _push(self) -> None:
        addresses = self.model.record.addresses
        if self.model.record.generation is None or addresses == self.pushed:
            return
        self.admin.set_record(self.region.record, "A", list(addresses), ttl=5)
        self.pushed = addresses

    def _write_status(self) -> None:
        record = self.model.record
        status = {
            "pid": os.getpid(),
            "region": self.region.region,
            "mode": self.mode,
            "updated_at": time.time(),
            "generation": record.generation,
            "addresses": list(record.addresses),
            "emptied": record.emptied,
            "plans": {
                "count": len(self.model.plans),
                "newest": max(self.model.plans, default=None),
            },
            "log": self.model.log[-20:],
        }
        _write_status_file(self.state_dir, status)
        del self.model.log[:-200]
