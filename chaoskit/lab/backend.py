"""What every lab backend is: the lab's state and its clients (the DNS admin API,
Toxiproxy), the change lock, the host processes both backends start (the watchdog on
compose, every component on local), and the operations each backend implements its own way.

Everything outside ``chaoskit.lab`` that drives a lab (the runner, the faults, the game
day, the public API) is written against :class:`LabBackend`, never one backend.
"""

from __future__ import annotations

import abc
import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from chaoskit._errors import ComponentError, InvalidInput
from chaoskit.dns.client import DnsAdminClient
from chaoskit.lab import catalogue, process
from chaoskit.lab.components import (
    FORKSERVER_SOCKET,
    LOADSERVER_SOCKET,
    ComponentSpec,
    loadserver_component,
    loadserver_wanted,
)
from chaoskit.lab.config import LabConfig
from chaoskit.lab.health import unix_accepts, wait_until
from chaoskit.lab.state import ComponentRecord, LabState
from chaoskit.lab.system_resolver import SystemResolver
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.services.resilience.settings import ServiceProfile

if TYPE_CHECKING:
    from chaoskit.experiment.ledger import LedgerEntry
    from chaoskit.toxiproxy import ToxiproxyAdapter

__all__ = ["LabBackend", "changed_profiles", "quiet"]

LOADSERVER_WAIT_S = 5.0


def quiet(_: str) -> None:
    """The echo of a lab nobody watches."""


def changed_profiles(
    state: LabState, profiles: dict[str, ServiceProfile] | None
) -> dict[str, ServiceProfile]:
    """The services whose profile ``profiles`` changes; an unknown service is an input error.
    Profiles are the sample services' (a team's own service has its own configuration)."""
    samples = catalogue.sample_services(state.config)
    for name in profiles or {}:
        if name not in samples:
            known = ", ".join(samples) or "none (this lab runs no sample services)"
            raise InvalidInput(f"no service {name!r} in the lab; known services: {known}")
    return {
        name: profile
        for name, profile in (profiles or {}).items()
        if state.profiles.get(name, ServiceProfile()) != profile
    }


def _last_words(log: str | None, lines: int = 3) -> str:
    """The end of a component's log, to say why it did not start without opening the file."""
    if log is None:
        return ""
    try:
        with open(log, "rb") as source:
            source.seek(0, os.SEEK_END)
            source.seek(max(0, source.tell() - 4096))
            tail = source.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    said = [line.strip() for line in tail if line.strip() and not line.startswith("--- ")]
    return f"; its log ends: {' | '.join(said[-lines:])[:400]}" if said else ""


def _spawned(spec: ComponentSpec, log: Path, env: dict[str, str] | None) -> tuple[int, float]:
    proc = process.spawn(spec.command, log, env, cwd=spec.cwd)
    return proc.pid, process.start_time(proc.pid)


