"""``container.*`` (compose backend): kill, pause, restart or disconnect a service's container."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaoskit._errors import InvalidInput
from chaoskit.experiment.faults.base import FaultKind, NoParams, Params
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab.config import SERVICE_NAMES, LabConfig

if TYPE_CHECKING:
    from chaoskit.lab.local import LocalLab

__all__ = ["CONTAINER_FAULTS"]


class DisconnectParams(Params):
    network: str = "chaoskit"


def _targets(config: LabConfig) -> list[str]:
    return ["dns", "toxiproxy", *(r.component for r in config.regions), *SERVICE_NAMES]


def _needs_compose(lab: LocalLab, entry: LedgerEntry) -> dict[str, Any]:
    raise InvalidInput(f"{entry.kind} needs the compose backend; this lab is {lab.backend}")


def _nothing_to_revert(lab: LocalLab, entry: LedgerEntry) -> None:
    return None


def _always(lab: LocalLab, entry: LedgerEntry) -> bool:
    return True


def _kind(name: str, summary: str, params: type[Params] = NoParams) -> FaultKind:
    return FaultKind(
        kind=f"container.{name}",
        summary=summary,
        params=params,
        targets=_targets,
        inject=_needs_compose,
        revert=_nothing_to_revert,
        is_reverted=_always,
        backends=("compose",),
    )


CONTAINER_FAULTS = [
    _kind("kill", "kills the container; revert starts it"),
    _kind("pause", "pauses the container (cgroup freezer); revert unpauses it"),
    _kind("restart", "restarts the container"),
    _kind("disconnect", "disconnects it from the lab network; revert reconnects", DisconnectParams),
]
