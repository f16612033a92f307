"""The lab against what it should be, not only against the ledger.

A component stopped (SIGSTOP, a paused container) or gone, a proxy missing or disabled, a
toxic or a DNS fault that no ledger entry accounts for: each is a :class:`Drift`, found by
asking the processes, Toxiproxy and the DNS server themselves. ``status`` and ``up`` name
them; ``recover`` repairs them and checks again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from chaoskit._errors import ChaoskitError
from chaoskit.experiment.handles import (
    ContainerHandle,
    DnsFaultHandle,
    ProcessHandle,
    ProxyHandle,
    ResolverHandle,
    ToxicHandle,
)
from chaoskit.experiment.ledger import LedgerEntry
from chaoskit.lab import catalogue, process
from chaoskit.resolver.control import UnboundControl

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend
    from chaoskit.lab.compose import ComposeLab

__all__ = ["PAUSING_KINDS", "Drift", "find_drift", "repair_drift"]

PAUSING_KINDS = frozenset({"process.pause", "resolver.down"})
"""Kinds whose ProcessHandle means a stopped (SIGSTOP) process, not a killed one."""


@dataclass(frozen=True)
class Drift:
    """One way the lab differs from what it should be, and what repairs it."""

    component: str
    problem: str
    remedy: str
    repair: Callable[[], object] = field(compare=False, repr=False)
    level: str = "component"
    """``absent`` (not running: ``up`` starts it), ``component`` (the process or container is
    stopped or paused) or ``fault`` (inside a component: a toxic, a DNS fault, a proxy)."""

    def describe(self) -> str:
        return f"{self.component}: {self.problem}"

    def as_json(self) -> dict[str, str]:
        return {"component": self.component, "problem": self.problem, "remedy": self.remedy}


@dataclass
class _Explained:
    """What the ledger's live entries account for."""

    paused: set[str] = field(default_factory=set)
    killed: set[str] = field(default_factory=set)
    containers: set[str] = field(default_factory=set)
    toxics: set[str] = field(default_factory=set)
    down: set[str] = field(default_factory=set)
    dns_ids: set[str] = field(default_factory=set)
    dns_actors: set[str] = field(default_factory=set)
    resolver_options: set[str] = field(default_factory=set)

    @classmethod
    def by(cls, entries: list[LedgerEntry]) -> _Explained:
        seen = cls()
        for entry in entries:
            if entry.reverted_by is not None:
                continue
            handle = entry.handle
            if isinstance(handle, ProcessHandle):
                (seen.paused if entry.kind in PAUSING_KINDS else seen.killed).add(entry.target)
            elif isinstance(handle, ContainerHandle):
                seen.containers.add(handle.service)
            elif isinstance(handle, ToxicHandle):
                seen.toxics.add(handle.toxic)
            elif isinstance(handle, ProxyHandle):
                seen.down.add(handle.proxy)
            elif isinstance(handle, ResolverHandle) and handle.option:
                seen.resolver_options.add(handle.option)
            elif isinstance(handle, DnsFaultHandle):
                seen.dns_ids.add(handle.fault_id)
                seen.dns_actors.add(handle.actor)
        return seen


def find_drift(lab: LabBackend, entries: list[LedgerEntry]) -> list[Drift]:
    """Every difference from the lab as it should be that ``entries`` do not account for."""
    lab.refresh()
    explained = _Explained.by(entries)
    states = _container_states(lab)
    found = _component_drift(lab, explained, states)
    if lab.config.toxiproxy_attach or _answering(lab, "toxiproxy", found, states):
        found += _toxiproxy_drift(lab, explained)
    if lab.config.dns_attach or _answering(lab, "dns", found, states):
        found += _dns_drift(lab, explained)
    if _answering(lab, "resolver", found, states):
        found += _resolver_drift(lab, explained)
    return found


def _container_states(lab: LabBackend) -> dict[str, str]:
    """The state of every container of a compose lab (none on the local backend)."""
    from chaoskit.lab.compose import ComposeLab

    return lab.container_states() if isinstance(lab, ComposeLab) else {}


def _answering(lab: LabBackend, name: str, found: list[Drift], states: dict[str, str]) -> bool:
    """Whether component ``name`` can answer its API: there, not drifted, and not stopped
    even by a fault the ledger explains (its API would only time out)."""
    record = lab.state.components.get(name)
    if record is None or any(d.component == name for d in found):
        return False
    if record.pid is None:  # a container
        return states.get(name) == "running"
    return process.is_running(record.pid, record.create_time) and not process.stopped_in_group(
        record.pid, record.create_time
    )


def _component_drift(lab: LabBackend, explained: _Explained, states: dict[str, str]) -> list[Drift]:
    found = []
    for name, record in lab.state.components.items():
        if record.pid is None:  # a container (compose backend)
            if name not in explained.containers:
                found += _container_drift(lab, name, states.get(name, "missing"))
            continue
        if not process.is_running(record.pid, record.create_time):
            if name not in explained.killed:
                problem = f"is not running (pid {record.pid} is gone)"
                found.append(Drift(name, problem, "start it", lab.up, "absent"))
        elif name not in explained.paused and process.stopped_in_group(
            record.pid, record.create_time
        ):
            problem = f"is stopped (SIGSTOP, state T): pid {record.pid}"
            thaw = partial(process.thaw_group, record.pid, record.create_time)
            found.append(Drift(name, problem, "thaw it (SIGCONT)", thaw))
    return found


