"""The compose backend: the same lab as containers, driven through ``docker compose``.

The controller stays on the host and reaches the lab through ports published on
127.0.0.1 (``ComposeSettings.host_config``); the services inside see each other, the DNS
server and Toxiproxy at fixed addresses on the lab network (``LabConfig.in_containers``)
and resolve names with glibc, pointed at the lab DNS server. The watchdog runs on the host,
as with the local backend, so faults end at their expiry even if the controller dies.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaoskit._errors import ChaoskitError, ComponentError, InvalidInput, MissingDependency
from chaoskit.lab import catalogue, process
from chaoskit.lab.backend import LabBackend, changed_profiles, quiet
from chaoskit.lab.components import (
    endpoint_fields,
    endpoint_of,
    haproxy_layout,
    health_check,
    watchdog_component,
    write_lab_zone,
)
from chaoskit.lab.compose_lb import (
    HAPROXY_CONFIG,
    OVERRIDE,
    load_balancer_services,
    write_override,
)
from chaoskit.lab.compose_team import (
    TEAM_FILE,
    TEAM_OVERRIDE,
    normalized,
    team_overrides,
    team_services,
    write_compose_file,
)
from chaoskit.lab.config import SERVICE_NAMES, ComposeSettings, ComposeStack, LabConfig
from chaoskit.lab.docker_engine import compose_command, compose_file, container_of, docker_client
from chaoskit.lab.health import wait_until
from chaoskit.lab.state import ComponentRecord, LabState
from chaoskit.lb.haproxy import render_haproxy_config
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.resolver.unbound import UnboundLayout, render_config
from chaoskit.services.resilience.settings import ServiceProfile

if TYPE_CHECKING:
    from docker.models.containers import Container

__all__ = ["ComposeLab"]

IMAGE_VARIABLES = ("CHAOSKIT_IMAGE", "CHAOSKIT_BASE_IMAGE", "TOXIPROXY_IMAGE", "DYNAMODB_IMAGE")
CHAOSKIT_IMAGE_DEFAULT = "chaoskit:latest"
"""compose/docker-compose.yml's image for the lab's own containers when none is named."""
START_TIMEOUT_S = 180.0
"""DynamoDB Local's JVM and the services' imports share two cores with the engine."""
STOP_TIMEOUT_S = 5
"""As ``compose down -t 5``: a sample service ends on SIGTERM well within it."""


def _each(names: list[str], act: Callable[[str], object]) -> set[str]:
    """``act`` on every name at once; the names it was done for (an engine error leaves
    that one to compose)."""
    from docker.errors import APIError

    def done(name: str) -> bool:
        try:
            act(name)
        except APIError:
            return False
        return True

    if not names:
        return set()
    with ThreadPoolExecutor(len(names)) as pool:
        return {name for name, ok in zip(names, pool.map(done, names), strict=True) if ok}


class ComposeLab(LabBackend):
    backend = "compose"

    def __init__(
        self,
        state_dir: Path,
        settings: ComposeSettings | None = None,
        echo: Callable[[str], None] = quiet,
        lb_targets: int | None = None,
        lab_file: str | None = None,
    ) -> None:
        """For a lab not brought up yet: the one the lab file ``lab_file`` describes (its
        own compose services, dependencies and names, see ``compose_team``), with the
        sample load balancer in front of ``lb_targets`` gateways as its ``load_balancer:``
        configures it."""
        super().__init__(state_dir, echo=echo)
        if self.state.compose is None:
            chosen = settings or ComposeSettings()
            images = {k: os.environ[k] for k in IMAGE_VARIABLES if os.environ.get(k)}
            chosen = chosen.model_copy(update={"images": {**images, **chosen.images}})
            config = chosen.host_config().model_copy(update={"lab_file": lab_file})
            self.state = LabState(backend=self.backend, config=config, compose=chosen)
            self._describe(lb_targets)
            self.state.lb_configured = lb_targets

    @property
    def settings(self) -> ComposeSettings:
        assert self.state.compose is not None
        return self.state.compose

    @property
    def inside(self) -> LabConfig:
        """The lab as its containers see it."""
        if self.state.stack is not None:
            return self.state.stack.inside
        targets = catalogue.load_balancer_targets(self.config)
        return LabConfig.in_containers(self.settings.net, self.settings.west_net, targets)

    @property
    def stack(self) -> ComposeStack | None:
        """The lab file's own compose services, when it has any."""
        stack = self.state.stack
        return stack if stack is not None and stack.containers else None

    def team_components(self) -> list[str]:
        """The lab file's dependencies, then its services, that are its compose services."""
        return [*catalogue.dependency_containers(self.config), *(a.name for a in self.config.apps)]

    def compose_service(self, component: str) -> str:
        """The compose service of a component: its own name, unless the lab file's
        ``compose.dependencies`` gives the dependency another."""
        stack = self.state.stack
        return stack.containers.get(component, component) if stack else component

    def infrastructure(self) -> list[str]:
        found = ["dns", "resolver", "toxiproxy", *(r.component for r in self.config.regions)]
        return [*found, "haproxy"] if self.config.load_balanced else found

    def services(self) -> tuple[str, ...]:
        """The sample services, with the load balancer's replicas and control plane, and
        the lab file's compose services: its dependencies, then its services."""
        return (*catalogue.sample_services(self.config), *self.team_components())

    # -- compose ---------------------------------------------------------------------------

    def _compose_env(self) -> dict[str, str]:
        env = {
            **self.settings.images,
            "CHAOSKIT_NET": self.settings.net,
            "CHAOSKIT_WEST_NET": self.settings.west_net,
            "CHAOSKIT_STATE_DIR": str(self.state_dir.resolve()),
            "CHAOSKIT_ZONE": self.config.zone.rstrip("."),
            **{k: str(v) for k, v in self.settings.ports().items()},
        }
        for name in SERVICE_NAMES:
            profile = self.state.profiles.get(name, ServiceProfile())
            env[f"CHAOSKIT_PROFILE_{name.upper()}"] = profile.profile
            env[f"CHAOSKIT_RESILIENCE_{name.upper()}"] = json.dumps(profile.overrides)
        return env

    def compose(self, *args: str, timeout_s: float = 600) -> str:
        """Run ``docker compose -p PROJECT -f FILE ARGS``; its output, or ComponentError
        with the end of what it printed."""
        files = ["-f", str(compose_file())]
        for extra in (TEAM_FILE, TEAM_OVERRIDE, OVERRIDE):  # the team's; the load balancer's
            if (self.state_dir / extra).exists():
                files += ["-f", str((self.state_dir / extra).resolve())]
        argv = [*compose_command(), "-p", self.settings.project, *files, *args]
        return self._compose_run(argv, args, timeout_s)

    def _compose_run(self, argv: list[str], args: tuple[str, ...], timeout_s: float) -> str:
        log = self.state_dir / "logs" / "compose.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(
                argv,
                env={**os.environ, **self._compose_env()},
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            message = f"`{' '.join(args)}` took over {timeout_s:.0f}s"
            raise ComponentError("compose", message) from None
        with log.open("a") as sink:
            sink.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n")
            sink.write(done.stdout + done.stderr)
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
            raise ComponentError("compose", f"`{' '.join(args)}` failed:\n{tail}", str(log))
        return done.stdout

    def container(self, component: str) -> Container:
        service = self.compose_service(component)
        return container_of(docker_client(), self.settings.project, service)

    def container_states(self) -> dict[str, str]:
        """Each component's container state (``running``, ``paused``, ``exited``..., or
        ``missing``), from one list call: ``container(name)`` asks the engine once per
        component, and a drift check or ``status`` asks about every one."""
        listed = docker_client().containers.list(
            all=True,
            sparse=True,
            filters={"label": [f"com.docker.compose.project={self.settings.project}"]},
        )
        by_service: dict[str, str] = {}
        for summary in listed:
            service = (summary.attrs.get("Labels") or {}).get("com.docker.compose.service")
            if service and by_service.get(service) != "running":
                by_service[service] = str(summary.attrs.get("State", "unknown"))
        return {
            name: by_service.get(self.compose_service(name), "missing")
            for name, record in self.state.components.items()
            if record.pid is None
        }

    def container_by_id(self, container_id: str) -> Container:
        """That very container; docker.errors.NotFound once it is removed."""
        found: Container = docker_client().containers.get(container_id)
        return found

    # -- lifecycle -------------------------------------------------------------------------

    def set_load_balancer(self, targets: int | None) -> None:
        """Put the sample load balancer in front of ``targets`` gateways (None: none): its
        containers start with the next ``up``; those it drops are removed now, its name
        leaves the zone."""
        self.refresh()
        current = catalogue.load_balancer_targets(self.config)
        if targets == current:
            return
        if current is not None:
            lb = self.config.lb
            dropped = ["lb", *lb.replica_names(), "haproxy"]
            if (self.state_dir / OVERRIDE).exists():  # else never brought up: none to remove
                self.compose("rm", "-s", "-f", *dropped)
            for name in dropped:
                self.state.components.pop(name, None)
            with contextlib.suppress(ChaoskitError, OSError), self.dns_admin() as admin:
                admin.delete_record(lb.record, "A")
            (self.state_dir / OVERRIDE).unlink(missing_ok=True)
        self.state.config = self._host_config(targets)
        self.state.save(self.state_dir)

    def _host_config(self, lb_targets: int | None) -> LabConfig:
        """The controller's view of the lab with that load balancer (None: none), still
        described by the lab file it was (and the lab file's view of it updated)."""
        self._describe(lb_targets)
        return self.state.config

    def _describe(self, lb_targets: int | None) -> None:
        """Both views of the lab, with that load balancer: the sample stack's, or the ones
        its lab file describes (read again; every problem in it, exit 2)."""
        lab_file = self.config.lab_file
        if lab_file is None:
            self.state.config = self.settings.host_config(lb_targets)
            return
        from chaoskit.lab.labfile import compose_views

        self.state.config, self.state.stack = compose_views(
            Path(lab_file), self.settings, lb_targets
        )

    def _write_load_balancer(self) -> None:
        """HAProxy's configuration and the load balancer's compose file, as the lab is now."""
        inside = self.inside
        path = self.state_dir / HAPROXY_CONFIG
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_haproxy_config(haproxy_layout(inside)))
        services = load_balancer_services(self.settings, inside, self.config, self.state.profiles)
        write_override(self.state_dir, services)

    def up(
        self,
        profiles: dict[str, ServiceProfile] | None = None,
        services: bool = True,
        resolver: ResolverProfile | None = None,
    ) -> LabState:
        started_at = time.monotonic()
        self.refresh()
        self._refuse_another_labs_project()
        for name, profile in changed_profiles(self.state, profiles).items():
            profile.resolve()
            self.state.profiles[name] = profile  # compose recreates what this changes
        resolver_changed = resolver is not None and resolver != self.state.resolver
        if resolver is not None and resolver_changed:
            resolver.resolve()
            self.state.resolver = resolver
        fresh = not self.state.components
        write_lab_zone(self.inside, self.state_dir)
        self._write_resolver_config()
        self._write_team_files()
        if self.config.load_balanced:
            self._write_load_balancer()
        else:
            (self.state_dir / OVERRIDE).unlink(missing_ok=True)
        self._require_chaoskit_image()  # after the input's own errors, before anything runs
        self.state.save(self.state_dir)
        try:
            if resolver_changed and "resolver" in self.state.components:
                self._restart_container("resolver")  # it reads its new configuration
            infrastructure = self.infrastructure()
            running = self.containers_in(infrastructure, "running")
            if any(
                n not in running or n not in self.state.components for n in infrastructure
            ):  # else compose would only say each is up to date, in most of a second
                self.compose("up", "-d", "--no-build", *infrastructure)
            for name in infrastructure:
                self._await_container(name, started_at)
            self.configure()
            self._start_watchdog(started_at)
            if services:
                self._start_services(started_at)
                self._launch_loadserver()
        except BaseException:
            if fresh:  # nothing half-started is left behind
                with contextlib.suppress(ChaoskitError):
                    self.down()
            raise
        self.timings["total"] = time.monotonic() - started_at
        self.state.save(self.state_dir)
        return self.state

    def _refuse_another_labs_project(self) -> None:
        """A compose project holds one lab. ``up`` from another state directory would take
        over the containers of a lab that is up (compose makes them this lab's) and leave
        that lab's ``down`` to remove this one's: refused, naming the lab that is up. A
        project whose lab's state directory is gone is taken over: nothing else can bring
        it down."""
        holder = self._other_holder()
        if holder is None:
            return
        owner, holds_a_lab = holder
        if not holds_a_lab:
            self.echo(f"compose project {self.settings.project!r}: taking over the containers "
                      f"left by {owner}, which holds no lab now")  # fmt: skip
            return
        raise ComponentError(
            "compose",
            f"project {self.settings.project!r} is the lab of another state directory, "
            f"{owner}, which is up: `chaoskit --state-dir {owner} down` brings it down "
            "(two compose labs cannot be up at once: they publish the same ports)",
        )

    def _other_holder(self) -> tuple[Path, bool] | None:
        """The other state directory whose containers the project has, and whether it holds
        a lab now; None when the project has none or they are this lab's."""
        owner = self._project_owner()
        if owner is None or owner == self.state_dir.resolve():
            return None
        return owner, LabState.path(owner).exists()

    def _another_labs(self) -> Path | None:
        """The other state directory whose lab holds the project now, or None."""
        holder = self._other_holder()
        return holder[0] if holder is not None and holder[1] else None

    def unrecorded_containers(self) -> list[str]:
        """The project's containers while this lab's state records no component: what a
        start cut short (``up`` killed after compose made them, before it recorded one)
        left. None when the project is another lab's. (Once a component is recorded, the
        lab is up as far as ``status`` and ``down`` go, and ``down`` removes the project.)"""
        if self.state.components:
            return []
        listed = docker_client().containers.list(
            all=True, filters={"label": [f"com.docker.compose.project={self.settings.project}"]}
        )
        found = sorted(c.name for c in listed)
        return found if found and self._another_labs() is None else []

    def _project_owner(self) -> Path | None:
        """The state directory the project's DNS container mounts: whose lab it is."""
        listed = docker_client().containers.list(
            all=True,
            filters={"label": [f"com.docker.compose.project={self.settings.project}",
                               f"com.docker.compose.service={self.compose_service('dns')}"]},
        )  # fmt: skip
        for container in listed:
            for mount in container.attrs.get("Mounts") or []:
                if mount.get("Destination") == "/state" and mount.get("Source"):
                    return Path(mount["Source"]).resolve()
        return None

    def _require_chaoskit_image(self) -> None:
        """The image of the lab's own containers must be on the engine before anything is
        started: compose runs without building, and no registry has it."""
        import docker.errors

        tag = self.settings.images.get("CHAOSKIT_IMAGE") or CHAOSKIT_IMAGE_DEFAULT
        try:
            docker_client().images.get(tag)
        except docker.errors.ImageNotFound:
            raise MissingDependency(
                f"the compose backend's image {tag} is not on this Docker engine (chaoskit "
                "builds it, no registry has it): in a chaoskit checkout, "
                "`eval \"$(scripts/compose-images | sed 's/^/export /')\"` builds the images "
                "and names them; or name an image of yours in CHAOSKIT_IMAGE; or bring the "
                "lab up on the local backend (`chaoskit up --backend local`)"
            ) from None
        except docker.errors.APIError:
            return  # compose meets the same engine next, and says what it refused

    def _start_services(self, started_at: float) -> None:
        """In waves, each healthy before the next: the lab file's compose dependencies, the
        sample services, the lab file's services, the load balancer's control plane (once
        its targets serve). A team's image is built when it is missing, as ``docker compose
        up`` does; chaoskit's own are never built here."""
        samples = catalogue.sample_services(self.config)
        team = catalogue.dependency_containers(self.config), [a.name for a in self.config.apps]
        for wave, build in (
            (team[0], True),
            ([n for n in samples if n != "lb"], False),
            (team[1], True),
            ([n for n in samples if n == "lb"], False),
        ):
            if not wave:
                continue
            left = wave if build else self._start_kept(wave)  # a team's: compose's
            names = [self.compose_service(n) for n in left]
            if left == wave:
                self.compose("up", "-d", *([] if build else ["--no-build"]), *names)
            elif left:  # the rest of the wave is starting already, its dependencies are up
                self.compose("up", "-d", "--no-build", "--no-deps", *names)
            for name in wave:
                self._await_container(name, started_at)

    def _write_team_files(self) -> None:
        """The team's compose files as one configuration with absolute paths, and the
        services that put the lab file's on the lab network (see ``compose_team``)."""
        stack = self.stack
        if stack is None:
            for path in (TEAM_FILE, TEAM_OVERRIDE):
                (self.state_dir / path).unlink(missing_ok=True)
            return
        files = [arg for name in stack.files for arg in ("-f", name)]
        argv = [*compose_command(), "-p", self.settings.project,
                "--project-directory", stack.project_dir, *files, "config"]  # fmt: skip
        try:
            team = normalized(self._compose_run(argv, ("config",), 120))
        except ComponentError as exc:  # the team's files are input: exit 2, nothing started
            said = str(exc).split(" failed:\n", 1)[-1]
            raise InvalidInput(
                f"the lab file's compose.files ({', '.join(stack.files)}): compose refused "
                f"them:\n{said}"
            ) from None
        shipped = normalized(compose_file().read_text())
        names = team_services(team, set(shipped.get("services") or {}), stack.containers)
        write_compose_file(self.state_dir / TEAM_FILE, team)
        overrides = team_overrides(self.inside, self.config, names)
        write_compose_file(self.state_dir / TEAM_OVERRIDE, {"services": overrides})

    def _write_resolver_config(self) -> None:
        """Unbound's configuration as the resolver container sees it: its own address on the
        lab network, the lab DNS server at its address there, its files under /state."""
        inside = self.inside
        layout = UnboundLayout(
            listen=inside.resolver,
            control=inside.resolver_control,
            authority=inside.dns,
            zones=(inside.zone,),
            pidfile=Path("/state/resolver/unbound.pid"),
        )
        path = self.state_dir / "resolver" / "unbound.conf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_config(layout, self.state.resolver.resolve()))

    def dns_clients(self) -> dict[str, str]:
        """Who asks the lab DNS server from which address, inside the lab network."""
        return catalogue.dns_clients(self.inside)

    def _await_container(self, name: str, t0: float) -> None:
        healthy = health_check(name, self.config, self.state_dir)
        if not wait_until(healthy, START_TIMEOUT_S, interval_s=0.2):
            logs = self.container(name).logs(tail=15).decode(errors="replace").strip()
            raise ComponentError(
                name, f"not healthy after {START_TIMEOUT_S:.0f}s; its last lines:\n{logs}"
            )
        container = self.container(name)
        self.state.components[name] = ComponentRecord(
            name=name,
            endpoint=endpoint_of(name, self.config),
            log=f"docker logs {container.name}",
            engine=f"container {container.name}",
            version=(container.image.tags or [container.image.short_id])[0],
        )
        self.timings[name] = time.monotonic() - t0

    def _start_watchdog(self, t0: float) -> None:
        if self._running("watchdog"):
            return
        spec = watchdog_component(self.config, self.state_dir)
        record = self._launch(spec)
        self.state.save(self.state_dir)
        self._await_healthy(spec, record, t0)

    def configure(self) -> None:
        """Every proxy in place and enabled, the lab records on the DNS server."""
        self._configure_proxies()
        self._configure_records()

    def _configure_proxies(self) -> None:
        toxi = self.toxiproxy()
        for proxy in catalogue.proxies(self.inside):  # the regions', the LB's check paths
            toxi.ensure_proxy(proxy.name, str(proxy.listen), str(proxy.upstream))

    def _configure_records(self) -> None:
        with self.dns_admin() as admin:
            names = {r["name"] for r in admin.records() if r["type"] == "A"}
            if any(r.record not in names for r in self.config.regions):
                admin.reload()

    def configure_again(self, name: str) -> None:
        """``name`` running again after a fault killed, stopped or restarted it: Toxiproxy
        holds its proxies only in memory, so once it answers they are put back as ``up``
        puts them; the DNS server reads its zone files itself, and its records are checked."""
        put_back = {"toxiproxy": self._configure_proxies, "dns": self._configure_records}
        if name not in put_back:
            return
        if not wait_until(health_check(name, self.config, self.state_dir), START_TIMEOUT_S):
            raise ComponentError(name, f"running again, not healthy {START_TIMEOUT_S:.0f}s later")
        put_back[name]()

    def stop_services(self) -> None:
        """Stop every service under test. A sample service's running container is stopped
        and kept: the next ``up`` starts it again (see ``_start_kept``). The lab file's
        containers, and any sample container not plainly running, are removed as before:
        what a team's container wrote inside it is not carried into the next run."""
        self.refresh()
        samples = set(catalogue.sample_services(self.config))
        present = self.containers_in(self.services())
        kept = [n for n, c in present.items() if n in samples and c.status == "running"]
        stopped = _each(kept, lambda name: present[name].stop(timeout=STOP_TIMEOUT_S))
        # only what has a container: before the lab's first `up` the compose files do not
        # name a lab file's services yet, and `rm` of one failed the run ("No such service")
        removed = [n for n in present if n not in stopped]
        if removed:
            self.compose("rm", "-s", "-f", *(self.compose_service(n) for n in removed))
        for name in self.services():
            self.state.components.pop(name, None)
        self.state.save(self.state_dir)

    def containers_in(self, names: Iterable[str], *states: str) -> dict[str, Container]:
        """The containers of components ``names`` that are in one of ``states`` (in any
        state when none is given), by component, from one list call."""
        by_service = {self.compose_service(n): n for n in names}
        found: dict[str, Container] = {}
        for container in docker_client().containers.list(
            all=True, filters={"label": [f"com.docker.compose.project={self.settings.project}"]}
        ):
            name = by_service.get(container.labels.get("com.docker.compose.service", ""))
            if name is not None and (not states or container.status in states):
                found[name] = container
        return found

    def _start_kept(self, wave: list[str]) -> list[str]:
        """Start again the containers of ``wave`` that ``stop_services`` kept, where compose
        would do no more than that: stopped, of the image their tag names now, with the
        profile the lab now gives them (a changed profile or image makes compose recreate
        it). A new process from the same image and settings, in about a third of the time
        ``compose up`` takes (its own start and its dependency checks). The rest, left to
        compose."""
        stopped = self.containers_in(wave, "exited", "created")
        kept = [n for n in wave if n in stopped and self._as_compose_would(n, stopped[n])]
        started = _each(kept, lambda name: stopped[name].start())
        return [n for n in wave if n not in started]

    def _as_compose_would(self, name: str, container: Container) -> bool:
        """Whether ``container`` runs the image its tag names now, in ``name``'s profile."""
        from docker.errors import ImageNotFound

        tag = container.attrs["Config"]["Image"]
        try:
            current = docker_client().images.get(tag).id
        except ImageNotFound:
            return False
        env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"] or [])
        wanted = self.state.profiles.get(name, ServiceProfile()).environment()
        return container.attrs["Image"] == current and all(
            env.get(key) == value for key, value in wanted.items()
        )

    def restart(self, name: str, await_serving: bool = True) -> None:
        self._restart_container(name)
        if await_serving:
            self._await_container(name, time.monotonic())
        self.state.save(self.state_dir)

    def _restart_container(self, name: str) -> None:
        """``compose restart``, through the engine's API: the same stop and start, without
        the half second compose's own start costs."""
        from docker.errors import APIError, NotFound

        try:
            self.container(name).restart(timeout=STOP_TIMEOUT_S)
        except (ComponentError, APIError, NotFound):  # none, or refused: compose's turn
            self.compose("restart", self.compose_service(name))

    def status(self) -> dict[str, Any]:
        self.refresh()
        components: dict[str, Any] = {}
        states = self.container_states()
        for name, record in self.state.components.items():
            if record.pid is not None:  # the watchdog, a host process
                alive = process.is_running(record.pid, record.create_time)
                state = "running" if alive else "exited"
            else:
                state = states[name]
            components[name] = {
                "healthy": state == "running" and health_check(name, self.config, self.state_dir)(),
                "running": state == "running",
                "state": state,
                "endpoint": endpoint_fields(name, self.config),
                "address": record.endpoint,
                "pid": record.pid,
                "engine": record.engine,
                "version": record.version,
                "log": record.log,
            }
        return {
            "backend": self.backend,
            "project": self.settings.project,
            "state_dir": str(self.state_dir),
            "lab_file": self.config.lab_file,
            "components": components,
            "unrecorded": self.unrecorded_containers(),
        }

    def down(self) -> list[str]:
        """Revert faults still in force, remove the containers and the network."""
        self.refresh()
        with contextlib.suppress(ChaoskitError, OSError), self.dns_admin() as admin:
            admin.lift_all()
        with contextlib.suppress(ChaoskitError, OSError):
            self.toxiproxy().reset()
        on_host = {n: r for n, r in self.state.components.items() if r.pid is not None}
        stopped = [name for name in self.state.components if name not in on_host]
        others = self._another_labs()
        if others is None:
            stopped += self.unrecorded_containers()  # a start cut short: removed too
            self.compose("down", "-v", "--remove-orphans", "-t", "5")
        else:  # its containers are that lab's now: `down` there removes them
            self.echo(f"compose project {self.settings.project!r} is the lab of {others} now: "
                      "its containers are left to it")  # fmt: skip
        for path in (OVERRIDE, TEAM_FILE, TEAM_OVERRIDE):
            (self.state_dir / path).unlink(missing_ok=True)
        for name, record in on_host.items():  # the watchdog, the Locust fork server
            if process.stop(record.pid, record.create_time):
                stopped.append(name)
        self.state.components.clear()
        path = LabState.path(self.state_dir)
        if path.exists():
            path.unlink()
        self._forget_faults_ended()
        return stopped
