"""What a revert needs, written to the ledger before the fault exists.

Every fault kind reads the target's identity *before* it acts (a process's pid and start
time, a container's id, the toxic's name, the DNS fault id the client chooses) and the
ledger entry carrying that handle is fsync'd before the effect; so a controller killed at
any instant leaves the watchdog and ``chaoskit recover`` all they need to undo it.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from chaoskit.lab.process import Pid

__all__ = [
    "ContainerHandle",
    "DnsFaultHandle",
    "EnactorHandle",
    "Handle",
    "HandleBase",
    "LoadHandle",
    "ProcessHandle",
    "ProxyHandle",
    "ResolverHandle",
    "ToxicHandle",
    "ToxicsHandle",
    "handle_of",
]


class HandleBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DnsFaultHandle(HandleBase):
    """A fault on the lab DNS server, under the id the controller chose for it."""

    type: Literal["dns"] = "dns"
    fault_id: str
    actor: str
    address: str | None = None
    """For ``dns.failover``: the address the target answers with."""


class ToxicHandle(HandleBase):
    type: Literal["toxic"] = "toxic"
    proxy: str
    toxic: str


class ToxicsHandle(HandleBase):
    """The same toxic on several proxies (each of the load balancer's check paths)."""

    type: Literal["toxics"] = "toxics"
    toxics: list[ToxicHandle]


class ProxyHandle(HandleBase):
    type: Literal["proxy"] = "proxy"
    proxy: str


class ProcessHandle(HandleBase):
    """A lab process as it was before the signal: pid, start time, process group."""

    type: Literal["process"] = "process"
    component: str
    pid: Pid
    create_time: float
    pgid: Pid


class ContainerHandle(HandleBase):
    type: Literal["container"] = "container"
    service: str
    container_id: str
    network: str | None = None
    ipv4_address: str | None = None
    other_networks: dict[str, str | None] = Field(default_factory=dict)
    """More networks a disconnect took it off, each with its address to reconnect at."""


class ResolverHandle(HandleBase):
    """The lab resolver's remote control, and the value an option had before the fault."""

    type: Literal["resolver"] = "resolver"
    control_host: str
    control_port: int
    option: str | None = None
    before: str | None = None


class LoadHandle(HandleBase):
    """The control file the experiment's Locust load shape reads."""

    type: Literal["load"] = "load"
    control: str


class EnactorHandle(HandleBase):
    type: Literal["enactor"] = "enactor"
    enactor: str


Handle = Annotated[
    DnsFaultHandle
    | ToxicHandle
    | ToxicsHandle
    | ProxyHandle
    | ProcessHandle
    | ContainerHandle
    | EnactorHandle
    | LoadHandle
    | ResolverHandle,
    Field(discriminator="type"),
]

H = TypeVar("H", bound=HandleBase)


def handle_of(handle: object, expected: type[H]) -> H:
    """``handle`` as the type its kind wrote; anything else is a corrupt ledger entry."""
    if not isinstance(handle, expected):
        got = type(handle).__name__
        raise ValueError(f"ledger entry has a {got} handle where {expected.__name__} is needed")
    return handle
