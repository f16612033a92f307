"""The DNS tier's counters, as the recorder samples them beside the services' metrics.

From the lab resolver (Unbound's ``stats_noreset``): queries, cache hits and misses, expired
answers served, SERVFAILs sent and the request list now. From the lab authority (its admin
API): queries received in all, and per client: ``dns_client_<name>`` for the resolver and
each service (by its own address), ``dns_client_other`` for the rest (chaoskit's own probes,
a user's tools). All but the request list are cumulative; the analysis takes their deltas.
"""

from __future__ import annotations

import contextlib

from chaoskit._errors import ChaoskitError
from chaoskit.dns.client import DnsAdminClient
from chaoskit.resolver.control import UnboundControl

__all__ = ["CLIENT_PREFIX", "RESOLVER_COUNTERS", "VIA_RESOLVER", "DnsCounters"]

CLIENT_PREFIX = "dns_client_"
VIA_RESOLVER = " (via resolver)"
"""Suffix of the client row for services that ask only the resolver (a team's own, in
system mode): the resolver's queries, less the recorder's own, are theirs."""

RESOLVER_COUNTERS = {
    "resolver_queries": "total.num.queries",
    "resolver_cache_hits": "total.num.cachehits",
    "resolver_cache_misses": "total.num.cachemiss",
    "resolver_expired": "total.num.expired",
    "resolver_servfail": "num.answer.rcode.SERVFAIL",
    "resolver_requestlist": "total.requestlist.current.all",
}


class DnsCounters:
    """Reads both tiers' counters; a tier that does not answer is left out of the reading."""

    def __init__(
        self,
        control: UnboundControl | None,
        admin: DnsAdminClient | None,
        resolver_address: str | None,
        clients: dict[str, str] | None = None,
        resolver_clients: list[str] | None = None,
    ) -> None:
        self.control = control
        self.admin = admin
        self.resolver_address = resolver_address
        self.clients = clients or {}
        """Source address: client name (the resolver's address included)."""
        self.resolver_clients = resolver_clients or []
        """Services whose every query goes to the resolver (not told apart by address)."""

    def read(self) -> dict[str, float]:
        found: dict[str, float] = {}
        if self.control is not None:
            with contextlib.suppress(ChaoskitError):
                stats = self.control.stats()
                found.update({k: stats.get(v, 0.0) for k, v in RESOLVER_COUNTERS.items()})
                if self.resolver_clients:
                    row = CLIENT_PREFIX + ", ".join(self.resolver_clients) + VIA_RESOLVER
                    found[row] = found["resolver_queries"]
        if self.admin is not None:
            with contextlib.suppress(ChaoskitError, OSError):
                authority = self.admin.stats()
                found["authority_queries"] = float(authority["queries"])
                by_source = authority.get("by_source", {})
                if self.resolver_address is not None:
                    found["authority_from_resolver"] = float(
                        by_source.get(self.resolver_address, 0)
                    )
                if self.clients:
                    known = 0.0
                    for address, name in self.clients.items():
                        count = float(by_source.get(address, 0))
                        found[CLIENT_PREFIX + name] = found.get(CLIENT_PREFIX + name, 0) + count
                        known += count
                    found[CLIENT_PREFIX + "other"] = found["authority_queries"] - known
        return found

    def close(self) -> None:
        if self.admin is not None:
            self.admin.close()
