"""The embedded default backend: every lab component as a local process on loopback."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chaoskit._errors import ChaoskitError, ComponentError, InvalidInput
from chaoskit.dns.client import DnsAdminClient
from chaoskit.lab import catalogue, process
from chaoskit.lab.backend import LabBackend, changed_profiles, quiet
from chaoskit.lab.components import (
    choose_dynamodb_engine,
    endpoint_fields,
    health_check,
    lab_components,
    service_components,
)
from chaoskit.lab.config import LabConfig
from chaoskit.lab.ports import ensure_free
from chaoskit.lab.state import ComponentRecord, LabState
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.resolver.unbound import outside_policy
from chaoskit.services import FLEET_START_ENV
from chaoskit.services.resilience.settings import ServiceProfile

__all__ = ["LocalLab", "changed_profiles", "quiet"]


def put_lab_records(admin: DnsAdminClient, config: LabConfig) -> None:
    """The lab's A records on a DNS server chaoskit did not start (which serves the lab
    zone: ``up`` checked), each set unless it already holds that address."""
    for name, address in catalogue.lab_records(config):
        held = [r for r in admin.records(name) if r["type"] == "A"]
        if [v for r in held for v in r.get("values", [])] != [address]:
            admin.set_record(name, "A", [address], ttl=config.record_ttl)


def lift_lab_faults(admin: DnsAdminClient, config: LabConfig) -> list[str]:
    """Lift the faults on the lab's own names, and no other (a DNS server that is not ours)."""
    ours = catalogue.lab_names(config)
    lifted = []
    for fault in admin.faults():
        if catalogue.bare_name(str(fault.get("name", ""))) in ours:
            admin.lift_fault(str(fault["id"]))
            lifted.append(str(fault["id"]))
    return lifted


