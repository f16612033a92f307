"""The recorder: what clients see, sampled at ``sample_hz`` (10 Hz or more).

Client results arrive from two places into one ``ClientEvents``: Locust (streamed over
UDP by ``chaoskit/load/stream.py``) and the recorder's own probe client, which sends one
request every sample through the gateway. Each sample also asks the lab DNS server for the
watched record and reads the services' Prometheus metrics (scraped on a separate thread).
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import dns.message
import dns.query
import dns.rcode
import httpx
from prometheus_client.parser import text_string_to_metric_families

from chaoskit.experiment.model import Slo
from chaoskit.lab.catalogue import sample_role
from chaoskit.lab.config import SERVICE_NAMES

__all__ = ["LAG_S", "STATUS_PAGE_KEY", "ClientEvents", "LoadStreamListener", "Recorder", "Sample"]

LAG_S = 0.3
SCRAPE_INTERVAL_S = 0.5
RESOLVER_RESOLVES_KEY = "resolver_resolves"
OWN_QUERIES_KEY = "recorder_dns_queries"
OWN_QUERIES_AT_SCRAPE_KEY = "recorder_dns_queries_at_scrape"
"""The same count, read when the DNS tier's counters were, to subtract from them exactly."""
"""The queries the recorder itself sent to each tier (one per sample to the resolver and one
to the authority), which the amplification metrics leave out."""
STATUS_PAGE_KEY = "status_page_operational"
"""Each sample describes the interval ending this long ago, so that results streamed in
100 ms batches from Locust have arrived before they are counted."""


class ClientEvents:
    """Request results by wall-clock time: (t, ok, latency_ms, failure kind)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: list[float] = []
        self._events: list[tuple[float, bool, float, str]] = []

    def add(self, t: float, ok: bool, latency_ms: float, kind: str = "") -> None:
        with self._lock:
            if self._times and t < self._times[-1]:
                i = bisect.bisect_right(self._times, t)
                self._times.insert(i, t)
                self._events.insert(i, (t, ok, latency_ms, kind))
            else:
                self._times.append(t)
                self._events.append((t, ok, latency_ms, kind))

    def between(self, start: float, end: float) -> list[tuple[float, bool, float, str]]:
        with self._lock:
            lo = bisect.bisect_left(self._times, start)
            hi = bisect.bisect_left(self._times, end)
            return self._events[lo:hi]

    def all(self) -> list[tuple[float, bool, float, str]]:
        with self._lock:
            return list(self._events)


class LoadStreamListener:
    """Receives the Locust plugin's datagrams on a loopback UDP port."""

    def __init__(self, events: ClientEvents) -> None:
        self.events = events
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-stream", daemon=True)
        self.datagrams = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                payload = self._sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                batch = json.loads(payload)
            except ValueError:
                continue
            self.datagrams += 1
            for t, ms in batch.get("ok", []):
                self.events.add(t, True, ms)
            for t, ms, kind in batch.get("fail", []):
                self.events.add(t, False, ms, kind)


@dataclass
class Sample:
    t: float
    wall: float
    phase: str
    requests: int
    ok: int
    failures: dict[str, int]
    window_requests: int
    error_rate: float
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    dns_answer: str
    active_faults: int
    good: bool
    services: dict[str, float] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        row = asdict(self)
        row["failures"] = json.dumps(self.failures, sort_keys=True)
        services = row.pop("services")
        row.update({f"svc_{k}": v for k, v in sorted(services.items())})
        return row


def percentile(sorted_values: list[float], q: float) -> float | None:
    """The nearest-rank percentile ``q`` (0..1) of already sorted values, in 0.01 steps."""
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return round(sorted_values[index], 2)


def _dns_answer(server: tuple[str, int], record: str) -> str:
    try:
        query = dns.message.make_query(record, "A")
        reply = dns.query.udp(query, server[0], port=server[1], timeout=0.05)
    except dns.exception.Timeout:
        return "TIMEOUT"
    except (OSError, dns.exception.DNSException):
        return "ERROR"
    if reply.rcode() != dns.rcode.NOERROR:
        return dns.rcode.to_text(reply.rcode())
    addresses = [rr.address for rrset in reply.answer for rr in rrset if hasattr(rr, "address")]
    return " ".join(addresses) if addresses else "EMPTY"


