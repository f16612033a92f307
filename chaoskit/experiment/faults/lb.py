"""``lb.check_failure``: the load balancer's health checks fail while the targets serve.

The ``lb`` control plane checks each target through a Toxiproxy proxy of its own
(``lb-checks-NAME``); HAProxy's traffic goes straight to the target. The fault puts a toxic
on those check paths only: every check fails (``probability: 1``) or a share of them does,
each check being a new connection (``probability: 0.5``: checks that flap, as NLB's did in
October 2025 when new instances' network state had not propagated). The traffic itself is
untouched, so every target the checks remove is healthy capacity lost. The lab's watchdog
removes the toxics at the fault's expiry if the controller cannot.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chaoskit._errors import InvalidInput
from chaoskit.experiment.faults.access import ToxiproxyAccess
from chaoskit.experiment.faults.base import FaultKind, Params
from chaoskit.experiment.handles import ToxicHandle, ToxicsHandle, handle_of
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab.config import LabConfig

__all__ = ["ALL_TARGETS", "LB_FAULTS"]

ALL_TARGETS = "all"


class CheckFailureParams(Params):
    mode: Literal["reset", "timeout"] = Field(
        default="reset",
        description="reset: the check's connection is reset at once; timeout: it hangs until "
        "the check's own timeout",
    )


def _targets(config: LabConfig) -> list[str]:
    return [ALL_TARGETS, *config.lb.targets()] if config.load_balanced else []


def _prepare(lab: ToxiproxyAccess, entry: LedgerEntry, _params: CheckFailureParams) -> ToxicsHandle:
    config = lab.config
    if not config.load_balanced:
        raise InvalidInput("lb.check_failure needs the sample load balancer (load_balancer:)")
    chosen = config.lb.targets() if entry.target == ALL_TARGETS else [entry.target]
    unknown = [t for t in chosen if t not in config.lb.targets()]
    if unknown:
        known = ", ".join(_targets(config))
        raise InvalidInput(f"no load balancer target {unknown[0]!r}; known: {known}")
    paths = [config.lb.check_proxy(t) for t in chosen]
    present = lab.toxiproxy().proxies()
    missing = [path for path in paths if path not in present]
    if missing:
        raise InvalidInput(f"the check path {missing[0]} is not in Toxiproxy: chaoskit up")
    toxic = f"chaoskit-{entry.id}"
    return ToxicsHandle(toxics=[ToxicHandle(proxy=path, toxic=toxic) for path in paths])


def _inject(lab: ToxiproxyAccess, entry: LedgerEntry, params: CheckFailureParams) -> None:
    toxi = lab.toxiproxy()
    kind, attributes = (
        ("reset_peer", {"timeout": 0}) if params.mode == "reset" else ("timeout", {"timeout": 0})
    )
    for toxic in handle_of(entry.handle, ToxicsHandle).toxics:
        toxi.add_toxic(toxic.proxy, kind, toxic.toxic, attributes, stream="upstream",
                       toxicity=entry.probability)  # fmt: skip


def _revert(lab: ToxiproxyAccess, entry: LedgerEntry) -> None:
    toxi = lab.toxiproxy()
    for toxic in handle_of(entry.handle, ToxicsHandle).toxics:
        toxi.remove_toxic(toxic.proxy, toxic.toxic)


def _reverted(lab: ToxiproxyAccess, entry: LedgerEntry) -> bool:
    toxi = lab.toxiproxy()
    present = toxi.proxies()
    return all(
        toxic.proxy not in present
        or all(t["name"] != toxic.toxic for t in toxi.toxics(toxic.proxy))
        for toxic in handle_of(entry.handle, ToxicsHandle).toxics
    )


LB_FAULTS = [
    FaultKind(
        kind="lb.check_failure",
        summary="the load balancer's health checks fail (all, or a share: probability) "
        "while its targets serve traffic; target: a target or all",
        params=CheckFailureParams,
        targets=_targets,
        prepare=_prepare,
        inject=_inject,
        revert=_revert,
        is_reverted=_reverted,
        backends=("local", "compose"),
        carried_by="toxiproxy",  # its toxics on the health checks' proxies
        probabilistic=True,
    )
]
