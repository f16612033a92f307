"""``container.*`` (compose backend): kill, stop, pause, restart or disconnect a lab container.

Through the Docker SDK, on the container of the compose service named by the target. Each
revert puts the container back as it was (started, unpaused, reconnected at its address)
and is verified by reading the container's state back; the watchdog does the same at the
fault's expiry if the controller is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chaoskit._errors import InvalidInput
from chaoskit.experiment.faults.base import FaultKind, NoParams, Params
from chaoskit.experiment.handles import ContainerHandle, handle_of
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab import catalogue
from chaoskit.lab.components import health_check
from chaoskit.lab.config import LabConfig
from chaoskit.lab.health import wait_until

if TYPE_CHECKING:
    from docker.models.containers import Container

    from chaoskit.lab.compose import ComposeLab
    from chaoskit.lab.local import LocalLab

__all__ = [
    "CONTAINER_FAULTS",
    "calling",
    "container_serving",
    "prepare_container",
    "start_container",
]

STOP_TIMEOUT_S = 5
START_TIMEOUT_S = 60.0


class DisconnectParams(Params):
    network: str = "lab"
    """The compose network (as the compose file names it)."""


def _targets(config: LabConfig) -> list[str]:
    return catalogue.process_targets(config)


def _compose_lab(lab: LocalLab) -> ComposeLab:
    from chaoskit.lab.compose import ComposeLab

    if not isinstance(lab, ComposeLab):
        raise InvalidInput(f"container faults need the compose backend; this lab is {lab.backend}")
    return lab


def prepare_container(lab: LocalLab, entry: LedgerEntry, _params: Params) -> ContainerHandle:
    container = _compose_lab(lab).container(entry.target)
    return ContainerHandle(service=entry.target, container_id=container.id)


def _container(lab: LocalLab, entry: LedgerEntry) -> Container:
    """The very container the handle names (a recreated one is not the one faulted)."""
    from docker.errors import NotFound

    handle = handle_of(entry.handle, ContainerHandle)
    compose = _compose_lab(lab)
    try:
        return compose.container_by_id(handle.container_id)
    except NotFound:
        return compose.container(handle.service)


def container_serving(lab: LocalLab, entry: LedgerEntry) -> bool:
    """Running again and answering its health check (not merely started)."""
    status: str = _container(lab, entry).status
    return status == "running" and health_check(entry.target, lab.config, lab.state_dir)()


def start_container(lab: LocalLab, entry: LedgerEntry) -> None:
    """Started (or unpaused) and, like a process the lab starts, waited on until healthy."""
    container = _container(lab, entry)
    if container.status == "paused":
        container.unpause()
    elif container.status != "running":
        container.start()
    wait_until(health_check(entry.target, lab.config, lab.state_dir), START_TIMEOUT_S, 0.2)


def calling(method: str, **kwargs: Any) -> Callable[[LocalLab, LedgerEntry, Params], None]:
    """An injection that calls ``method`` on the target's container."""

    def inject(lab: LocalLab, entry: LedgerEntry, _params: Params) -> None:
        getattr(_container(lab, entry), method)(**kwargs)

    return inject


def _prepare_disconnect(
    lab: LocalLab, entry: LedgerEntry, params: DisconnectParams
) -> ContainerHandle:
    """The network and the address to reconnect at are read before anything is done."""
    compose = _compose_lab(lab)
    container = compose.container(entry.target)
    name = f"{compose.settings.project}_{params.network}"
    attached = container.attrs["NetworkSettings"]["Networks"]
    if name not in attached:
        on = ", ".join(attached)
        raise InvalidInput(f"{entry.target} is not on network {name}; it is on {on}")
    address = attached[name].get("IPAMConfig", {}) or {}
    ip = address.get("IPv4Address") or attached[name].get("IPAddress")
    return ContainerHandle(
        service=entry.target, container_id=container.id, network=name, ipv4_address=ip
    )


def _disconnect(lab: LocalLab, entry: LedgerEntry, _params: DisconnectParams) -> None:
    container = _container(lab, entry)
    network = handle_of(entry.handle, ContainerHandle).network
    container.client.networks.get(network).disconnect(container)


def _reconnect(lab: LocalLab, entry: LedgerEntry) -> None:
    handle = handle_of(entry.handle, ContainerHandle)
    container = _container(lab, entry)
    if handle.network not in container.attrs["NetworkSettings"]["Networks"]:
        network = container.client.networks.get(handle.network)
        network.connect(container, ipv4_address=handle.ipv4_address)


def _connected(lab: LocalLab, entry: LedgerEntry) -> bool:
    network = handle_of(entry.handle, ContainerHandle).network
    return network in _container(lab, entry).attrs["NetworkSettings"]["Networks"]


def _kind(
    name: str,
    summary: str,
    inject: Callable[[LocalLab, LedgerEntry, Any], None],
    revert: Callable[[LocalLab, LedgerEntry], None] = start_container,
    is_reverted: Callable[[LocalLab, LedgerEntry], bool] = container_serving,
    params: type[Params] = NoParams,
    prepare: Callable[[LocalLab, LedgerEntry, Any], ContainerHandle] = prepare_container,
) -> FaultKind[Any, ContainerHandle]:
    return FaultKind(
        kind=f"container.{name}",
        summary=summary,
        params=params,
        targets=_targets,
        prepare=prepare,
        inject=inject,
        revert=revert,
        is_reverted=is_reverted,
        backends=("compose",),
    )


CONTAINER_FAULTS = [
    _kind("kill", "kills the container (SIGKILL); revert starts it", calling("kill")),
    _kind(
        "stop",
        "stops the container (SIGTERM, then SIGKILL); revert starts it",
        calling("stop", timeout=STOP_TIMEOUT_S),
    ),
    _kind("pause", "pauses the container (cgroup freezer); revert unpauses it", calling("pause")),
    _kind(
        "restart",
        "restarts the container; nothing to revert but that it runs",
        calling("restart", timeout=STOP_TIMEOUT_S),
    ),
    _kind(
        "disconnect",
        "disconnects it from the lab network (network); revert reconnects it at its address",
        _disconnect,
        _reconnect,
        _connected,
        DisconnectParams,
        _prepare_disconnect,
    ),
]