def _status_page_says_operational(client: httpx.Client, url: str) -> float:
    """1.0 when the status page answers that everything is operational, else 0.0 (it
    says otherwise, or cannot be read: either way it does not claim all is well)."""
    try:
        response = client.get(url)
        claim = response.json().get("overall") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return 0.0
    return 1.0 if claim == "operational" else 0.0


# What the recorder keeps from each service's metrics, summed over services.
def summarise_metrics(per_service: dict[str, str]) -> dict[str, float]:
    summary: dict[str, float] = collections.defaultdict(float)
    for source, text in per_service.items():
        service = sample_role(source)
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = sample.labels
                name = sample.name
                if service == "lb":
                    if name.startswith("lb_") and not name.endswith("_created"):
                        outcome = labels.get("outcome")
                        summary[f"{name}_{outcome}" if outcome else name] += sample.value
                    continue
                if service not in SERVICE_NAMES:  # a team's own series: summed by name
                    summary[f"{service}.{name}"] += sample.value
                    continue
                if name == "chaoskit_downstream_calls_total":
                    dependency = labels.get("dependency", "")
                    serving = service in ("orders", "fleet") and not dependency.endswith("-leases")
                    if serving and dependency.startswith("dynamodb-"):
                        summary["dynamodb_attempts"] += sample.value
                    if service == "gateway":
                        summary["gateway_downstream_calls"] += sample.value
                elif name == "chaoskit_downstream_retries_total":
                    summary["retries"] += sample.value
                    summary[f"retries_{service}"] += sample.value
                elif name == "chaoskit_breaker_state":
                    open_ = 1 if sample.value == 2 else 0
                    summary["breakers_open"] += open_
                    summary[f"breakers_open_{service}"] += open_
                elif name == "chaoskit_queue_depth":
                    summary["queue_depth"] += sample.value
                elif name == "chaoskit_queue_oldest_age_seconds":
                    summary["queue_oldest_age_s"] = max(summary["queue_oldest_age_s"], sample.value)
                elif name == "fleet_leases_held":
                    summary["leases_held"] += sample.value
                elif name == "chaoskit_replication_lag_seconds":
                    summary["replication_lag_s"] = max(summary["replication_lag_s"], sample.value)
                elif name == "chaoskit_dns_lookups_total" and labels.get("result") == "stale":
                    summary["dns_stale_served"] += sample.value
                elif (
                    name == "chaoskit_requests_total"
                    and service == "gateway"
                    and labels.get("route") not in ("/metrics", "/health", "/health/deep")
                ):
                    summary["gateway_requests"] += sample.value
    return dict(summary)


