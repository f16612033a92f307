"""``process.*`` (local backend): kill, pause (SIGSTOP) or restart one lab component."""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING, Any

from chaoskit._errors import ComponentError
from chaoskit.experiment.faults.base import FaultKind, NoParams
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab import process
from chaoskit.lab.config import SERVICE_NAMES, LabConfig

if TYPE_CHECKING:
    from chaoskit.lab.local import LocalLab

__all__ = ["PROCESS_FAULTS"]


def _targets(config: LabConfig) -> list[str]:
    return ["dns", "toxiproxy", *(r.component for r in config.regions), *SERVICE_NAMES]


def _record(lab: LocalLab, name: str) -> tuple[int, float]:
    lab.refresh()
    record = lab.state.components.get(name)
    if (
        record is None
        or record.pid is None
        or not process.is_running(record.pid, record.create_time)
    ):
        raise ComponentError(name, "is not running, so it cannot be faulted")
    return record.pid, record.create_time or 0.0


def _signal_group(pid: int, sig: signal.Signals) -> None:
    os.killpg(os.getpgid(pid), sig)


def _inject_kill(lab: LocalLab, entry: LedgerEntry) -> dict[str, Any]:
    pid, _ = _record(lab, entry.target)
    _signal_group(pid, signal.SIGKILL)
    return {"pid": pid}


def _restart_if_down(lab: LocalLab, entry: LedgerEntry) -> None:
    lab.up()


def _running(lab: LocalLab, entry: LedgerEntry) -> bool:
    lab.refresh()
    record = lab.state.components.get(entry.target)
    return record is not None and process.is_running(record.pid, record.create_time)


def _inject_pause(lab: LocalLab, entry: LedgerEntry) -> dict[str, Any]:
    pid, create_time = _record(lab, entry.target)
    _signal_group(pid, signal.SIGSTOP)
    return {"pid": pid, "create_time": create_time}


def _revert_pause(lab: LocalLab, entry: LedgerEntry) -> None:
    pid = entry.handle.get("pid")
    if pid is not None and process.is_running(pid, entry.handle.get("create_time")):
        _signal_group(pid, signal.SIGCONT)


def _not_stopped(lab: LocalLab, entry: LedgerEntry) -> bool:
    import psutil

    pid = entry.handle.get("pid")
    try:
        return pid is None or psutil.Process(pid).status() != psutil.STATUS_STOPPED
    except psutil.Error:
        return True


def _inject_restart(lab: LocalLab, entry: LedgerEntry) -> dict[str, Any]:
    pid, _ = _record(lab, entry.target)
    lab.restart(entry.target)
    return {"old_pid": pid}


PROCESS_FAULTS = [
    FaultKind(
        kind="process.kill",
        summary="SIGKILLs the component; revert starts it again",
        params=NoParams,
        targets=_targets,
        inject=_inject_kill,
        revert=_restart_if_down,
        is_reverted=_running,
    ),
    FaultKind(
        kind="process.pause",
        summary="SIGSTOPs the component (it hangs, connections stall); revert SIGCONTs it",
        params=NoParams,
        targets=_targets,
        inject=_inject_pause,
        revert=_revert_pause,
        is_reverted=_not_stopped,
    ),
    FaultKind(
        kind="process.restart",
        summary="stops the component and starts it again at once",
        params=NoParams,
        targets=_targets,
        inject=_inject_restart,
        revert=_restart_if_down,
        is_reverted=_running,
    ),
]
