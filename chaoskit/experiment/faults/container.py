"""``container.*`` (compose backend): kill, stop, pause, restart or disconnect a lab container.

Through the Docker SDK, on the container of the compose service named by the target. Each
revert puts the container back as it was (started, unpaused, reconnected at its address)
and is verified by reading the container's state back; the watchdog does the same at the
fault's expiry if the controller is gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from chaoskit._errors import InvalidInput
from chaoskit.experiment.faults.base import FaultKind, NoParams, Params
from chaoskit.experiment.handles import ContainerHandle, handle_of
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab import catalogue
from chaoskit.lab.config import LabConfig

if TYPE_CHECKING:
    from docker.models.containers import Container

    from chaoskit.lab.backend import LabBackend
    from chaoskit.lab.compose import ComposeLab

__all__ = [
    "CONTAINER_FAULTS",
    "calling",
    "container_running",
    "pause_container",
    "prepare_container",
    "start_container",
]

STOP_TIMEOUT_S = 5
PAUSE_ATTEMPTS = 4
"""runc gives up freezing a cgroup whose tasks do not settle ("unable to freeze"), which a
busy machine makes likely; it thaws the cgroup again, so the pause is simply asked again."""


class DisconnectParams(Params):
    network: str = "lab"
    """The compose network (as the compose file names it)."""


def _targets(config: LabConfig) -> list[str]:
    return catalogue.process_targets(config)


def _compose_lab(lab: LabBackend) -> ComposeLab:
    from chaoskit.lab.compose import ComposeLab

    if not isinstance(lab, ComposeLab):
        raise InvalidInput(f"container faults need the compose backend; this lab is {lab.backend}")
    return lab


def prepare_container(lab: LabBackend, entry: LedgerEntry, _params: Params) -> ContainerHandle:
    container = _compose_lab(lab).container(entry.target)
    return ContainerHandle(service=entry.target, container_id=container.id)


def _container(lab: LabBackend, entry: LedgerEntry) -> Container:
    """The very container the handle names (a recreated one is not the one faulted)."""
    from docker.errors import NotFound

    handle = handle_of(entry.handle, ContainerHandle)
    compose = _compose_lab(lab)
    try:
        return compose.container_by_id(handle.container_id)
    except NotFound:
        return compose.container(handle.service)


def container_running(lab: LabBackend, entry: LedgerEntry) -> bool:
    """Running again (started, or unpaused): the fault is over. Whether it serves yet is
    the run's recovery to measure (a service may wait on another fault still in force)."""
    status: str = _container(lab, entry).status
    return status == "running"


def start_container(lab: LabBackend, entry: LedgerEntry) -> None:
    """Started (or unpaused), not waited on to serve: a service that cannot serve until
    another fault ends would hold that fault, and every other revert, behind it."""
    container = _container(lab, entry)
    if container.status == "paused":
        container.unpause()  # it lost nothing
        return
    if container.status != "running":
        container.start()
    _compose_lab(lab).configure_again(entry.target)  # Toxiproxy's proxies died with it


def calling(method: str, **kwargs: Any) -> Callable[[LabBackend, LedgerEntry, Params], None]:
    """An injection that calls ``method`` on the target's container."""

    def inject(lab: LabBackend, entry: LedgerEntry, _params: Params) -> None:
        getattr(_container(lab, entry), method)(**kwargs)

    return inject


def _restart(lab: LabBackend, entry: LedgerEntry, _params: Params) -> None:
    """Restarted, and put back as ``up`` puts it: a restart is a blip, and Toxiproxy's
    proxies (held in its memory) would otherwise be gone until the revert."""
    _container(lab, entry).restart(timeout=STOP_TIMEOUT_S)
    _compose_lab(lab).configure_again(entry.target)


def pause_container(lab: LabBackend, entry: LedgerEntry, _params: Params) -> None:
    from docker.errors import APIError

    container = _container(lab, entry)
    for attempt in range(1, PAUSE_ATTEMPTS + 1):
        try:
            container.pause()
            return
        except APIError as error:
            if "unable to freeze" not in str(error) or attempt == PAUSE_ATTEMPTS:
                raise
            time.sleep(0.1 * attempt)


