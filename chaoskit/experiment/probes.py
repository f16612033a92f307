"""Steady-state probes: real questions asked of the lab, each bounded by its timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import httpx

from chaoskit.experiment.model import Probe
from chaoskit.experiment.recorder import Sample
from chaoskit.lab import catalogue
from chaoskit.lab.clients import dynamodb_client, resolve_endpoint
from chaoskit.lab.config import LabConfig

__all__ = ["ProbeResult", "run_probe"]


@dataclass
class ProbeResult:
    name: str
    phase: str
    t: float
    ok: bool
    detail: str


def run_probe(
    probe: Probe,
    config: LabConfig,
    phase: str,
    t: float,
    latest_sample: Callable[[], Sample | None],
) -> ProbeResult:
    try:
        ok, detail = _ask(probe, config, latest_sample)
    except Exception as exc:  # a probe that cannot ask has failed; say why
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return ProbeResult(probe.name, phase, round(t, 3), ok, detail)


def _ask(
    probe: Probe, config: LabConfig, latest_sample: Callable[[], Sample | None]
) -> tuple[bool, str]:
    if probe.type == "http":
        url = probe.url or f"{catalogue.service_url(config, probe.service or '')}{probe.path}"
        try:
            status = httpx.get(url, timeout=probe.timeout).status_code
        except httpx.HTTPError as exc:
            return False, f"GET {url}: {type(exc).__name__}"
        return status == probe.expect_status, f"GET {url}: {status}"
    if probe.type == "dns":
        record = probe.record or ""
        query = dns.message.make_query(record, "A")
        try:
            reply = dns.query.udp(
                query, config.dns.host, port=config.dns.port, timeout=probe.timeout
            )
        except dns.exception.Timeout:
            return False, f"{record}: no answer within {probe.timeout}s"
        rcode = dns.rcode.to_text(reply.rcode())
        # addresses, not answers: an alias's CNAME alone resolves to nothing
        count = sum(len(rrset) for rrset in reply.answer if rrset.rdtype == dns.rdatatype.A)
        return rcode == "NOERROR" and count > 0, f"{record}: {rcode}, {count} addresses"
    if probe.type == "dynamodb":
        region = config.region(probe.region or "")
        started = time.monotonic()
        client = dynamodb_client(resolve_endpoint(config, region), region.region, probe.timeout)
        client.list_tables(Limit=1)
        return True, f"{region.region}: ListTables in {(time.monotonic() - started) * 1000:.0f} ms"
    sample = latest_sample()
    if sample is None:
        return False, "no client samples yet"
    p95 = "n/a" if sample.p95_ms is None else f"{sample.p95_ms:.0f} ms"
    detail = f"error rate {sample.error_rate:.2%}, p95 {p95}, {sample.window_requests} requests"
    return sample.good, detail
