"""``resolver.*`` (local backend): faults on the lab resolver tier (Unbound).

- ``resolver.flush``: the cache forgets one name, a zone, or everything (as an operator's
  ``unbound-control flush`` does); the next query of each client goes to the authority.
- ``resolver.down``: the resolver stops answering (SIGSTOP; on the compose backend its
  container is paused); its clients time out.
- ``resolver.overload``: the resolver may send the authority at most ``qps`` queries per
  second for the lab zone (Unbound's ``ratelimit``), as a resolver tier saturated by a retry
  storm does: queries it cannot answer from its cache beyond that are dropped or SERVFAILed.

Each is in the ledger with an expiry the watchdog enforces, on both backends; a restart of
the resolver also ends ``overload`` (the option is not in its config file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from chaoskit._errors import ComponentError
from chaoskit.experiment.faults.access import LabView, StateAccess
from chaoskit.experiment.faults.base import FaultKind, NoParams, Params
from chaoskit.experiment.faults.container import (
    container_running,
    pause_container,
    prepare_container,
    start_container,
)
from chaoskit.experiment.faults.process import (
    inject_pause,
    not_stopped,
    prepare_process,
    revert_pause,
)
from chaoskit.experiment.handles import (
    ContainerHandle,
    ProcessHandle,
    ResolverHandle,
    handle_of,
)
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab.config import RESOLVER_LABEL, LabConfig, spells_domain_name
from chaoskit.resolver.control import UnboundControl

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend

__all__ = ["RESOLVER_FAULTS"]

RATELIMIT = "ratelimit"
BOTH = ("local", "compose")


class FlushParams(Params):
    name: str | None = Field(
        default=None, description="a name to forget (every type); none: the whole cache"
    )
    zone: bool = Field(default=False, description="forget every name under `name`")

    @field_validator("name")
    @classmethod
    def _a_domain_name(cls, name: str | None) -> str | None:
        """Unbound's remote control reads the name as the rest of a command line: a space,
        a ';' or a line break there is not a name (and a line break ended the run)."""
        if name is None or name == ".":
            return name
        if not spells_domain_name(name, RESOLVER_LABEL):
            raise ValueError(f"expected a domain name (letters, digits, '-', '_'), got {name!r}")
        return name


class OverloadParams(Params):
    qps: int = Field(
        default=10, ge=1, le=100_000, description="queries per second to the authority per zone"
    )


def _targets(_: LabConfig) -> list[str]:
    return ["resolver"]


def _control(lab: StateAccess) -> UnboundControl:
    return UnboundControl(lab.config.resolver_control.host, lab.config.resolver_control.port)


def _handle(lab: StateAccess, option: str | None = None) -> ResolverHandle:
    lab.refresh()
    if "resolver" not in lab.state.components:
        raise ComponentError("resolver", "is not running, so it cannot be faulted")
    control = _control(lab)
    before = control.get_option(option) if option else None  # also: it answers at all
    if option is None:
        control.command("status")
    return ResolverHandle(
        control_host=control.host, control_port=control.port, option=option, before=before
    )


def _of(entry: LedgerEntry) -> UnboundControl:
    handle = handle_of(entry.handle, ResolverHandle)
    return UnboundControl(handle.control_host, handle.control_port)


def _prepare_flush(lab: StateAccess, entry: LedgerEntry, _: FlushParams) -> ResolverHandle:
    return _handle(lab)


def _flush(lab: StateAccess, entry: LedgerEntry, params: FlushParams) -> None:
    _of(entry).flush(params.name, zone=params.zone)


def _nothing_to_undo(lab: StateAccess, entry: LedgerEntry) -> None:
    """A flushed cache refills by itself; there is nothing to put back."""


def _always(lab: StateAccess, entry: LedgerEntry) -> bool:
    return True


def _prepare_overload(lab: StateAccess, entry: LedgerEntry, _: OverloadParams) -> ResolverHandle:
    handle = _handle(lab, RATELIMIT)
    if handle.before not in ("0", None):
        raise ComponentError("resolver", f"already has ratelimit {handle.before} in force")
    return handle


def _overload(lab: StateAccess, entry: LedgerEntry, params: OverloadParams) -> None:
    _of(entry).set_option(RATELIMIT, str(params.qps))


def _end_overload(lab: StateAccess, entry: LedgerEntry) -> None:
    try:
        _of(entry).set_option(RATELIMIT, "0")
    except ComponentError:
        if _resolver_gone(lab, entry):
            return  # stopped or restarted: the option went with the process
        raise


def _not_overloaded(lab: StateAccess, entry: LedgerEntry) -> bool:
    try:
        return _of(entry).get_option(RATELIMIT) == "0"
    except ComponentError:
        return _resolver_gone(lab, entry)


def _resolver_gone(lab: StateAccess, entry: LedgerEntry) -> bool:
    """No resolver answers its control port and none is recorded as running."""
    lab.refresh()
    return "resolver" not in lab.state.components


def _on_compose(lab: LabView) -> bool:
    return lab.backend == "compose"


def _prepare_down(
    lab: LabBackend, entry: LedgerEntry, params: NoParams
) -> ProcessHandle | ContainerHandle:
    if _on_compose(lab):
        return prepare_container(lab, entry, params)
    return prepare_process(lab, entry, params)


def _down(lab: LabBackend, entry: LedgerEntry, params: NoParams) -> None:
    if isinstance(entry.handle, ContainerHandle):
        pause_container(lab, entry, params)
    else:
        inject_pause(lab, entry, params)


def _up(lab: LabBackend, entry: LedgerEntry) -> None:
    if isinstance(entry.handle, ContainerHandle):
        start_container(lab, entry)
    else:
        revert_pause(lab, entry)


def _answering_again(lab: LabBackend, entry: LedgerEntry) -> bool:
    if isinstance(entry.handle, ContainerHandle):
        return container_running(lab, entry)
    return not_stopped(lab, entry)


RESOLVER_FAULTS: list[FaultKind] = [  # type: ignore[type-arg]
    FaultKind(
        kind="resolver.flush",
        summary="the lab resolver's cache forgets a name, a zone or everything",
        params=FlushParams,
        targets=_targets,
        prepare=_prepare_flush,
        inject=_flush,
        revert=_nothing_to_undo,
        is_reverted=_always,
        backends=BOTH,
        momentary=True,
        carried_by="resolver",  # its remote control: a paused resolver never answers it
    ),
    FaultKind(
        kind="resolver.down",
        summary="the lab resolver stops answering (SIGSTOP, or its container paused); "
        "revert thaws it",
        params=NoParams,
        targets=_targets,
        prepare=_prepare_down,
        inject=_down,
        revert=_up,
        is_reverted=_answering_again,
        backends=BOTH,
        silences_target=True,
    ),
    FaultKind(
        kind="resolver.overload",
        summary="the lab resolver may ask the authority only `qps` queries a second "
        "(Unbound ratelimit); the rest are dropped",
        params=OverloadParams,
        targets=_targets,
        prepare=_prepare_overload,
        inject=_overload,
        revert=_end_overload,
        is_reverted=_not_overloaded,
        backends=BOTH,
        carried_by="resolver",
    ),
]
