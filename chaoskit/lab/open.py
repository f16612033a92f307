"""Which backend a command gets: the lab that is up, else the one asked for, else compose
when a Docker engine answers and local otherwise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from chaoskit._errors import InvalidInput
from chaoskit.lab import catalogue
from chaoskit.lab.backend import LabBackend, quiet
from chaoskit.lab.config import LAB_ZONE, ComposeSettings, LabConfig
from chaoskit.lab.local import LocalLab
from chaoskit.lab.state import LabState

__all__ = ["BACKEND_CHOICES", "lab_config_for", "open_lab", "wanted_lab"]

BACKEND_CHOICES = ("auto", "local", "compose")


def wanted_lab(
    lab_file: str | Path | None, state_dir: str | Path | None
) -> tuple[Path, LabConfig | None]:
    """For Python callers, as every command finds them: the state directory (``state_dir``,
    else ``CHAOSKIT_STATE_DIR``, else ``./.chaoskit``) and the lab to work with there
    (``lab_file``, else ``CHAOSKIT_LAB``, else ``./chaoskit.yaml``; see ``lab_config_for``)."""
    import os

    from chaoskit import paths
    from chaoskit.lab.labfile import find_lab_file

    directory = paths.state_dir(state_dir)
    explicit = lab_file or os.environ.get("CHAOSKIT_LAB") or None
    found = find_lab_file(Path(explicit) if explicit else None)
    return directory, lab_config_for(directory, found)


def lab_is_up(state_dir: Path) -> bool:
    """Whether ``state_dir`` holds a lab that is up (its state records a component)."""
    saved = LabState.load(state_dir)
    return saved is not None and bool(saved.components)


def lab_config_for(state_dir: Path, lab_file: Path | None) -> LabConfig | None:
    """The lab to work with: the one up in ``state_dir``, else the one ``lab_file``
    describes (read and checked: every problem, exit 2), else None for the sample stack.
    Asking for another lab than the one that is up is an input error."""
    from chaoskit.lab.labfile import lab_config_from_file

    saved = LabState.load(state_dir)
    wanted = lab_config_from_file(lab_file) if lab_file is not None else None
    if saved is not None and saved.components:
        if wanted is not None and wanted.lab_file != saved.config.lab_file:
            up = (
                f"described by {saved.config.lab_file}"
                if saved.config.lab_file
                else ("the sample stack")
            )
            raise InvalidInput(
                f"the lab up in {state_dir} is {up}, not {wanted.lab_file}; "
                "`chaoskit down` it first, or use another --state-dir"
            )
        return saved.config.as_up_on(saved.backend)
    return wanted


def open_lab(
    state_dir: Path,
    backend: str = "auto",
    *,
    auto_default: Literal["local", "compose"] | None = None,
    config: LabConfig | None = None,
    dynamodb: str | None = None,
    compose: ComposeSettings | None = None,
    echo: Callable[[str], None] = quiet,
) -> LabBackend:
    """The lab in ``state_dir``. A lab that is up keeps its backend (asking for the other
    one is an input error). Otherwise ``auto`` means ``auto_default`` when given, else
    compose when a Docker engine answers, local when none does."""
    if backend not in BACKEND_CHOICES:
        raise InvalidInput(f"--backend: expected auto, local or compose, got {backend!r}")
    saved = LabState.load(state_dir)
    if saved is not None and saved.components:
        if backend not in ("auto", saved.backend):
            raise InvalidInput(
                f"the lab in {state_dir} is up on the {saved.backend} backend; "
                f"`chaoskit down` it before using the {backend} backend"
            )
        chosen = saved.backend
    elif backend != "auto":
        chosen = backend
    elif saved is not None:  # a start cut short (killed): its backend holds what it began
        chosen = saved.backend
    elif config is not None and config.lab_file and _own_system(config):
        chosen = "local"  # a team's services and dependencies: compose when asked for
    elif auto_default is not None:
        chosen = auto_default
    else:
        from chaoskit.lab.docker_engine import engine_answers

        chosen = "compose" if engine_answers() else "local"
    if chosen == "compose":
        from chaoskit.lab.compose import ComposeLab

        if config is None:
            return ComposeLab(state_dir, compose, echo=echo)
        targets = catalogue.load_balancer_targets(config)
        return ComposeLab(state_dir, compose, echo, lb_targets=targets, lab_file=config.lab_file)
    return LocalLab(state_dir, config, dynamodb, echo=echo)


def _own_system(config: LabConfig) -> bool:
    """Whether the lab holds anything a lab file brought: services, dependencies, no samples,
    a zone of its own or more zones."""
    return bool(
        config.apps
        or config.dependencies
        or not config.sample_services
        or config.zone != LAB_ZONE
        or config.zone_files
        or config.dns_attach
        or config.toxiproxy_attach
    )
