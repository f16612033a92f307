"""How the lab resolver is configured: two named profiles plus dotted-key overrides.

``naive`` is Unbound's defaults: a negative answer is cached for the zone's SOA minimum, an
expired answer is never served. ``resilient`` serves the last good answer (RFC 8767) when the
authority fails to answer in time, and prefetches popular names before they expire.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chaoskit._errors import InvalidInput
from chaoskit.services.resilience.settings import with_overrides

__all__ = ["RESOLVER_PROFILES", "ResolverProfile", "ResolverSettings"]


class ResolverSettings(BaseModel):
    """The Unbound settings chaoskit controls; everything else is Unbound's default."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    profile: Literal["naive", "resilient"] = "naive"
    serve_expired: bool = False
    """``serve-expired``: answer from an expired cache entry while it is refreshed."""
    serve_expired_ttl_s: int = Field(default=0, ge=0, le=7 * 86400)
    """``serve-expired-ttl``: how long after expiry an answer may still be served (0: ever)."""
    serve_expired_client_timeout_ms: int = Field(default=0, ge=0, le=60_000)
    """``serve-expired-client-timeout``: try the authority this long before serving expired
    (RFC 8767 suggests 1800 ms; the resilient profile 500, under the lab clients' 1 s try);
    0 serves expired at once and refreshes in the background."""
    prefetch: bool = False
    """``prefetch``: refresh a popular name in its last tenth of TTL."""
    cache_max_negative_ttl_s: int = Field(default=3600, ge=0, le=86400)
    """``cache-max-negative-ttl``: the cap on how long a negative answer is cached."""
    use_caps_for_id: bool = False
    """``use-caps-for-id`` (0x20): random capitals in every query to the authority."""
    threads: int = Field(default=1, ge=1, le=16)
    """``num-threads``."""
    outstanding_per_thread: int = Field(default=1024, ge=2, le=4096)
    """``num-queries-per-thread``: the request list; fewer makes the resolver easy to overload."""
    forward_outside: bool = False
    """Names outside the lab zones go to the host's own resolvers (``/etc/resolv.conf``)
    instead of getting REFUSED. Off by default: the lab never sends a query off the machine."""


RESOLVER_PROFILES: dict[str, ResolverSettings] = {
    "naive": ResolverSettings(),
    "resilient": ResolverSettings(
        profile="resilient",
        serve_expired=True,
        serve_expired_ttl_s=86400,
        serve_expired_client_timeout_ms=500,
        prefetch=True,
    ),
}


class ResolverProfile(BaseModel):
    """The resolver's profile as the lab state keeps it: a name plus overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    profile: Literal["naive", "resilient"] = "naive"
    overrides: dict[str, Any] = Field(default_factory=dict)

    def resolve(self) -> ResolverSettings:
        """The settings in force; an unknown or bad override is an input error naming it."""
        if self.profile not in RESOLVER_PROFILES:
            raise InvalidInput(f"unknown resolver profile {self.profile!r}")
        if "profile" in self.overrides:
            raise InvalidInput("override resolver.profile: choose the profile itself instead")
        return with_overrides(RESOLVER_PROFILES[self.profile], self.overrides, "resolver")
