"""The lab's state file: what was started, where it listens, and how to find it again."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaoskit._errors import InvalidInput
from chaoskit._input import read_text
from chaoskit.experiment.durations import MAX_DURATION_S
from chaoskit.lab.config import ComposeSettings, ComposeStack, LabConfig
from chaoskit.lab.process import Pid
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.services.resilience.settings import ServiceProfile

__all__ = ["ComponentRecord", "LabState"]


class ComponentRecord(BaseModel):
    """One started component: enough to check on it and to stop exactly that process."""

    model_config = ConfigDict(allow_inf_nan=False)
    name: str
    pid: Pid | None = None
    create_time: float | None = None
    endpoint: str
    log: str | None = None
    engine: str | None = None
    version: str | None = None
    stop_timeout_s: float = Field(default=5.0, gt=0, le=MAX_DURATION_S)
    """How long ``down`` waits after SIGTERM before SIGKILL."""


class LabState(BaseModel):
    """Everything ``status`` and ``down`` need, written atomically to ``state.json``."""

    backend: str = "local"
    config: LabConfig = Field(default_factory=LabConfig)
    components: dict[str, ComponentRecord] = Field(default_factory=dict)
    profiles: dict[str, ServiceProfile] = Field(default_factory=dict)
    resolver: ResolverProfile = Field(default_factory=ResolverProfile)
    """The lab resolver's profile and overrides."""
    compose: ComposeSettings | None = None
    """Set for a compose lab: its project, network and ports."""
    stack: ComposeStack | None = None
    """Set for a compose lab described by a lab file: its own compose services."""
    lb_configured: int | None = None
    """The load balancer's targets as the lab file gave them (None: no load balancer); a
    run that asks for another puts this back when it ends."""

    @staticmethod
    def path(state_dir: Path) -> Path:
        return state_dir / "state.json"

    @classmethod
    def load(cls, state_dir: Path) -> LabState | None:
        path = cls.path(state_dir)
        if not path.exists():
            return None
        try:
            return cls.model_validate_json(read_text(path))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(file)"
            raise InvalidInput(
                f"{path}: the lab's state file is damaged ({where}: {first['msg']}); "
                "it is chaoskit's own file: restore it, or stop the lab's processes and remove it"
            ) from None

    def save(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        path = self.path(state_dir)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        payload: dict[str, Any] = self.model_dump(mode="json")
        with tmp.open("w") as sink:
            json.dump(payload, sink, indent=2)
            sink.flush()
            os.fsync(sink.fileno())
        tmp.replace(path)