def _container_drift(lab: LabBackend, name: str, status: str) -> list[Drift]:
    from chaoskit.lab.compose import ComposeLab

    if not isinstance(lab, ComposeLab):
        return []
    if status == "missing":
        return [Drift(name, "has no container", "create it (compose up)", lab.up, "absent")]
    if status == "paused":
        unpause = _on_container(lab, name, "unpause")
        return [Drift(name, "is paused (cgroup freezer)", "unpause it", unpause)]
    if status != "running":
        start = _on_container(lab, name, "start")
        return [Drift(name, f"is {status}, not running", "start it", start, "absent")]
    return []


def _on_container(lab: ComposeLab, name: str, action: str) -> Callable[[], None]:
    """The repair: ``action`` (unpause, start) on the container as it is when it runs."""

    def act() -> None:
        getattr(lab.container(name), action)()

    return act


def _toxiproxy_drift(lab: LabBackend, explained: _Explained) -> list[Drift]:
    toxi = lab.toxiproxy()
    try:
        proxies = toxi.proxies()
    except ChaoskitError as exc:
        return [Drift("toxiproxy", f"does not answer its API ({exc})", "restart it", lab.up)]
    found = []
    ours = [p.name for p in catalogue.proxies(lab.config)]
    for name in ours:
        proxy = proxies.get(name)
        if proxy is None:
            problem = f"proxy {name} is missing"
            found.append(Drift("toxiproxy", problem, "create it", lab.configure, "fault"))
        elif not proxy.enabled and name not in explained.down:
            problem = f"proxy {name} is disabled (not by chaoskit)"
            enable = partial(toxi.set_enabled, name, True)
            found.append(Drift("toxiproxy", problem, "enable it", enable, "fault"))
    for name in proxies if not lab.config.toxiproxy_attach else [n for n in ours if n in proxies]:
        for toxic in toxi.toxics(name):
            if toxic["name"] not in explained.toxics:
                what = f"toxic {toxic['name']} ({toxic.get('type')}) on proxy {name}"
                remove = partial(toxi.remove_toxic, name, toxic["name"])
                found.append(
                    Drift("toxiproxy", f"{what} has no ledger entry", "remove it", remove, "fault")
                )
    return found


def _dns_drift(lab: LabBackend, explained: _Explained) -> list[Drift]:
    try:
        with lab.dns_admin() as admin:
            faults = admin.faults()
            names = {r["name"] for r in admin.records() if r.get("type") == "A"}
    except (ChaoskitError, OSError) as exc:
        return [Drift("dns", f"does not answer its admin API ({exc})", "restart it", lab.up)]
    found = []
    ours = catalogue.lab_names(lab.config)
    for fault in faults:
        if fault.get("id") in explained.dns_ids or fault.get("actor") in explained.dns_actors:
            continue
        if lab.config.dns_attach and catalogue.bare_name(str(fault.get("name", ""))) not in ours:
            continue  # someone else's DNS server: only the lab's names are ours to judge
        what = f"DNS fault {fault.get('id')} ({fault.get('kind')} on {fault.get('name')})"
        lift = _lift(lab, str(fault.get("id")))
        found.append(Drift("dns", f"{what} has no ledger entry", "lift it", lift, "fault"))
    missing = [r for r, _ in catalogue.lab_records(lab.config) if r not in names]
    if missing:
        problem = f"lab records missing: {', '.join(missing)}"
        found.append(Drift("dns", problem, "reload the lab zone", lab.configure, "fault"))
    return found


def _resolver_drift(lab: LabBackend, explained: _Explained) -> list[Drift]:
    control = UnboundControl(lab.config.resolver_control.host, lab.config.resolver_control.port)
    try:
        ratelimit = control.get_option("ratelimit")
    except ChaoskitError as exc:
        return [Drift("resolver", f"does not answer its remote control ({exc})", "restart it",
                      partial(lab.restart, "resolver"))]  # fmt: skip
    if ratelimit == "0" or "ratelimit" in explained.resolver_options:
        return []
    problem = f"ratelimit {ratelimit} has no ledger entry"
    return [Drift("resolver", problem, "set it to 0",
                  partial(control.set_option, "ratelimit", "0"), "fault")]  # fmt: skip


def _lift(lab: LabBackend, fault_id: str) -> Callable[[], None]:
    def lift() -> None:
        with lab.dns_admin() as admin:
            admin.lift_fault(fault_id)

    return lift


def repair_drift(
    lab: LabBackend, drift: list[Drift], entries: list[LedgerEntry]
) -> list[tuple[Drift, bool, str]]:
    """Repair each drift, then look again: (drift, repaired, detail) for each."""
    attempted: list[tuple[Drift, str]] = []
    for item in sorted(drift, key=lambda d: d.level == "fault"):  # thaw before API calls
        try:
            item.repair()
            attempted.append((item, f"{item.remedy}: done"))
        except Exception as exc:
            attempted.append((item, f"{item.remedy}: failed ({type(exc).__name__}: {exc})"))
    remaining = {d.problem for d in find_drift(lab, entries)}
    return [(item, item.problem not in remaining, detail) for item, detail in attempted]
