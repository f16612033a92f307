"""``toxiproxy.*``: toxics on the proxies in front of each DynamoDB region, and ``down``.

Toxics have no expiry of their own; the lab's watchdog removes them when the ledger says
they have expired and the controller has not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from chaoskit.experiment.faults.base import FaultKind, NoParams, Params
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab.config import LabConfig

if TYPE_CHECKING:
    from chaoskit.lab.local import LocalLab

__all__ = ["TOXIPROXY_FAULTS"]

Stream = Literal["upstream", "downstream"]


class _ToxicParams(Params):
    stream: Stream = "downstream"


class LatencyParams(_ToxicParams):
    latency: int = Field(ge=0, description="milliseconds added to the data")
    jitter: int = Field(0, ge=0)


class BandwidthParams(_ToxicParams):
    rate: int = Field(ge=0, description="KB/s")


class TimeoutParams(_ToxicParams):
    timeout: int = Field(0, ge=0, description="ms before closing; 0 holds the data forever")


class ResetPeerParams(_ToxicParams):
    timeout: int = Field(0, ge=0)


class SlowCloseParams(_ToxicParams):
    delay: int = Field(ge=0, description="ms before the close")


class SlicerParams(_ToxicParams):
    average_size: int = Field(ge=1)
    size_variation: int = Field(0, ge=0)
    delay: int = Field(0, ge=0, description="microseconds between slices")


class LimitDataParams(_ToxicParams):
    bytes: int = Field(ge=0)


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
    return [r.proxy_name for r in config.regions]


def _toxic_name(entry: LedgerEntry) -> str:
    return f"chaoskit-{entry.id}"


def _inject_toxic(lab: LocalLab, entry: LedgerEntry) -> dict[str, Any]:
    attributes = dict(entry.params)
    stream = attributes.pop("stream", "downstream")
    lab.toxiproxy().add_toxic(
        entry.target,
        entry.kind.split(".", 1)[1],
        _toxic_name(entry),
        attributes,
        stream=stream,
        toxicity=entry.probability,
    )
    return {"toxic": _toxic_name(entry)}


def _revert_toxic(lab: LocalLab, entry: LedgerEntry) -> None:
    lab.toxiproxy().remove_toxic(entry.target, _toxic_name(entry))


def _toxic_gone(lab: LocalLab, entry: LedgerEntry) -> bool:
    return all(t["name"] != _toxic_name(entry) for t in lab.toxiproxy().toxics(entry.target))


def _inject_down(lab: LocalLab, entry: LedgerEntry) -> dict[str, Any]:
    lab.toxiproxy().set_enabled(entry.target, False)
    return {}


def _revert_down(lab: LocalLab, entry: LedgerEntry) -> None:
    lab.toxiproxy().set_enabled(entry.target, True)


def _proxy_up(lab: LocalLab, entry: LedgerEntry) -> bool:
    return bool(lab.toxiproxy().proxies()[entry.target].enabled)


def _toxic_kind(name: str) -> FaultKind:
    params, summary = TOXICS[name]
    return FaultKind(
        kind=f"toxiproxy.{name}",
        summary=summary,
        params=params,
        targets=_targets,
        inject=_inject_toxic,
        revert=_revert_toxic,
        is_reverted=_toxic_gone,
        backends=("local", "compose"),
    )


TOXIPROXY_FAULTS = [_toxic_kind(name) for name in TOXICS] + [
    FaultKind(
        kind="toxiproxy.down",
        summary="disables the proxy: connections are refused",
        params=NoParams,
        targets=_targets,
        inject=_inject_down,
        revert=_revert_down,
        is_reverted=_proxy_up,
        backends=("local", "compose"),
    )
]