def _prepare_disconnect(
    lab: LabBackend, entry: LedgerEntry, params: DisconnectParams
) -> ContainerHandle:
    """The networks and the addresses to reconnect at are read before anything is done.
    ``lab`` is the whole lab: its second network too (where us-west-2's proxy has its
    address), so a container cut off the lab reaches neither region."""
    compose = _compose_lab(lab)
    container = compose.container(entry.target)
    project = compose.settings.project
    name = f"{project}_{params.network}"
    attached = container.attrs["NetworkSettings"]["Networks"]
    if name not in attached:
        on = ", ".join(attached)
        raise InvalidInput(f"{entry.target} is not on network {name}; it is on {on}")
    wanted = [name]
    if params.network == "lab" and f"{project}_lab-west" in attached:
        wanted.append(f"{project}_lab-west")
    addresses = {network: _address_on(attached[network]) for network in wanted}
    return ContainerHandle(
        service=entry.target,
        container_id=container.id,
        network=name,
        ipv4_address=addresses.pop(name),
        other_networks=addresses,
    )


def _address_on(network: dict[str, Any]) -> str | None:
    configured = network.get("IPAMConfig", {}) or {}
    address: str | None = configured.get("IPv4Address") or network.get("IPAddress")
    return address


def _networks(handle: ContainerHandle) -> dict[str, str | None]:
    assert handle.network is not None
    return {handle.network: handle.ipv4_address, **handle.other_networks}


def _disconnect(lab: LabBackend, entry: LedgerEntry, _params: DisconnectParams) -> None:
    container = _container(lab, entry)
    for network in _networks(handle_of(entry.handle, ContainerHandle)):
        container.client.networks.get(network).disconnect(container)


def _reconnect(lab: LabBackend, entry: LedgerEntry) -> None:
    container = _container(lab, entry)
    attached = container.attrs["NetworkSettings"]["Networks"]
    for network, address in _networks(handle_of(entry.handle, ContainerHandle)).items():
        if network not in attached:
            container.client.networks.get(network).connect(container, ipv4_address=address)


def _connected(lab: LabBackend, entry: LedgerEntry) -> bool:
    attached = _container(lab, entry).attrs["NetworkSettings"]["Networks"]
    return all(n in attached for n in _networks(handle_of(entry.handle, ContainerHandle)))


def _cut_off_the_lab(params: Mapping[str, Any]) -> bool:
    """Disconnected from the lab's network, a container is out of the controller's reach
    (its published ports lead nowhere); from lab-west alone it is still on the lab's."""
    return bool(params.get("network", "lab") == "lab")


def _kind(
    name: str,
    summary: str,
    inject: Callable[[LabBackend, LedgerEntry, Any], None],
    revert: Callable[[LabBackend, LedgerEntry], None] = start_container,
    is_reverted: Callable[[LabBackend, LedgerEntry], bool] = container_running,
    params: type[Params] = NoParams,
    prepare: Callable[[LabBackend, LedgerEntry, Any], ContainerHandle] = prepare_container,
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
        momentary=name == "restart",
        silences_target=name != "restart",  # started again at once: it answers meanwhile
        silences_when=_cut_off_the_lab if name == "disconnect" else None,
    )


CONTAINER_FAULTS = [
    _kind("kill", "kills the container (SIGKILL); revert starts it", calling("kill")),
    _kind(
        "stop",
        "stops the container (SIGTERM, then SIGKILL); revert starts it",
        calling("stop", timeout=STOP_TIMEOUT_S),
    ),
    _kind("pause", "pauses the container (cgroup freezer); revert unpauses it", pause_container),
    _kind(
        "restart",
        "restarts the container; nothing to revert but that it runs",
        _restart,
    ),
    _kind(
        "disconnect",
        "disconnects it from the lab (network; lab-west: only us-west-2's proxy network); "
        "revert reconnects it at its addresses",
        _disconnect,
        _reconnect,
        _connected,
        DisconnectParams,
        _prepare_disconnect,
    ),
]
