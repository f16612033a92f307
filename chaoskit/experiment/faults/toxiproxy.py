"""``toxiproxy.*``: toxics on the proxies in front of each DynamoDB region, and ``down``.

Toxics have no expiry of their own; the lab's watchdog removes them when the ledger says
they have expired and the controller has not.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from chaoskit._errors import ToxiproxyError
from chaoskit.experiment.faults.access import ToxiproxyAccess
from chaoskit.experiment.faults.base import FaultKind, NoParams, Params
from chaoskit.experiment.handles import ProxyHandle, ToxicHandle, handle_of
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab import catalogue
from chaoskit.lab.config import LabConfig

__all__ = ["TOXIPROXY_FAULTS"]

Stream = Literal["upstream", "downstream"]
DAY_MS = 86_400_000
"""The most any toxic's time may be: Toxiproxy's Go code doubles ``jitter`` into a random
range and panics when that overflows (2**62), which takes every proxy down with it."""


class _ToxicParams(Params):
    stream: Stream = "downstream"


class LatencyParams(_ToxicParams):
    latency: int = Field(ge=0, le=DAY_MS, description="milliseconds added to the data")
    jitter: int = Field(0, ge=0, le=DAY_MS, description="milliseconds either side of latency")


class BandwidthParams(_ToxicParams):
    rate: int = Field(ge=0, le=1_000_000_000, description="KB/s")


class TimeoutParams(_ToxicParams):
    timeout: int = Field(
        0, ge=0, le=DAY_MS, description="ms before closing; 0 holds the data forever"
    )


class ResetPeerParams(_ToxicParams):
    timeout: int = Field(0, ge=0, le=DAY_MS)


class SlowCloseParams(_ToxicParams):
    delay: int = Field(ge=0, le=DAY_MS, description="ms before the close")


class SlicerParams(_ToxicParams):
    average_size: int = Field(ge=1, le=1 << 24, description="bytes")
    size_variation: int = Field(0, ge=0, description="bytes, less than average_size")
    delay: int = Field(0, ge=0, le=DAY_MS * 1000, description="microseconds between slices")

    @field_validator("size_variation")
    @classmethod
    def _variation_below_average(cls, variation: int, info: ValidationInfo) -> int:
        """Toxiproxy splits at the middle give or take size_variation: as large as
        average_size, a split falls outside its chunk, and Toxiproxy panics (every proxy
        with it)."""
        average = info.data.get("average_size")
        if average is not None and variation >= average:
            raise ValueError(f"must be less than average_size ({average}), got {variation}")
        return variation


class LimitDataParams(_ToxicParams):
    bytes: int = Field(ge=0, le=1 << 53)


TOXICS: dict[str, tuple[type[_ToxicParams], str]] = {
    "latency": (LatencyParams, "adds latency (latency, jitter ms)"),
    "bandwidth": (BandwidthParams, "limits bandwidth (rate KB/s)"),
    "timeout": (TimeoutParams, "stops all data; closes after timeout ms (0: never)"),
    "reset_peer": (ResetPeerParams, "resets connections (TCP RST) after timeout ms"),
    "slow_close": (SlowCloseParams, "delays the close by delay ms"),
    "slicer": (SlicerParams, "slices data into small packets"),
    "limit_data": (LimitDataParams, "closes the connection after bytes"),
}


def _targets(config: LabConfig) -> list[str]:
    return [p.name for p in catalogue.proxies(config)]


def _prepare_toxic(lab: ToxiproxyAccess, entry: LedgerEntry, _params: _ToxicParams) -> ToxicHandle:
    _known_proxy(lab, entry.target)
    return ToxicHandle(proxy=entry.target, toxic=f"chaoskit-{entry.id}")


def _known_proxy(lab: ToxiproxyAccess, name: str) -> None:
    """A missing proxy is an error before anything is written or faulted."""
    proxies = lab.toxiproxy().proxies()
    if name not in proxies:
        raise ToxiproxyError(f"no proxy named {name!r}; proxies: {', '.join(proxies) or 'none'}")


def _inject_toxic(lab: ToxiproxyAccess, entry: LedgerEntry, params: _ToxicParams) -> None:
    handle = handle_of(entry.handle, ToxicHandle)
    attributes = params.model_dump(exclude={"stream"})
    lab.toxiproxy().add_toxic(
        handle.proxy,
        entry.kind.split(".", 1)[1],
        handle.toxic,
        attributes,
        stream=params.stream,
        toxicity=entry.probability,
    )


def _revert_toxic(lab: ToxiproxyAccess, entry: LedgerEntry) -> None:
    handle = handle_of(entry.handle, ToxicHandle)
    lab.toxiproxy().remove_toxic(handle.proxy, handle.toxic)


def _toxic_gone(lab: ToxiproxyAccess, entry: LedgerEntry) -> bool:
    handle = handle_of(entry.handle, ToxicHandle)
    return all(t["name"] != handle.toxic for t in lab.toxiproxy().toxics(handle.proxy))


def _prepare_down(lab: ToxiproxyAccess, entry: LedgerEntry, _params: NoParams) -> ProxyHandle:
    _known_proxy(lab, entry.target)
    return ProxyHandle(proxy=entry.target)


def _inject_down(lab: ToxiproxyAccess, entry: LedgerEntry, _params: NoParams) -> None:
    lab.toxiproxy().set_enabled(handle_of(entry.handle, ProxyHandle).proxy, False)


def _revert_down(lab: ToxiproxyAccess, entry: LedgerEntry) -> None:
    lab.toxiproxy().set_enabled(handle_of(entry.handle, ProxyHandle).proxy, True)


def _proxy_up(lab: ToxiproxyAccess, entry: LedgerEntry) -> bool:
    return bool(lab.toxiproxy().proxies()[handle_of(entry.handle, ProxyHandle).proxy].enabled)


def _toxic_kind(name: str) -> FaultKind[_ToxicParams, ToxicHandle]:
    params, summary = TOXICS[name]
    return FaultKind(
        kind=f"toxiproxy.{name}",
        summary=summary,
        params=params,
        targets=_targets,
        prepare=_prepare_toxic,
        inject=_inject_toxic,
        revert=_revert_toxic,
        is_reverted=_toxic_gone,
        backends=("local", "compose"),
        carried_by="toxiproxy",
        probabilistic=True,
    )


TOXIPROXY_FAULTS = [_toxic_kind(name) for name in TOXICS] + [
    FaultKind(
        kind="toxiproxy.down",
        summary="disables the proxy: connections are refused",
        params=NoParams,
        targets=_targets,
        prepare=_prepare_down,
        inject=_inject_down,
        revert=_revert_down,
        is_reverted=_proxy_up,
        backends=("local", "compose"),
        carried_by="toxiproxy",
    )
]
