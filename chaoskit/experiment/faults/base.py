"""What a fault kind is: its parameters, its valid targets, and how to inject and revert it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab.config import LabConfig

if TYPE_CHECKING:
    from chaoskit.lab.local import LocalLab

__all__ = ["FaultKind", "NoParams", "Params"]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    """Kinds that need nothing but a target."""


@dataclass(frozen=True)
class FaultKind:
    """One fault kind behind the registry.

    ``inject`` returns what ``revert`` needs later (stored in the ledger entry's handle);
    ``revert`` is idempotent and ``is_reverted`` verifies it. ``expiry`` says what ends the
    fault if the controller dies: the DNS server's own expiry, or the lab's watchdog.
    """

    kind: str
    summary: str
    params: type[Params]
    targets: Callable[[LabConfig], list[str]]
    inject: Callable[[LocalLab, LedgerEntry], dict[str, Any]]
    revert: Callable[[LocalLab, LedgerEntry], None]
    is_reverted: Callable[[LocalLab, LedgerEntry], bool]
    expiry: str = "watchdog"
    backends: tuple[str, ...] = ("local",)
    target_patterns: bool = False
    """Whether targets may be wildcard patterns (DNS names)."""

    @property
    def family(self) -> str:
        return self.kind.split(".", 1)[0]
