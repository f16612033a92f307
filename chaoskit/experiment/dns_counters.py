"""The DNS tier's counters, as the recorder samples them beside the services' metrics.

From the lab resolver (Unbound's ``stats_noreset``): queries, cache hits and misses, expired
answers served, SERVFAILs sent and the request list now. From the lab authority (its admin
API): queries received in all, and from the resolver's own address. All but the request
list are cumulative; the analysis takes their deltas.
"""

from __future__ import annotations

import contextlib

from chaoskit._errors import ChaoskitError
from chaoskit.dns.client import DnsAdminClient
from chaoskit.resolver.control import UnboundControl

__all__ = ["RESOLVER_COUNTERS", "DnsCounters"]

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
    ) -> None:
        self.control = control
        self.admin = admin
        self.resolver_address = resolver_address

    def read(self) -> dict[str, float]:
        found: dict[str, float] = {}
        if self.control is not None:
            with contextlib.suppress(ChaoskitError):
                stats = self.control.stats()
                found.update({k: stats.get(v, 0.0) for k, v in RESOLVER_COUNTERS.items()})
        if self.admin is not None:
            with contextlib.suppress(ChaoskitError, OSError):
                authority = self.admin.stats()
                found["authority_queries"] = float(authority["queries"])
                by_source = authority.get("by_source", {})
                if self.resolver_address is not None:
                    found["authority_from_resolver"] = float(
                        by_source.get(self.resolver_address, 0)
                    )
        return found

    def close(self) -> None:
        if self.admin is not None:
            self.admin.close()
