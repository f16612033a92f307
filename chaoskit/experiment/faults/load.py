"""``load.surge``: the experiment's own load runs ``users`` Locust users for the fault's
duration (ramped at ``spawn_rate`` per second), then goes back to ``load.users``.

An overload ramp is a fault like any other: in the ledger, with an expiry, its window the
one the metrics measure. The controller writes the wanted load to a control file in the
lab's state directory; Locust's load shape (``chaoskit/load/shape.py``) reads it every
second. Reverting removes the file, as the watchdog does at the expiry if the controller
died (Locust dies with its controller; a stale file would surge the next run's load).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field

from chaoskit.experiment.faults.access import LabView
from chaoskit.experiment.faults.base import FaultKind, Params
from chaoskit.experiment.handles import LoadHandle, handle_of
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab.config import LabConfig

if TYPE_CHECKING:
    from chaoskit.experiment.model import Experiment
    from chaoskit.lab.backend import LabBackend

__all__ = ["LOAD_FAULTS", "LOAD_TARGET", "surge_control", "surges"]

LOAD_TARGET = "load"
"""The one target: the experiment's load (its Locust users)."""


class SurgeParams(Params):
    users: int = Field(ge=1, le=10_000, description="Locust users while the fault lasts")
    spawn_rate: float = Field(default=10.0, gt=0, le=10_000, description="users started per s")


def surge_control(state_dir: Path) -> Path:
    """The control file Locust's load shape reads (absent: ``load.users``)."""
    return state_dir / "load-surge.json"


def surges(experiment: Experiment) -> bool:
    """Whether the method surges the load (its Locust then runs the surgeable shape)."""
    return any(step.fault == "load.surge" for step in experiment.method)


def _targets(_config: LabConfig) -> list[str]:
    return [LOAD_TARGET]


def _prepare(lab: LabView, _entry: LedgerEntry, _params: SurgeParams) -> LoadHandle:
    return LoadHandle(control=str(surge_control(lab.state_dir)))


def _inject(_lab: LabBackend, entry: LedgerEntry, params: SurgeParams) -> None:
    control = Path(handle_of(entry.handle, LoadHandle).control)
    wanted = {"users": params.users, "spawn_rate": params.spawn_rate, "ledger_id": entry.id}
    partial = control.with_name(control.name + ".tmp")
    partial.write_text(json.dumps(wanted))
    os.replace(partial, control)  # the shape never reads half a file


def _revert(_lab: LabBackend, entry: LedgerEntry) -> None:
    Path(handle_of(entry.handle, LoadHandle).control).unlink(missing_ok=True)


def _is_reverted(_lab: LabBackend, entry: LedgerEntry) -> bool:
    return not Path(handle_of(entry.handle, LoadHandle).control).exists()


LOAD_FAULTS = [
    FaultKind(
        kind="load.surge",
        summary="runs `users` Locust users (ramped at `spawn_rate`/s) for the duration, "
        "then load.users again: an overload ramp",
        params=SurgeParams,
        targets=_targets,
        prepare=_prepare,
        inject=_inject,
        revert=_revert,
        is_reverted=_is_reverted,
        backends=("local", "compose"),
        ends_with_the_lab=False,  # a control file in the state directory
    )
]
