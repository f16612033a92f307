"""Name resolution the way the service's profile says: every call, TTL-cached, or serve-stale."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.resolver

from chaoskit.services.metrics import ServiceMetrics
from chaoskit.services.resilience.settings import DnsSettings

__all__ = ["DnsFailure", "StaleServingResolver"]


class DnsFailure(Exception):
    """The name gave no usable address: ``reason`` is empty, nxdomain, servfail or timeout."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


# how glibc's getaddrinfo reports what the DNS server answered
_GAI_REASONS = {
    socket.EAI_NODATA: "empty",  # NOERROR with no addresses
    socket.EAI_NONAME: "nxdomain",
    socket.EAI_AGAIN: "servfail",  # SERVFAIL, REFUSED or no answer in time
    socket.EAI_FAIL: "servfail",
}


@dataclass
class _Entry:
    address: str
    fresh_until: float
    fetched_at: float
    retry_after: float = 0.0


class StaleServingResolver:
    """Resolves A records through one DNS server.

    - ``cache`` off: asks the authority on every call (and so fails the instant it does);
    - ``cache`` on: keeps an answer for max(TTL, ``ttl_floor_s``);
    - ``serve_stale`` on (RFC 8767): when the authority answers empty, NXDOMAIN, SERVFAIL or
      not at all, answers with the last good address (up to ``stale_max_s`` old) and waits
      ``stale_refresh_s`` before asking again.
    """

    def __init__(
        self,
        server: str,
        port: int,
        settings: DnsSettings,
        metrics: ServiceMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
        system_ttl_s: float | None = None,
        source: str | None = None,
    ) -> None:
        self.settings = settings
        self._system_ttl_s = system_ttl_s
        """Set: ask the system resolver (glibc) instead, and take its answers to live this
        long (getaddrinfo does not say); the compose backend's containers resolve this way."""
        self._metrics = metrics
        self._clock = clock
        self._resolver = dns.asyncresolver.Resolver(configure=False)
        self._resolver.nameservers = [server]
        self._resolver.port = port
        self._resolver.timeout = settings.timeout_s
        self._resolver.lifetime = settings.timeout_s
        self._resolver.cache = None
        self._source = source
        """The address queries are sent from (the service's own), so the authority's
        per-source counts say which client asked."""
        self._entries: dict[str, _Entry] = {}

    async def address(self, name: str) -> str:
        now = self._clock()
        entry = self._entries.get(name)
        if entry is not None and self.settings.cache and now < entry.fresh_until:
            self._count("hit")
            return entry.address
        if entry is not None and self._may_serve_stale(entry, now) and now < entry.retry_after:
            self._count("stale")
            return entry.address
        try:
            address, ttl = await self._ask(name)
        except DnsFailure:
            if entry is not None and self._may_serve_stale(entry, now):
                entry.retry_after = now + self.settings.stale_refresh_s
                self._count("stale")
                return entry.address
            self._count("failure")
            raise
        self._count("miss")
        if self.settings.cache or self.settings.serve_stale:
            fresh_for = max(float(ttl), self.settings.ttl_floor_s) if self.settings.cache else 0
            self._entries[name] = _Entry(address, now + fresh_for, now)
        return address

    def _may_serve_stale(self, entry: _Entry, now: float) -> bool:
        return self.settings.serve_stale and now - entry.fetched_at <= self.settings.stale_max_s

    async def _ask(self, name: str) -> tuple[str, int]:
        if self._system_ttl_s is not None:
            return await self._ask_system(name), int(self._system_ttl_s)
        try:
            answer = await self._resolver.resolve(name, "A", source=self._source)
        except dns.resolver.NoAnswer:
            raise DnsFailure(name, "empty") from None
        except dns.resolver.NXDOMAIN:
            raise DnsFailure(name, "nxdomain") from None
        except dns.resolver.NoNameservers:
            raise DnsFailure(name, "servfail") from None
        except dns.exception.Timeout:
            raise DnsFailure(name, "timeout") from None
        except dns.exception.DNSException as exc:
            raise DnsFailure(name, type(exc).__name__) from None
        rrset = answer.rrset
        if rrset is None or len(rrset) == 0:
            raise DnsFailure(name, "empty")
        return str(rrset[0].address), int(rrset.ttl)

    async def _ask_system(self, name: str) -> str:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                infos = await loop.getaddrinfo(name.rstrip("."), None, family=socket.AF_INET)
        except socket.gaierror as exc:
            raise DnsFailure(name, _GAI_REASONS.get(exc.errno or 0, f"gai_{exc.errno}")) from None
        except TimeoutError:
            raise DnsFailure(name, "timeout") from None
        if not infos:
            raise DnsFailure(name, "empty")
        return str(infos[0][4][0])

    def _count(self, result: str) -> None:
        if self._metrics is not None:
            self._metrics.dns_lookups.labels(result).inc()
