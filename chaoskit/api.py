"""chaoskit from Python: open the lab, put a fault in for the length of a ``with`` block,
measure what a probe saw meanwhile. The pytest plugin (``chaoskit.pytest_plugin``) is this
API with fixtures around it.

A fault here is a fault as a run makes it: validated against the lab, written to the ledger
with its expiry before it exists, reverted and verified when the block ends (also on an
exception, Ctrl-C, SIGTERM or a hangup), and ended by the lab itself (the DNS server, the
watchdog) once its duration has passed if the Python process is killed outright.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import psutil

from chaoskit._errors import ChaoskitError, InvalidInput
from chaoskit._signals import deferring, interrupting
from chaoskit.experiment.durations import parse_duration
from chaoskit.experiment.events import FaultInjected, FaultReverted, RunEvents
from chaoskit.experiment.faults import REGISTRY, unknown_kind_message
from chaoskit.experiment.injection import EXPIRY_GRACE_S, inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab import catalogue, process
from chaoskit.lab.lock import LabLock
from chaoskit.measure import Measurement, Probe

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend
    from chaoskit.lab.config import LabConfig

__all__ = ["ActiveFault", "FaultConflict", "FaultNotReverted", "Lab", "LabEndpoint"]

DEFAULT_DURATION_S = 60.0
"""How long a fault may last when the caller gives no duration: the lab ends it then."""
ACTIVE_WITHIN_S = 5.0
"""How long an injected fault has to show that it is in force."""
STARTED_MARK = "api-started"
"""In the state directory while the lab is up because ``Lab.open`` brought it up."""


class FaultConflict(ChaoskitError):
    """Another fault is in force on the same target (another test, worker or run)."""

    exit_code = 2


class FaultNotReverted(ChaoskitError):
    """A fault's revert could not be verified; it stays in the ledger for ``recover``."""


@dataclass(frozen=True)
class LabEndpoint:
    """Where a lab component is reached: ``host`` is its lab name when it has one (a
    dependency's or region's DNS name, through its proxy), ``address`` the IP behind it."""

    name: str
    host: str
    port: int
    address: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class Lab:
    """A lab that is up, for Python callers. ``Lab.open()`` brings it up if it is not (and
    ``close`` stops it again once the last user is gone); faults and measurements come from
    it."""

    def __init__(self, backend_lab: LabBackend, started: bool = False) -> None:
        self.backend_lab = backend_lab
        self.started = started
        self.events = RunEvents()
        """``FaultInjected`` and ``FaultReverted`` for every fault put in through this lab,
        ``t`` in seconds since ``t0``; measurements and the pytest plugin subscribe."""
        self.t0 = time.monotonic()
        self._user_file: Path | None = None
        self._closed = False

    # ---- opening and closing ---------------------------------------------------------------
    @classmethod
    def open(
        cls,
        lab_file: str | Path | None = None,
        *,
        state_dir: str | Path | None = None,
        backend: str = "auto",
        up: bool = True,
    ) -> Lab:
        """The lab in ``state_dir`` (default: ``CHAOSKIT_STATE_DIR``, else ``./.chaoskit``):
        the one that is up, else the one ``lab_file`` describes (default: ``CHAOSKIT_LAB``,
        else ``./chaoskit.yaml``, else the sample stack), brought up when ``up``. Refused
        while the ledger holds faults a killed controller left behind."""
        from chaoskit.lab.open import open_lab, wanted_lab

        directory, config = wanted_lab(lab_file, state_dir)
        backend_lab = open_lab(directory, backend, auto_default="local", config=config)
        _clear_or_refuse_orphans(backend_lab)
        lab = cls(backend_lab)
        lab._register()
        try:
            if up:
                lab._bring_up()
        except BaseException:
            lab._unregister()  # a failed `up` leaves nothing running, and no user behind
            (directory / STARTED_MARK).unlink(missing_ok=True)
            raise
        return lab

    def _bring_up(self) -> None:
        backend_lab = self.backend_lab
        with backend_lab.changing():
            # a lab that is up is used as it is: an `up` would restart a component that
            # another test process has just killed on purpose
            if not backend_lab.state.components:
                (self.state_dir / STARTED_MARK).write_text(str(os.getpid()))
                self.started = True
                backend_lab.up()
            elif not _infrastructure_answers(backend_lab):
                backend_lab.up()  # a lab left in the state directory, gone since (a reboot)

    def _register(self) -> None:
        """A file per open Lab (``PID.N``) holding its process's start time."""
        users = self.state_dir / "api-users"
        users.mkdir(parents=True, exist_ok=True)
        self._user_file = users / f"{os.getpid()}.{secrets.token_hex(4)}"
        self._user_file.write_text(str(process.start_time(os.getpid())))

    def _unregister(self) -> None:
        if self._user_file is not None:
            self._user_file.unlink(missing_ok=True)

    def close(self, keep: bool = False) -> list[str]:
        """Done with the lab. The last user of a lab that ``Lab.open`` brought up stops it
        (unless ``keep``); what was stopped."""
        if self._closed:
            return []
        self._closed = True
        self._unregister()
        mark = self.state_dir / STARTED_MARK
        with self.backend_lab.changing():
            if keep or not mark.exists() or _live_users(self.state_dir / "api-users"):
                return []
            mark.unlink(missing_ok=True)
            return self.backend_lab.down()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- what is in the lab -----------------------------------------------------------------
    @property
    def config(self) -> LabConfig:
        return self.backend_lab.config

    @property
    def state_dir(self) -> Path:
        return self.backend_lab.state_dir

    @property
    def backend(self) -> str:
        return self.backend_lab.backend

    def url(self, name: str) -> str:
        """``http://host:port`` of a service (a sample service or one of the lab file's)."""
        if name not in catalogue.service_names(self.config):
            known = ", ".join(catalogue.service_names(self.config)) or "none"
            raise InvalidInput(f"no service {name!r} in the lab; known: {known}")
        return catalogue.service_url(self.config, name)

    def endpoint(self, name: str) -> LabEndpoint:
        """Where a dependency or a DynamoDB region is reached through its proxy, by its lab
        name; or where a service listens."""
        for proxy in catalogue.proxies(self.config):
            if proxy.name == name:
                host = proxy.record.rstrip(".") or proxy.listen.host
                return LabEndpoint(name, host, proxy.listen.port, proxy.listen.host)
        if name in catalogue.service_names(self.config):
            listen = self.url(name).removeprefix("http://")
            host, _, port = listen.rpartition(":")
            return LabEndpoint(name, host, int(port), host)
        known = [p.name for p in catalogue.proxies(self.config)]
        known += catalogue.service_names(self.config)
        raise InvalidInput(f"no dependency or service {name!r} in the lab; known: "
                           f"{', '.join(known)}")  # fmt: skip

    # ---- faults and measurements --------------------------------------------------------------
    def fault(
        self, kind: str, target: str, duration: str | float | None = None, **params: Any
    ) -> ActiveFault:
        """A fault for the length of a ``with`` block: in force (and verified so) when the
        block starts, reverted and verified when it ends. ``duration`` (default 60 s) is the
        most it lasts: the lab ends it then even if this process is gone."""
        seconds = DEFAULT_DURATION_S if duration is None else _duration(duration)
        _validate(self, kind, target, params)
        return ActiveFault(self, kind, REGISTRY[kind].canonical_target(target), seconds, params)

    def measure(self, probe: Probe, hz: float = 20.0, consecutive: int = 3) -> Measurement:
        """Record ``probe`` (a URL, or a callable returning success) ``hz`` times a second
        while a ``with`` block runs; faults put in meanwhile are marked on its timeline."""
        return Measurement(probe, hz=hz, consecutive=consecutive, events=self.events,
                           origin=self.t0)  # fmt: skip


