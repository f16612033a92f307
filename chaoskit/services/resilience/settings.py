"""Resilience switches: two named profiles plus per-pattern overrides.

``naive`` is how many services are written: immediate retries, no breaker, a fresh DNS
lookup on every call, no fallback. ``resilient`` turns every lesson of the incident on.
An override such as ``dns.serve_stale=false`` isolates one pattern on top of a profile.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaoskit._errors import InvalidInput, describe_validation_error
from chaoskit._keyvalues import parse_key_values

__all__ = [
    "PROFILES",
    "BreakerSettings",
    "DegradeSettings",
    "DnsSettings",
    "HealthCheckSettings",
    "LoadBalancerSettings",
    "MultiRegionSettings",
    "ProfileName",
    "QueueSettings",
    "Resilience",
    "RetrySettings",
    "ServiceProfile",
    "parse_overrides",
    "resilience_from_env",
    "resolve_resilience",
    "with_overrides",
]

ProfileName = Literal["naive", "resilient"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RetrySettings(_Strict):
    mode: Literal["none", "immediate", "backoff"] = "immediate"
    max_attempts: int = Field(default=3, ge=1, le=20)
    base_ms: float = Field(default=25.0, gt=0)
    cap_ms: float = Field(default=1000.0, gt=0)
    budget_ratio: float | None = Field(default=None, gt=0, le=10)
    """Retries may be at most this fraction of requests (None: no budget)."""
    budget_min_per_s: float = Field(default=2.0, ge=0)


class BreakerSettings(_Strict):
    enabled: bool = False
    failure_threshold: int = Field(default=5, ge=1)
    open_s: float = Field(default=2.0, gt=0)
    half_open_probes: int = Field(default=1, ge=1)


class DnsSettings(_Strict):
    cache: bool = False
    """Honour the answer's TTL (False: ask the authority on every call)."""
    serve_stale: bool = False
    """RFC 8767: answer with the last good address when the authority fails or is empty."""
    ttl_floor_s: float = Field(default=0.0, ge=0)
    stale_max_s: float = Field(default=86400.0, gt=0)
    stale_refresh_s: float = Field(default=1.0, ge=0)
    """After a failed refresh, serve stale for this long before asking the authority again."""
    timeout_s: float = Field(default=1.0, gt=0)
    resolver: Literal["authority", "system"] = "authority"
    """authority: ask the lab authority straight from the process (dnspython); system: glibc's
    getaddrinfo through the lab resolver (Unbound), as most real services resolve."""


class DegradeSettings(_Strict):
    cached_reads: bool = False
    read_only: bool = False
    cache_size: int = Field(default=10_000, ge=1)


class MultiRegionSettings(_Strict):
    enabled: bool = False
    primary: str = "us-east-1"
    secondary: str = "us-west-2"
    check_interval_s: float = Field(default=0.5, gt=0)
    fail_after: int = Field(default=2, ge=1)
    recover_after: int = Field(default=4, ge=1)


class QueueSettings(_Strict):
    """How a service treats queued work (fleet's lease work)."""

    bound: int | None = Field(default=None, ge=1)
    work_ttl: bool = False
    """Drop queued work whose caller has already given up instead of doing it."""
    order: Literal["fifo", "lifo"] = "fifo"
    coalesce: bool = False
    """At most one outstanding piece of work per key."""
    ramp_start_per_s: float | None = Field(default=None, gt=0)
    """Rate-limit re-establishment after an outage, starting here and doubling each second."""
    ramp_max_per_s: float = Field(default=400.0, gt=0)


class HealthCheckSettings(_Strict):
    """How a load balancer checks its targets, as an NLB target group does."""

    path: str = Field(default="/health/deep", pattern=r"^/[^\s]*$")
    """``/health/deep``: a target is unhealthy when its dependencies are (a readiness check);
    ``/health``: only whether the process serves (a liveness check)."""
    interval_s: float = Field(default=1.0, gt=0, le=300)
    timeout_s: float = Field(default=0.5, gt=0, le=60)
    healthy_threshold: int = Field(default=2, ge=1, le=10)
    """Consecutive passes before a target is put (back) in service."""
    unhealthy_threshold: int = Field(default=2, ge=1, le=10)
    """Consecutive failures before a target is taken out."""


class LoadBalancerSettings(_Strict):
    """The sample load balancer's control plane (the ``lb`` component)."""

    health_check: HealthCheckSettings = HealthCheckSettings()
    max_removed_share_per_min: float | None = Field(default=None, gt=0, le=1)
    """The velocity control: at most this share of the registered targets taken out of
    service by health checks in any 60 s (None: no limit)."""
    fail_open_below: float | None = Field(default=None, ge=0, le=1)
    """Fail open: when fewer than this share of the targets pass their checks, every target
    serves (None: never; 0 would never trigger, so NLB's 'all unhealthy' is a small share)."""


