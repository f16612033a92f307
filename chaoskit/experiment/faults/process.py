"""``process.*`` (local backend): kill, pause (SIGSTOP) or restart one lab component.

The handle (pid, start time, process group) is read before the ledger entry is written and
the signal sent, so a pause is thawed, and a kill restarted, whatever instant the
controller dies at.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING

from chaoskit._errors import ComponentError
from chaoskit.experiment.faults.base import FaultKind, NoParams
from chaoskit.experiment.handles import ProcessHandle, handle_of
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab import catalogue, process
from chaoskit.lab.config import LabConfig

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend

__all__ = ["PROCESS_FAULTS", "inject_pause", "not_stopped", "prepare_process", "revert_pause"]


KILL_WAIT_S = 5.0


def _targets(config: LabConfig) -> list[str]:
    return catalogue.process_targets(config)


def prepare_process(lab: LabBackend, entry: LedgerEntry, _params: NoParams) -> ProcessHandle:
    lab.refresh()
    record = lab.state.components.get(entry.target)
    if (
        record is None
        or record.pid is None
        or not process.is_running(record.pid, record.create_time)
    ):
        raise ComponentError(entry.target, "is not running, so it cannot be faulted")
    try:
        pgid = os.getpgid(record.pid)
    except ProcessLookupError:
        raise ComponentError(entry.target, "exited just now, so it cannot be faulted") from None
    return ProcessHandle(
        component=entry.target, pid=record.pid, create_time=record.create_time or 0.0, pgid=pgid
    )


def _signal(entry: LedgerEntry, sig: signal.Signals) -> None:
    """Signal the handle's process group, if its leader is still the process we read."""
    handle = handle_of(entry.handle, ProcessHandle)
    if process.is_running(handle.pid, handle.create_time):
        os.killpg(handle.pgid, sig)


def _inject_kill(lab: LabBackend, entry: LedgerEntry, _params: NoParams) -> None:
    """Killed, and gone: until the process has exited it may still look like the running
    component, to the revert's start and to anyone checking the fault is in force."""
    handle = handle_of(entry.handle, ProcessHandle)
    if not process.kill_group(handle.pid, handle.create_time, handle.pgid, KILL_WAIT_S):
        raise ComponentError(
            entry.target, f"was sent SIGKILL and is still running {KILL_WAIT_S:g} s later"
        )


def _start_again(lab: LabBackend, entry: LedgerEntry) -> None:
    lab.start_again()


def _running_again(lab: LabBackend, entry: LedgerEntry) -> bool:
    """Started again: the fault is over. Whether the component serves yet is for the run's
    recovery to measure (a service may wait on another fault still in force)."""
    lab.refresh()
    record = lab.state.components.get(entry.target)
    return record is not None and process.is_running(record.pid, record.create_time)


def inject_pause(lab: LabBackend, entry: LedgerEntry, _params: NoParams) -> None:
    _signal(entry, signal.SIGSTOP)


def revert_pause(lab: LabBackend, entry: LedgerEntry) -> None:
    _signal(entry, signal.SIGCONT)


def not_stopped(lab: LabBackend, entry: LedgerEntry) -> bool:
    handle = handle_of(entry.handle, ProcessHandle)
    return not process.stopped_in_group(handle.pid, handle.create_time)


def _inject_restart(lab: LabBackend, entry: LedgerEntry, _params: NoParams) -> None:
    """Stopped and started, not waited on to serve: a service that cannot serve until
    another fault ends (a fleet whose database's name is blanked) would hold that fault
    past its time, and be stopped again at the start-up timeout."""
    lab.restart(entry.target, await_serving=False)


def _kind(
    name: str,
    summary: str,
    inject: Callable[[LabBackend, LedgerEntry, NoParams], None],
    revert: Callable[[LabBackend, LedgerEntry], None],
    is_reverted: Callable[[LabBackend, LedgerEntry], bool],
) -> FaultKind[NoParams, ProcessHandle]:
    return FaultKind(
        kind=f"process.{name}",
        summary=summary,
        params=NoParams,
        targets=_targets,
        prepare=prepare_process,
        inject=inject,
        revert=revert,
        is_reverted=is_reverted,
        momentary=name == "restart",
        silences_target=name != "restart",  # started again at once: it answers meanwhile
    )


PROCESS_FAULTS = [
    _kind(
        "kill",
        "SIGKILLs the component; revert starts it again",
        _inject_kill,
        _start_again,
        _running_again,
    ),
    _kind(
        "pause",
        "SIGSTOPs the component (it hangs, connections stall); revert SIGCONTs it",
        inject_pause,
        revert_pause,
        not_stopped,
    ),
    _kind(
        "restart",
        "stops the component and starts it again at once",
        _inject_restart,
        _start_again,
        _running_again,
    ),
]