class LabBackend(abc.ABC):
    """A lab on one backend; state lives in ``state_dir``."""

    backend: str

    def __init__(
        self,
        state_dir: Path,
        config: LabConfig | None = None,
        echo: Callable[[str], None] = quiet,
    ) -> None:
        self.state_dir = state_dir
        saved = LabState.load(state_dir)
        self.state = saved or LabState(backend=self.backend, config=config or LabConfig())
        if config is not None and saved is None:
            self.state.config = config
        if saved is None:
            self.state.lb_configured = catalogue.load_balancer_targets(self.state.config)
        self.echo = echo
        self.timings: dict[str, float] = {}
        self.left_running: dict[str, str] = {}
        """After ``down``: components whose recorded pid runs a process the lab did not
        start (not stopped: it may be anyone's), by name."""
        self.forgotten: list[LedgerEntry] = []
        """After ``down``: the ledger's faults (a killed controller's) that it ended."""
        self._changing = False

    @property
    def config(self) -> LabConfig:
        return self.state.config

    def dns_admin(self, actor: str = "chaoskit") -> DnsAdminClient:
        return DnsAdminClient.from_token_file(
            f"http://{self.config.dns_admin}",
            self.config.dns_token_path(self.state_dir),
            actor=actor,
        )

    def toxiproxy(self) -> ToxiproxyAdapter:
        from chaoskit.toxiproxy import ToxiproxyAdapter  # its client library loads requests

        return ToxiproxyAdapter(self.config.toxiproxy.host, self.config.toxiproxy.port)

    def refresh(self) -> None:
        """Take in what another process (another ``chaoskit`` command) changed."""
        saved = LabState.load(self.state_dir)
        if saved is not None:
            self.state = saved

    def _running(self, name: str) -> bool:
        record = self.state.components.get(name)
        return record is not None and process.is_running(record.pid, record.create_time)

    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the lab's change lock: one process at a time starts or stops components (a
        watchdog restarting a killed service while a run restarts it too). Re-entrant."""
        if self._changing:
            yield
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.state_dir / "lab.change.lock").open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            self._changing = True
            try:
                self.refresh()
                yield
            finally:
                self._changing = False

    @abc.abstractmethod
    def up(
        self,
        profiles: dict[str, ServiceProfile] | None = None,
        services: bool = True,
        resolver: ResolverProfile | None = None,
    ) -> LabState:
        """Start what is not running (the services in ``profiles`` afresh in that profile,
        the resolver in ``resolver``), configure it, and wait until all of it is healthy."""

    def start_again(self) -> None:
        """Start what is not running (``process.kill`` and ``restart``'s revert). The local
        backend does not wait for the services to be healthy: one may depend on another
        fault still in force (a fleet takes no lease while its database's name is blanked),
        and when it serves again is the run's recovery to measure. Here, where no process is
        faulted: ``up``."""
        self.up()

    @abc.abstractmethod
    def configure(self) -> None:
        """Every proxy in place and enabled, the lab records on the DNS server."""

    @abc.abstractmethod
    def set_load_balancer(self, targets: int | None) -> None:
        """Put the sample load balancer in front of ``targets`` gateways (None: none)."""

    @abc.abstractmethod
    def stop_services(self) -> None:
        """Stop every service under test."""

    @abc.abstractmethod
    def restart(self, name: str, await_serving: bool = True) -> None:
        """Stop component ``name`` and start it again with the same settings; with
        ``await_serving=False`` (``process.restart``, as ``start_again``) a service is not
        waited on to be healthy."""

    @abc.abstractmethod
    def status(self) -> dict[str, Any]:
        """Each component: running, healthy, where it answers (``status --json``)."""

    @abc.abstractmethod
    def down(self) -> list[str]:
        """Revert every fault still in force and stop everything; what was stopped."""

    def _forget_faults_ended(self, unreached: tuple[str, ...] = ()) -> None:
        """After the teardown, forget the ledger's faults it ended (a killed controller's),
        so that no run is refused and no ``recover`` fails over a lab that is gone: every
        component the lab started is stopped, its DNS faults lifted, its toxics removed. A
        fault held in a control file instead (an enactor delay, a load surge) is reverted
        here and forgotten once verified. Kept, for ``recover``: faults on a DNS server or
        a Toxiproxy the lab attached to and could not reach (``unreached``: ``dns``,
        ``toxiproxy``; the load balancer's check toxics are on the Toxiproxy), a kind this
        version does not know, and every entry of a ledger that cannot be read."""
        from chaoskit.experiment.faults import REGISTRY  # the faults act on labs
        from chaoskit.experiment.ledger import Ledger, LedgerCorrupt
        from chaoskit.experiment.recover import revert_and_verify

        def ended(entry: LedgerEntry) -> bool:
            kind = REGISTRY.get(entry.kind)
            if kind is None:
                return False
            if not kind.ends_with_the_lab:  # unverified, it stays for recover
                return revert_and_verify(kind, self, entry)[0]
            on = "toxiproxy" if kind.family == "lb" else kind.family
            return on not in unreached

        ledger = Ledger(self.state_dir)
        if not ledger.path.exists():
            return  # no fault was ever made here: no lock to take, nothing to forget
        with contextlib.suppress(LedgerCorrupt):
            self.forgotten = ledger.forget(ended)

    def dns_clients(self) -> dict[str, str]:
        """Who asks the lab DNS server from which address: the resolver and each service."""
        return catalogue.dns_clients(self.config)

    def system_resolver(self) -> SystemResolver:
        """How a process gets the lab resolver as its system resolver (or why it cannot)."""
        return SystemResolver.for_lab(self.config.resolver, self.state_dir)

    def _launch(self, spec: ComponentSpec) -> ComponentRecord:
        log = self.state_dir / "logs" / f"{spec.name}.log"
        env = {**os.environ, **spec.env} if spec.env else None
        forked = self._fork(spec, log) if spec.forked else None
        pid, create_time = forked or _spawned(spec, log, env)
        record = ComponentRecord(
            name=spec.name,
            pid=pid,
            create_time=create_time,
            endpoint=spec.endpoint,
            log=str(log),
            engine=spec.engine,
            version=spec.version,
            stop_timeout_s=spec.stop_timeout_s,
        )
        self.state.components[spec.name] = record
        return record

    def _launch_loadserver(self) -> None:
        """The Locust fork server, once the rest of the lab is healthy, not waited for: its
        imports (about 0.65 s of a core) would lengthen a start that is bound by two cores.
        Until it listens a run waits for it (``load_zygote``)."""
        if self._running("loadserver") or not loadserver_wanted(self.state_dir):
            return
        self._launch(loadserver_component(self.config, self.state_dir))
        self.state.save(self.state_dir)

    def load_zygote(self) -> Path | None:
        """The socket of the lab's Locust fork server, when it runs one: waited for while it
        still imports (at most ``LOADSERVER_WAIT_S``; an exec'd Locust would import as long)."""
        record = self.state.components.get("loadserver")
        if record is None or not loadserver_wanted(self.state_dir):  # CHAOSKIT_LOADSERVER=0
            return None
        path = self.state_dir / LOADSERVER_SOCKET  # not its health check: that passes before
        wait_until(lambda: unix_accepts(path) or not self._running("loadserver"),  # it listens
                   LOADSERVER_WAIT_S, interval_s=0.02)  # fmt: skip
        return path if unix_accepts(path) else None

    def _fork(self, spec: ComponentSpec, log: Path) -> tuple[int, float] | None:
        """The service forked by the lab's fork server; None (exec it) when there is none."""
        from chaoskit.services.forkserver import ForkError, fork_service

        if spec.forked is None or not self._running("forkserver"):
            return None
        socket_path = self.state_dir / FORKSERVER_SOCKET
        try:
            pid = fork_service(socket_path, spec.forked, {**os.environ, **spec.env}, log, spec.cwd)
        except ForkError as exc:
            self.echo(f"{spec.name}: started by exec ({exc})")
            return None
        try:
            return pid, process.start_time(pid)
        except psutil.Error:  # gone already: _await_healthy says why, from its log
            return pid, 0.0

    def _await_healthy(self, spec: ComponentSpec, record: ComponentRecord, t0: float) -> None:
        def healthy_or_dead() -> bool:
            return spec.healthy() or not process.is_running(record.pid, record.create_time)

        wait_until(healthy_or_dead, spec.start_timeout_s)
        if not process.is_running(record.pid, record.create_time):
            code = process.exit_status(record.pid)
            why = "exited during start-up" + (f" (exit status {code})" if code is not None else "")
            raise ComponentError(spec.name, why + _last_words(record.log), record.log)
        if not spec.healthy():
            why = f"not healthy after {spec.start_timeout_s:g}s"
            raise ComponentError(spec.name, why + _last_words(record.log), record.log)
        self.timings[spec.name] = time.monotonic() - t0

    def restart_services(self) -> None:
        """Stop every sample service and start them afresh (same profiles)."""
        self.stop_services()
        self.up()