class Resilience(_Strict):
    profile: ProfileName = "naive"
    timeout_s: float = Field(default=2.0, gt=0)
    max_concurrency: int | None = Field(default=None, ge=1)
    """Requests served at once before shedding with 503 (None: unbounded)."""
    retries: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()
    dns: DnsSettings = DnsSettings()
    degrade: DegradeSettings = DegradeSettings()
    multi_region: MultiRegionSettings = MultiRegionSettings()
    queue: QueueSettings = QueueSettings()
    lb: LoadBalancerSettings = LoadBalancerSettings()


PROFILES: dict[str, Resilience] = {
    "naive": Resilience(),
    "resilient": Resilience(
        profile="resilient",
        timeout_s=0.5,
        max_concurrency=64,
        retries=RetrySettings(mode="backoff", max_attempts=3, budget_ratio=0.1),
        breaker=BreakerSettings(enabled=True),
        dns=DnsSettings(cache=True, serve_stale=True, ttl_floor_s=1.0),
        degrade=DegradeSettings(cached_reads=True, read_only=True),
        multi_region=MultiRegionSettings(enabled=True),
        queue=QueueSettings(
            bound=1000, work_ttl=True, order="lifo", coalesce=True, ramp_start_per_s=25.0
        ),
        lb=LoadBalancerSettings(
            health_check=HealthCheckSettings(path="/health"),
            max_removed_share_per_min=0.34,
            fail_open_below=0.5,
        ),
    ),
}


class ServiceProfile(_Strict):
    """How one service is started: a named profile plus dotted-key overrides."""

    profile: ProfileName = "naive"
    overrides: dict[str, Any] = Field(default_factory=dict)

    def resolve(self) -> Resilience:
        return resolve_resilience(self.profile, self.overrides)

    def environment(self) -> dict[str, str]:
        return {
            "CHAOSKIT_PROFILE": self.profile,
            "CHAOSKIT_RESILIENCE": json.dumps(self.overrides),
        }


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``["dns.serve_stale=false", "retries.max_attempts=5"]`` as a dict of dotted keys."""
    return parse_key_values(pairs, "override", "dns.serve_stale=false")


def resolve_resilience(profile: str, overrides: dict[str, Any] | None = None) -> Resilience:
    """A named profile with dotted-key overrides applied; errors name the key."""
    if profile not in PROFILES:
        raise InvalidInput(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    return with_overrides(PROFILES[profile], overrides, "resilience overrides")


M = TypeVar("M", bound=BaseModel)


def with_overrides(base: M, overrides: dict[str, Any] | None, what: str) -> M:
    """``base`` with dotted-key overrides (``dns.serve_stale``) applied and validated; an
    unknown key names the settings it could have been."""
    data = base.model_dump()
    for dotted, value in (overrides or {}).items():
        target = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            if not isinstance(target.get(part), dict):
                raise InvalidInput(f"override {dotted}: no setting group {part!r}")
            target = target[part]
        if leaf not in target:
            known = ", ".join(sorted(target))
            raise InvalidInput(f"override {dotted}: unknown setting {leaf!r}; known: {known}")
        target[leaf] = value
    try:
        return type(base).model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{what}: {describe_validation_error(exc)}") from exc


def resilience_from_env(environ: dict[str, str] | None = None) -> Resilience:
    """From ``CHAOSKIT_PROFILE``, ``CHAOSKIT_RESILIENCE_FILE`` (YAML) and ``CHAOSKIT_RESILIENCE``.

    The file and the variable each hold dotted-key overrides (the variable as JSON); the
    variable wins over the file.
    """
    env = os.environ if environ is None else environ
    overrides: dict[str, Any] = {}
    if path := env.get("CHAOSKIT_RESILIENCE_FILE"):
        from chaoskit._input import read_text
        from chaoskit._yaml import load_yaml

        loaded = load_yaml(read_text(Path(path)), path) or {}
        overrides.update(_flatten(loaded))
    if raw := env.get("CHAOSKIT_RESILIENCE"):
        try:
            overrides.update(_flatten(json.loads(raw)))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"CHAOSKIT_RESILIENCE is not JSON: {exc}") from exc
    return resolve_resilience(env.get("CHAOSKIT_PROFILE") or "naive", overrides)


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(tree, dict):
        raise InvalidInput("resilience overrides must be a mapping of settings")
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat
