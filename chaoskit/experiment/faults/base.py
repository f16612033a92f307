"""What a fault kind is: its parameters, its valid targets, and how to inject and revert it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from chaoskit.experiment.handles import HandleBase
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab import catalogue
from chaoskit.lab.config import LabConfig

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend

__all__ = ["FaultKind", "NoParams", "Params", "registry_of"]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class NoParams(Params):
    """Kinds that need nothing but a target."""


P = TypeVar("P", bound=Params)
H = TypeVar("H", bound=HandleBase)


@dataclass(frozen=True)
class FaultKind(Generic[P, H]):
    """One fault kind behind the registry.

    ``prepare`` reads what the revert will need (the target's identity) and acts on
    nothing; its handle goes into the ledger entry before ``inject`` makes the fault exist.
    Both get the validated params. ``revert`` is idempotent, needs only the entry, and
    ``is_reverted`` verifies it. ``expiry`` says what ends the fault if the controller dies:
    the DNS server's own expiry, the automation's, or the lab's watchdog.
    """

    kind: str
    summary: str
    params: type[P]
    targets: Callable[[LabConfig], list[str]]
    prepare: Callable[[LabBackend, LedgerEntry, P], H]
    inject: Callable[[LabBackend, LedgerEntry, P], None]
    revert: Callable[[LabBackend, LedgerEntry], None]
    is_reverted: Callable[[LabBackend, LedgerEntry], bool]
    expiry: str = "watchdog"
    backends: tuple[str, ...] = ("local",)
    target_patterns: bool = False
    """Whether targets may be wildcard patterns (DNS names)."""
    ends_with_the_lab: bool = True
    """Whether stopping the lab's components ends the fault; not so for one held in a
    control file in the state directory, which ``down`` reverts itself."""
    carried_by: str | None = None
    """The lab component the fault is put in and taken out through (the DNS server for a
    DNS fault, Toxiproxy for a toxic, the resolver's remote control for a flush); None when
    neither needs a component to answer (a control file in the state directory)."""
    probabilistic: bool = False
    """Whether ``probability`` makes it act on a share of what passes (a DNS fault on a
    share of queries, a toxic on a share of connections); other kinds act on the whole
    target, and a probability below 1 is refused for them."""
    momentary: bool = False
    """Whether the fault is over as soon as it is in (a restart, a cache flush): nothing
    stays in force to be seen, and its revert only checks that it ended."""
    silences_target: bool = False
    """Whether the fault stops its target component answering (killed, stopped, paused,
    disconnected): a fault that component carries cannot be reverted until this one ends."""
    silences_when: Callable[[Mapping[str, Any]], bool] | None = None
    """For a kind that silences its target with some parameters only: which."""

    @property
    def family(self) -> str:
        return self.kind.split(".", 1)[0]

    def canonical_target(self, target: str) -> str:
        """``target`` as the ledger and the one-fault-per-target claims hold it: a DNS name
        lower-cased and without its final dot (``DynamoDB.Lab.Test.`` and
        ``dynamodb.lab.test`` are one name); any other target as written."""
        return catalogue.bare_name(target) if self.target_patterns else target

    def silences(self, params: Mapping[str, Any]) -> bool:
        """Whether a fault of this kind with ``params`` stops its target answering."""
        return self.silences_target and (self.silences_when is None or self.silences_when(params))

    def validated(self, entry: LedgerEntry) -> P:
        return self.params.model_validate(entry.params)


AnyKind = FaultKind[Any, Any]


def registry_of(kinds: Iterable[AnyKind]) -> dict[str, AnyKind]:
    """Kinds by name; a name registered twice is a programming error, refused at import."""
    registry: dict[str, AnyKind] = {}
    for kind in kinds:
        if kind.kind in registry:
            raise ValueError(f"fault kind {kind.kind!r} is registered twice")
        registry[kind.kind] = kind
    return registry