class LocalLab(LabBackend):
    """Starts, checks and stops the lab's processes; state lives in ``state_dir``."""

    backend = "local"

    def __init__(
        self,
        state_dir: Path,
        config: LabConfig | None = None,
        dynamodb: str | None = None,
        echo: Callable[[str], None] = quiet,
    ) -> None:
        super().__init__(state_dir, config, echo)
        self.dynamodb_override = dynamodb

    def up(
        self,
        profiles: dict[str, ServiceProfile] | None = None,
        services: bool = True,
        resolver: ResolverProfile | None = None,
    ) -> LabState:
        with self.changing():
            return self._up(profiles, services, resolver)

    def start_again(self) -> None:
        with self.changing():
            self._up(None, True, None, await_services=False)

    def _up(
        self,
        profiles: dict[str, ServiceProfile] | None,
        services: bool,
        resolver: ResolverProfile | None,
        await_services: bool = True,
    ) -> LabState:
        """Start what is not running, wait for every component to be healthy, configure it.

        ``profiles`` sets a service's resilience profile, ``resolver`` the lab resolver's; a
        running component whose profile changes is restarted with the new one.
        ``services=False`` starts the infrastructure only (DNS, resolver, Toxiproxy, DynamoDB).
        ``await_services=False`` starts the services without waiting for them to be healthy.
        """
        started_at = time.monotonic()
        self.refresh()
        if self.config.dns_attach:
            self._check_attached_dns()
        for name, profile in changed_profiles(self.state, profiles).items():
            profile.resolve()
            self._stop(name)
            self.state.profiles[name] = profile
        if resolver is not None and resolver != self.state.resolver:
            resolver.resolve()  # a bad override fails here, before anything stops
            self._stop("resolver")
            self.state.resolver = resolver
        engine = choose_dynamodb_engine(self.config, self.dynamodb_override)
        if engine == "moto":
            why = "asked for" if self.dynamodb_override == "moto" else "java not found"
            self.echo(f"DynamoDB: using moto's server mode ({why}), not DynamoDB Local")
        specs = lab_components(
            self.config,
            self.state_dir,
            engine,
            self.echo,
            only_missing=lambda name: not self._running(name),
            resolver=self.state.resolver.resolve(),
        )
        service_specs = (
            service_components(
                self.config,
                self.state.profiles,
                only_missing=lambda name: not self._running(name),
                system_resolver=self.system_resolver(),
                state_dir=self.state_dir,
            )
            if services
            else []
        )
        for spec in service_specs:
            if (
                catalogue.sample_role(spec.name) == "fleet"
                and spec.name not in self.state.components
            ):
                spec.env[FLEET_START_ENV] = "leased"  # the lab starts it: hosts leased, as in a
                # steady state; a fleet that died (its record kept) comes back cold
        for spec in specs + service_specs:  # check every port before starting anything
            for host, port, udp in spec.ports:
                ensure_free(spec.name, host, port, udp=udp)
        launched: dict[str, ComponentRecord] = {}
        try:  # a program that cannot even start leaves nothing else running either
            launched.update({spec.name: self._launch(spec) for spec in specs})
            self.state.save(self.state_dir)
            for spec in specs:
                self._await_healthy(spec, launched[spec.name], started_at)
            self.configure()
            # the services start once DynamoDB answers: started alongside the JVMs, their
            # imports compete for the same two cores and the whole lab is no sooner healthy
            launched.update({spec.name: self._launch(spec) for spec in service_specs})
            self.state.save(self.state_dir)
            for spec in service_specs if await_services else []:
                self._await_healthy(spec, launched[spec.name], started_at)
        except BaseException:
            for spec in specs + service_specs:  # nothing half-started is left behind
                record = self.state.components.pop(spec.name, None)
                if record is not None:
                    process.stop(record.pid, record.create_time)
            if self.state.components:
                self.state.save(self.state_dir)
            else:  # no lab is up: no state, as after `down` (the next `up` reads the lab
                LabState.path(self.state_dir).unlink(missing_ok=True)  # file again)
            raise
        self.timings["total"] = time.monotonic() - started_at
        if services:
            self._launch_loadserver()
        self.state.save(self.state_dir)
        return self.state

    def _check_attached_dns(self) -> None:
        """Before anything starts: the attached DNS server answers its admin API, with the
        token given, and serves the lab zone."""
        try:
            with self.dns_admin() as admin:
                served = {str(z["origin"]).lower() for z in admin.zones()}
        except (ChaoskitError, OSError) as exc:
            raise ComponentError(
                "dns", f"the attached DNS server's admin API at {self.config.dns_admin} "
                f"(token {self.config.dns_token_path(self.state_dir)}) does not answer: {exc}",
            ) from None  # fmt: skip
        if self.config.zone.lower() not in served:
            raise ComponentError(
                "dns", f"the attached DNS server at {self.config.dns} does not serve "
                f"{self.config.zone} (it serves {', '.join(sorted(served)) or 'nothing'}): "
                "start it with a zone file for the lab zone (an SOA and an NS record are enough)",
            )  # fmt: skip

    def configure(self) -> None:
        """Every proxy in place and enabled, the lab records on the DNS server."""
        toxi = self.toxiproxy()
        for proxy in catalogue.proxies(self.config):
            toxi.ensure_proxy(proxy.name, str(proxy.listen), str(proxy.upstream))
        with self.dns_admin() as admin:
            if self.config.dns_attach:
                put_lab_records(admin, self.config)
                return
            names = {r["name"] for r in admin.records() if r["type"] == "A"}
            missing = [r for r, _ in catalogue.lab_records(self.config) if r not in names]
            if missing:  # a DNS server left running from before: put the lab records back
                admin.reload()

    def set_load_balancer(self, targets: int | None) -> None:
        """Put the sample load balancer in front of ``targets`` gateways (None: none). The
        components it adds start with the next ``up``; those it drops stop now, its name
        leaves the zone."""
        with self.changing():
            current = catalogue.load_balancer_targets(self.config)
            if targets == current:
                return
            if targets is not None and not self.config.sample_services:
                raise InvalidInput("the load balancer fronts the sample gateway; this lab runs "
                                   "no sample services")  # fmt: skip
            if current is not None:
                for name in ("lb", *self.config.lb.replica_names(), "haproxy"):
                    self._stop(name)
                with contextlib.suppress(ChaoskitError), self.dns_admin() as admin:
                    admin.delete_record(self.config.lb.record, "A")
            config = self.config
            self.state.config = (
                config.with_load_balancer(targets) if targets else config.without_load_balancer()
            )
            self.state.save(self.state_dir)

    def _stop(self, name: str) -> bool:
        record = self.state.components.pop(name, None)
        return record is not None and process.stop(
            record.pid, record.create_time, record.stop_timeout_s
        )

    def stop_services(self) -> None:
        """Stop every service under test (the sample services and the team's own), at once."""
        names = catalogue.service_names(self.config)
        if not names:
            return
        with self.changing(), ThreadPoolExecutor(len(names)) as pool:
            list(pool.map(self._stop, names))
            self.state.save(self.state_dir)

    def restart(self, name: str, await_serving: bool = True) -> None:
        """Stop component ``name`` and start it again with the same settings."""
        with self.changing():
            self._stop(name)
            self._up(None, True, None, await_services=await_serving)

    def status(self) -> dict[str, Any]:
        """Backend and, per component, pid, endpoint, engine, version and whether it is healthy."""
        self.refresh()
        components: dict[str, Any] = {}
        for name, record in self.state.components.items():
            alive = process.is_running(record.pid, record.create_time)
            components[name] = {
                "healthy": alive and health_check(name, self.config, self.state_dir)(),
                "running": alive,
                "endpoint": endpoint_fields(name, self.config),
                "address": record.endpoint,
                "pid": record.pid if alive else None,
                "engine": record.engine,
                "version": record.version,
                "log": record.log,
            }
            if name == "resolver":
                settings = self.state.resolver.resolve()
                components[name]["profile"] = self.state.resolver.model_dump()
                components[name]["outside_names"] = outside_policy(settings)
        return {
            "backend": self.backend,
            "state_dir": str(self.state_dir),
            "lab_file": self.config.lab_file,
            "toxiproxy_attached": self.config.toxiproxy_attach,
            "dns_attached": self.config.dns_attach,
            "components": components,
        }

    def down(self) -> list[str]:
        """Revert faults still in force, stop every process, free every port."""
        self.refresh()
        stopped: list[str] = []
        unreached: list[str] = []  # attached, so not stopped with the lab: faults may remain
        if self._running("dns"):
            with contextlib.suppress(ChaoskitError), self.dns_admin() as admin:
                admin.lift_all()
        elif self.config.dns_attach:  # not ours: lift only the faults on the lab's names
            try:
                with self.dns_admin() as admin:
                    lift_lab_faults(admin, self.config)
            except (ChaoskitError, OSError):
                unreached.append("dns")
        if self._running("toxiproxy"):
            with contextlib.suppress(ChaoskitError):
                self.toxiproxy().reset()
        elif self.config.toxiproxy_attach:  # not ours: end only our own proxies' toxics
            try:
                self.toxiproxy().clear(p.name for p in catalogue.proxies(self.config))
            except ChaoskitError:
                unreached.append("toxiproxy")
        self.left_running = {}
        for name in reversed(list(self.state.components)):
            record = self.state.components[name]
            if process.stop(record.pid, record.create_time, record.stop_timeout_s):
                stopped.append(name)
            elif (other := process.stranger(record.pid, record.create_time)) is not None:
                self.left_running[name] = other
        self.state.components.clear()
        path = LabState.path(self.state_dir)
        if path.exists():
            path.unlink()
        self._forget_faults_ended(tuple(unreached))
        return stopped