class ActiveFault:
    """One fault as a context manager (``Lab.fault``)."""

    def __init__(
        self, lab: Lab, kind: str, target: str, duration_s: float, params: dict[str, Any]
    ) -> None:
        self.lab, self.kind, self.target = lab, kind, target
        self.duration_s, self.params = duration_s, params
        self.entry: LedgerEntry | None = None
        self.injected_at: float | None = None
        """``time.monotonic()`` when it was in force."""
        self.reverted_at: float | None = None
        self.verified: bool | None = None
        """Whether the revert was verified; None before it."""
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> ActiveFault:
        from chaoskit.lab.open import lab_is_up

        if not lab_is_up(self.lab.state_dir):  # opened with up=False, or brought down since
            raise ChaoskitError(
                f"no lab is up in {self.lab.state_dir} to put {self.kind} in: `Lab.open()` "
                "brings one up (unless up=False), as `chaoskit up` does"
            )
        try:
            self._stack.enter_context(LabLock(self.lab.state_dir).shared())
            self._stack.enter_context(_target_claim(self.lab.state_dir, self.target))
            self._stack.enter_context(interrupting())  # SIGTERM, a hangup: as Ctrl-C
            self._refuse_if_faulted_elsewhere()
            self._inject()
        except BaseException:
            try:  # interrupted once in force, before the block began: not left in force
                self.revert(raising=False)
            finally:
                self._stack.close()
            raise
        return self

    def _refuse_if_faulted_elsewhere(self) -> None:
        ledger = Ledger(self.lab.state_dir)
        for entry in ledger.entries():
            if entry.target == self.target and entry.reverted_by is None:
                raise FaultConflict(
                    f"{self.target} is already under {entry.kind} (ledger entry {entry.id}, "
                    f"from {entry.run}); one fault per target at a time"
                )

    def _inject(self) -> None:
        backend_lab, ledger = self.lab.backend_lab, Ledger(self.lab.state_dir)
        now = time.time()
        entry = LedgerEntry(
            run=f"python:{os.getpid()}", kind=self.kind, target=self.target,
            params=self.params, duration_s=self.duration_s, written_at=now,
            expires_at=now + self.duration_s + EXPIRY_GRACE_S,
        )  # fmt: skip
        self.entry = inject_fault(backend_lab, ledger, entry)
        kind = REGISTRY[self.kind]
        deadline = time.monotonic() + ACTIVE_WITHIN_S
        while not kind.momentary and kind.is_reverted(backend_lab, self.entry):
            if time.monotonic() > deadline:
                self.verified = revert_fault(backend_lab, ledger, self.entry).verified
                raise ChaoskitError(
                    f"{self.kind} on {self.target} was put in but was not in force within "
                    f"{ACTIVE_WITHIN_S:g}s; it has been reverted"
                )
            time.sleep(0.02)
        self.injected_at = time.monotonic()
        self.lab.events.emit(FaultInjected(
            self.injected_at - self.lab.t0, self.kind, self.target, self.params,
            ledger_id=self.entry.id, revert_due_t=self.injected_at - self.lab.t0 + self.duration_s,
            expires_at=self.entry.expires_at,
        ))  # fmt: skip

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.revert(raising=exc is None)
        finally:
            self._stack.close()

    def revert(self, raising: bool = True) -> bool:
        """Take the fault out and verify it; idempotent. Unverified: FaultNotReverted (the
        entry stays in the ledger for ``chaoskit recover``), or False when not ``raising``."""
        if self.entry is None:
            return True
        if self.verified is not None:
            return self.verified
        with deferring():  # Ctrl-C or SIGTERM now: after the revert, not half way through it
            outcome = revert_fault(self.lab.backend_lab, Ledger(self.lab.state_dir), self.entry)
            self.verified = outcome.verified
            self.reverted_at = outcome.ended_at or time.monotonic()
            self.lab.events.emit(FaultReverted(
                self.reverted_at - self.lab.t0, self.kind, self.target, outcome.verified,
                ledger_id=self.entry.id, error=outcome.error,
            ))  # fmt: skip
        if not outcome.verified and raising:
            raise FaultNotReverted(
                f"could not verify the revert of {self.kind} on {self.target} "
                f"({outcome.error}); run `chaoskit recover`"
            )
        return outcome.verified


