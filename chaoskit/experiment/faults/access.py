"""What a fault family may ask of the lab: each gets the one client it needs (the DNS admin
API, Toxiproxy, the lab's state), typed so, not a whole backend. Both backends provide every
one of these (``LabBackend``); the process and container families, which act on one
backend's processes or containers, ask for that backend by name."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chaoskit.dns.client import DnsAdminClient
    from chaoskit.lab.config import LabConfig
    from chaoskit.lab.state import LabState
    from chaoskit.toxiproxy import ToxiproxyAdapter

__all__ = ["DnsAccess", "LabView", "StateAccess", "ToxiproxyAccess"]


class LabView(Protocol):
    """What every fault may read: the backend's name, the lab's layout, its directory."""

    backend: str
    state_dir: Path

    @property
    def config(self) -> LabConfig: ...


class DnsAccess(LabView, Protocol):
    """The lab DNS server's admin API (``dns.*``)."""

    def dns_admin(self, actor: str = "chaoskit") -> DnsAdminClient: ...


class ToxiproxyAccess(LabView, Protocol):
    """The lab's Toxiproxy (``toxiproxy.*``, ``lb.*``: its proxies and toxics)."""

    def toxiproxy(self) -> ToxiproxyAdapter: ...


class StateAccess(LabView, Protocol):
    """The lab's state as saved, taken in again (``resolver.*``: the resolver's control)."""

    state: LabState

    def refresh(self) -> None: ...
