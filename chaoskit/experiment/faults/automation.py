"""``dns.enactor_delay``: one Enactor of the DNS automation holds the plan it picked for
``seconds``, then applies it right after the next apply by another Enactor — the delay that
set off the October 2025 race, with the unlucky interleaving forced rather than waited for.
While the fault lasts, every plan that Enactor picks is held this way. The automation reads
the delay from its control file and ignores it past the fault's expiry, so it ends even if
the controller dies."""

from __future__ import annotations

import os

from pydantic import Field

from chaoskit._errors import ComponentError
from chaoskit.automation.live import read_control, read_status, write_control
from chaoskit.experiment.faults.access import LabView
from chaoskit.experiment.faults.base import FaultKind, Params
from chaoskit.experiment.handles import EnactorHandle, handle_of
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab.config import LabConfig

__all__ = ["AUTOMATION_FAULTS", "ENACTORS"]

ENACTORS = ["enactor-1", "enactor-2", "enactor-3"]


class EnactorDelay(Params):
    seconds: float = Field(default=3.0, gt=0, le=600, description="pause between pick and apply")


def _targets(_config: LabConfig) -> list[str]:
    return list(ENACTORS)


def _running(lab: LabView) -> bool:
    pid = read_status(lab.state_dir).get("pid")
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _prepare(lab: LabView, entry: LedgerEntry, _params: EnactorDelay) -> EnactorHandle:
    if not _running(lab):
        raise ComponentError(
            "automation", "the DNS automation is not running (set stack.automation)"
        )
    return EnactorHandle(enactor=entry.target)


def _inject(lab: LabView, entry: LedgerEntry, params: EnactorDelay) -> None:
    control = read_control(lab.state_dir)
    delays = control.setdefault("delays", {})
    delays[handle_of(entry.handle, EnactorHandle).enactor] = {
        "seconds": params.seconds, "expires_at": entry.expires_at, "ledger_id": entry.id,
    }  # fmt: skip
    write_control(lab.state_dir, control)


def _revert(lab: LabView, entry: LedgerEntry) -> None:
    control = read_control(lab.state_dir)
    enactor = handle_of(entry.handle, EnactorHandle).enactor
    delay = control.get("delays", {}).get(enactor)
    if delay and delay.get("ledger_id") == entry.id:
        del control["delays"][enactor]
        write_control(lab.state_dir, control)


def _is_reverted(lab: LabView, entry: LedgerEntry) -> bool:
    enactor = handle_of(entry.handle, EnactorHandle).enactor
    delay = read_control(lab.state_dir).get("delays", {}).get(enactor)
    return not delay or delay.get("ledger_id") != entry.id


AUTOMATION_FAULTS = [
    FaultKind(
        kind="dns.enactor_delay",
        summary="one Enactor of the DNS automation pauses between pick and apply (seconds)",
        params=EnactorDelay,
        targets=_targets,
        prepare=_prepare,
        inject=_inject,
        revert=_revert,
        is_reverted=_is_reverted,
        expiry="automation",
        ends_with_the_lab=False,  # a control file in the state directory
    )
]