def _infrastructure_answers(backend_lab: LabBackend) -> bool:
    """Whether the lab's DNS server and watchdog processes recorded in the state are still
    running (no health timing involved: a loaded machine must not look like a reboot)."""
    records = [backend_lab.state.components.get(n) for n in ("dns", "watchdog")]
    return all(
        process.is_running(r.pid, r.create_time)
        for r in records
        if r is not None and r.pid is not None
    )


def _duration(value: str | float) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise InvalidInput(f"duration: {exc}") from None
    if seconds <= 0:
        raise InvalidInput("duration: a fault lasts more than 0s")
    return seconds


def _validate(lab: Lab, kind_name: str, target: str, params: dict[str, Any]) -> None:
    """What a run's experiment file would be told, before anything is touched."""
    from pydantic import ValidationError

    from chaoskit.experiment.load import target_matches

    kind = REGISTRY.get(kind_name)
    if kind is None:
        raise InvalidInput(unknown_kind_message(kind_name))
    if lab.backend not in kind.backends:
        raise InvalidInput(f"{kind_name} needs the {' or '.join(kind.backends)} backend; this "
                           f"lab is on {lab.backend}")  # fmt: skip
    known = kind.targets(lab.config)
    if not target_matches(target, known, kind.target_patterns):
        raise InvalidInput(f"{target!r} is not a target of {kind_name}; known: "
                           f"{', '.join(known)}")  # fmt: skip
    try:
        kind.params.model_validate(params)
    except ValidationError as exc:
        said = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"{kind_name} params: {said}") from None


@contextlib.contextmanager
def _target_claim(state_dir: Path, target: str) -> Any:
    """One fault per target across processes: an exclusive lock while the fault is in."""
    claims = state_dir / "fault-targets"
    claims.mkdir(parents=True, exist_ok=True)
    path = claims / re.sub(r"[^A-Za-z0-9._-]", "_", target)
    with path.open("a+") as claim:
        try:
            fcntl.flock(claim.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            claim.seek(0)
            holder = claim.read().strip() or "another process"
            raise FaultConflict(
                f"{target} is already under a fault from {holder}; one fault per target at a time"
            ) from None
        claim.truncate(0)
        claim.write(f"pid {os.getpid()}")
        claim.flush()
        try:
            yield
        finally:
            claim.truncate(0)


def _live_users(users: Path) -> list[str]:
    """The processes that have the lab open (their files; a dead one's are removed)."""
    live = []
    for user in users.glob("*") if users.is_dir() else []:
        try:
            pid = int(user.name.partition(".")[0])
            alive = process.start_time(pid) == float(user.read_text())
        except (ValueError, OSError, psutil.Error):
            alive = False
        if alive:
            live.append(user.name)
        else:
            user.unlink(missing_ok=True)
    return live


def _clear_or_refuse_orphans(backend_lab: LabBackend) -> None:
    """The ledger check every run makes (``chaoskit.experiment.orphans``). The faults of a
    live controller (another test process on the same lab) are its own business."""
    from chaoskit.experiment.orphans import clear_or_refuse_orphans

    def live(entries: list[LedgerEntry]) -> set[str]:
        return {e.id for e in entries if psutil.pid_exists(e.controller_pid)}

    clear_or_refuse_orphans(backend_lab, live)