class Recorder:
    """Samples at ``hz`` on its own thread until stopped; ``on_sample`` sees each sample.

    A sample's ``t`` is the end of the interval it describes (run seconds), ``LAG_S``
    behind the moment it is taken; the DNS answer and service metrics are read when taken.
    """

    def __init__(
        self,
        *,
        hz: float,
        slo: Slo,
        dns_server: tuple[str, int],
        watched_record: str,
        service_urls: dict[str, str],
        probe_url: str | None,
        events: ClientEvents,
        status_url: str | None = None,
        phase: Callable[[], str],
        active_faults: Callable[[], int],
        on_sample: Callable[[Sample], None] = lambda s: None,
        t0: float | None = None,
        dns_counters: Callable[[], dict[str, float]] | None = None,
        resolver: tuple[str, int] | None = None,
    ) -> None:
        self.hz = hz
        self.slo = slo
        self.dns_server = dns_server
        self.watched_record = watched_record
        self.service_urls = service_urls
        self.probe_url = probe_url
        self.status_url = status_url
        """The status page, whose claim is recorded beside what clients saw (1 operational)."""
        self.events = events
        self.phase = phase
        self.active_faults = active_faults
        self.on_sample = on_sample
        self.dns_counters = dns_counters
        """The resolver's and the authority's counters, read with the services' metrics."""
        self.resolver = resolver
        """Set: each sample also asks the lab resolver for the watched record, as a client
        in system mode would (``resolver_resolves`` 1 when it gets an address)."""
        self._own_queries = 0
        self._resolver_lock = threading.Lock()
        """Held around each of the recorder's own resolver queries and around reading the
        DNS tier's counters, so no query of its own is half-counted."""
        self.samples: list[Sample] = []
        self.t0 = time.monotonic() if t0 is None else t0
        self._stop = threading.Event()
        self._metrics: dict[str, float] = {}
        self._threads = [
            threading.Thread(target=self._sample_loop, name="recorder", daemon=True),
            threading.Thread(target=self._scrape_loop, name="scraper", daemon=True),
        ]
        if probe_url is not None:
            self._threads.append(
                threading.Thread(target=self._probe_loop, name="probe-client", daemon=True)
            )

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(3)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def _probe_loop(self) -> None:
        assert self.probe_url is not None
        interval = 1.0 / self.hz
        with httpx.Client(timeout=2.0) as client:
            while not self._stop.is_set():
                started_wall, started = time.time(), time.monotonic()
                try:
                    response = client.get(self.probe_url)
                    ok = response.status_code < 500
                    kind = "" if ok else f"http_{response.status_code}"
                except httpx.TimeoutException:
                    ok, kind = False, "timeout"
                except httpx.HTTPError:
                    ok, kind = False, "connection"
                elapsed = time.monotonic() - started
                self.events.add(started_wall + elapsed, ok, elapsed * 1000, kind)
                self._stop.wait(max(0.0, interval - elapsed))

    def _scrape_loop(self) -> None:
        interval = (
            SCRAPE_INTERVAL_S  # counters and gauges: no need to make services render at 10 Hz
        )
        with httpx.Client(timeout=0.5) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                texts = {}
                for name, url in self.service_urls.items():
                    try:
                        texts[name] = client.get(url).text
                    except httpx.HTTPError:
                        continue
                with contextlib.suppress(ValueError):
                    metrics = summarise_metrics(texts)
                    if self.status_url is not None:
                        metrics[STATUS_PAGE_KEY] = _status_page_says_operational(
                            client, self.status_url
                        )
                    if self.dns_counters is not None:
                        with self._resolver_lock:  # the same instant for both counts
                            metrics.update(self.dns_counters())
                            metrics[OWN_QUERIES_AT_SCRAPE_KEY] = float(self._own_queries)
                    self._metrics = metrics
                self._stop.wait(max(0.0, interval - (time.monotonic() - started)))

    def _sample_loop(self) -> None:
        interval = 1.0 / self.hz
        next_at = time.monotonic() + interval
        last_end = time.time() - LAG_S
        while not self._stop.is_set():
            self._stop.wait(max(0.0, next_at - time.monotonic()))
            next_at += interval
            end = time.time() - LAG_S  # results arrive in batches: describe a settled past
            sample = self._sample(last_end, end)
            last_end = end
            self.samples.append(sample)
            self.on_sample(sample)

    def _sample(self, last_wall: float, wall: float) -> Sample:
        recent = self.events.between(last_wall, wall)
        window = self.events.between(wall - self.slo.window, wall)
        failures: dict[str, int] = collections.Counter(kind for _, ok, _, kind in recent if not ok)
        latencies = sorted(ms for _, ok, ms, _ in window if ok)
        window_failures = sum(1 for _, ok, _, _ in window if not ok)
        error_rate = window_failures / len(window) if window else 0.0
        p95 = percentile(latencies, 0.95)
        good = bool(window) and error_rate < self.slo.error_rate_below
        if good and self.slo.p95_below_ms is not None and p95 is not None:
            good = p95 < self.slo.p95_below_ms
        services = dict(self._metrics)
        if self.resolver is not None:
            with self._resolver_lock:
                answer = _dns_answer(self.resolver, self.watched_record)
                self._own_queries += 1
            services[RESOLVER_RESOLVES_KEY] = 1.0 if answer[:1].isdigit() else 0.0
            services[OWN_QUERIES_KEY] = float(self._own_queries)
        return Sample(
            t=round(self.now() - LAG_S, 4),
            wall=wall,
            phase=self.phase(),
            requests=len(recent),
            ok=len(recent) - sum(failures.values()),
            failures=dict(failures),
            window_requests=len(window),
            error_rate=round(error_rate, 4),
            rps=round(len(window) / self.slo.window, 2),
            p50_ms=percentile(latencies, 0.5),
            p95_ms=p95,
            p99_ms=percentile(latencies, 0.99),
            dns_answer=_dns_answer(self.dns_server, self.watched_record),
            active_faults=self.active_faults(),
            good=good,
            services=services,
        )
