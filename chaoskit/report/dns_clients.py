"""Which clients asked the lab authority during each DNS fault, and how often.

A client that sent no query while a DNS fault was in force never exercised it: it held a
pooled connection, or an answer in its own cache. The resolver is one client here; the
services in system mode reach the authority only through it. A client whose count stayed
at 0 all run has never asked the authority anything since it started (the sample gateway
and the load balancer call by address): it is in the table, but not named as one that
missed a fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaoskit.experiment.dns_counters import CLIENT_PREFIX, VIA_RESOLVER
from chaoskit.experiment.recorder import OWN_QUERIES_AT_SCRAPE_KEY
from chaoskit.report.rundata import RunData

__all__ = ["DnsClientTable", "dns_client_table"]


@dataclass(frozen=True)
class DnsClientTable:
    faults: list[str]
    """One label per DNS fault, in injection order."""
    rows: list[tuple[str, list[int | None]]]
    """Per client: its queries during each fault (None: not sampled then)."""
    never_asked: frozenset[str] = frozenset()
    """Clients whose count was 0 at every sample: no DNS client of the lab's names."""

    def silent(self) -> list[tuple[str, str]]:
        """(client, fault) pairs where a service that does ask the lab's DNS sent nothing
        during the fault: it never met it."""
        return [
            (client, fault)
            for client, counts in self.rows
            if client not in ("other", "resolver") and client not in self.never_asked
            for fault, count in zip(self.faults, counts, strict=True)
            if count == 0
        ]


def dns_client_table(run: RunData) -> DnsClientTable | None:
    """The table, or None when the run sampled no per-client counts or had no DNS fault."""
    timeline = run.timeline
    clients = sorted(k.removeprefix(CLIENT_PREFIX) for k in timeline.services
                     if k.startswith(CLIENT_PREFIX))  # fmt: skip
    faults = [f for f in run.journal.faults
              if f.kind.startswith("dns.") and f.injected_t is not None]  # fmt: skip
    if not clients or not faults:
        return None
    last = timeline.t[-1] if timeline.t else 0.0
    rows = []
    at_scrape = OWN_QUERIES_AT_SCRAPE_KEY
    own = timeline.column(at_scrape) if at_scrape in timeline.services else None

    def delta(values: list[float | None], start: float, end: float) -> int | None:
        inside = [v for t, v in zip(timeline.t, values, strict=True)
                  if start <= t <= end and v is not None]  # fmt: skip
        return int(inside[-1] - inside[0]) if len(inside) >= 2 else None

    never_asked = set()
    for client in clients:
        values = timeline.column(CLIENT_PREFIX + client)
        if all(not v for v in values):  # 0 (or not sampled) all run, from its first query on
            never_asked.add(client)
        counts = []
        for fault in faults:
            start = fault.injected_t or 0.0
            end = fault.reverted_t if fault.reverted_t is not None else last
            count = delta(values, start, end)
            if client.endswith(VIA_RESOLVER) and count is not None and own is not None:
                mine = delta(own, start, end)  # the recorder asks the resolver each sample
                count = max(0, count - (mine or 0))
            counts.append(count)
        rows.append((client, counts))
    return DnsClientTable([f.label for f in faults], rows, frozenset(never_asked))
