"""The lab resolver tier: Unbound's cached answers beside the lab authority, same run, and the
negative-cache lag after a scripted restoration.

    python bench/resolver.py [--seconds 2] [--rounds 5] [--trials 5] [--experiment-runs DIR]

Throughput: dnsperf unthrottled (200 in flight) for the same name, through Unbound (every
answer from its cache after the first) and straight at the authority, alternating, the
median of the rounds. The resolver path must not be what limits an experiment.

Negative-cache lag: chaoskit's recorder runs (10 Hz, asking Unbound for the record each
sample), the record is blanked at the authority until Unbound holds the empty answer (for
the zone's SOA minimum, ``--negative-ttl``), then restored; a client polls Unbound every
10 ms until it answers with an address again. The recorder's ``negative_cache_lag_s`` is
compared with that client's lag (target: within 100 ms).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dns.message
import dns.query

from bench._support import (
    BENCH_ZONE,
    SERVER_CPU,
    dnsperf_throughput,
    ensure_debian_packages,
    median,
    pinned,
    start_chaoskit_dns,
    wait_answering,
)
from chaoskit.dns.client import DnsAdminClient
from chaoskit.experiment.dns_counters import DnsCounters
from chaoskit.experiment.dns_metrics import dns_tier_metrics
from chaoskit.experiment.model import Slo
from chaoskit.experiment.recorder import ClientEvents, Recorder
from chaoskit.lab.config import Endpoint
from chaoskit.resolver.control import UnboundControl
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.resolver.unbound import UnboundLayout, render_config, unbound_binary

AUTHORITY = Endpoint(host="127.0.21.53", port=5300)
RESOLVER = Endpoint(host="127.0.21.54", port=53)
CONTROL = Endpoint(host="127.0.21.54", port=8954)
ADMIN_PORT = 5398
NAME = "bench.lab.test."


def start_unbound(workdir: Path) -> subprocess.Popen[bytes]:
    layout = UnboundLayout(RESOLVER, CONTROL, AUTHORITY, ("lab.test.",), workdir / "unbound.pid")
    conf = workdir / "unbound.conf"
    conf.write_text(render_config(layout, ResolverProfile().resolve(), resolvers=[]))
    binary = unbound_binary() or "unbound"
    proc = subprocess.Popen(pinned(SERVER_CPU, [binary, "-d", "-c", str(conf)]),
                            stdout=(workdir / "unbound.log").open("wb"),
                            stderr=subprocess.STDOUT)  # fmt: skip
    wait_answering(RESOLVER.host, RESOLVER.port)
    return proc


def _has_address(server: Endpoint) -> bool:
    try:
        reply = dns.query.udp(dns.message.make_query(NAME, "A"), server.host, port=server.port,
                              timeout=0.2)  # fmt: skip
    except Exception:
        return False
    return any(rrset.rdtype == 1 for rrset in reply.answer)


def negative_cache_lag(admin: DnsAdminClient, control: UnboundControl) -> tuple[float, float]:
    """One scripted restoration: (the lag a client polling every 10 ms saw, the lag chaoskit's
    recorder measured, sampling at its default 10 Hz), both from the restoration."""
    recorder = Recorder(
        hz=10, slo=Slo(), dns_server=(AUTHORITY.host, AUTHORITY.port), watched_record=NAME,
        service_urls={}, probe_url=None, events=ClientEvents(), phase=lambda: "method",
        active_faults=lambda: 0, dns_counters=DnsCounters(control, None, None).read,
        resolver=(RESOLVER.host, RESOLVER.port),
    )  # fmt: skip
    recorder.start()
    try:
        time.sleep(1.0)
        blanked = recorder.now()
        admin.set_record(NAME, "A", [], ttl=60)
        while _has_address(RESOLVER):  # the positive answer ages out (TTL 1 in this bench)
            time.sleep(0.01)
        time.sleep(0.5)  # the empty answer is in Unbound's cache
        admin.set_record(NAME, "A", ["127.0.0.1"], ttl=1)
        restored = recorder.now()
        while not _has_address(RESOLVER):
            time.sleep(0.01)
        truth = recorder.now() - restored
        time.sleep(1.0)
    finally:
        recorder.stop()
    measured = dns_tier_metrics(recorder.samples, blanked, restored, restored)
    return truth, float(measured["negative_cache_lag_s"])


def peak_experiment_rate(runs: Path) -> tuple[float, str]:
    """The highest query rate at the resolver over any 1 s window in the run directories
    under ``runs`` (e.g. a suite's ``runs/``), and which run it was."""
    best, where = 0.0, ""
    for timeline in sorted(runs.rglob("timeline.csv")):
        with timeline.open() as source:
            points = [(float(r["t"]), float(r["svc_resolver_queries"]))
                      for r in csv.DictReader(source) if r.get("svc_resolver_queries")]  # fmt: skip
        start = 0
        for t, count in points:
            while points[start][0] < t - 1.0:
                start += 1
            span = t - points[start][0]
            if span >= 0.5 and (count - points[start][1]) / span > best:
                best, where = (count - points[start][1]) / span, timeline.parent.name
    return best, where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--negative-ttl", type=int, default=2)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument(
        "--experiment-runs", type=Path, default=None,
        help="run directories (a suite's runs/) to find the heaviest query rate at the "
        "resolver in; the cached rate should be at least 5x that",
    )  # fmt: skip
    args = parser.parse_args()
    ensure_debian_packages({"dnsperf": "dnsperf", "unbound": "unbound"})
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        zone = BENCH_ZONE.replace("86400 5", f"86400 {args.negative_ttl}").replace(
            "bench  IN A", "bench 1 IN A"
        )
        authority = start_chaoskit_dns(workdir, AUTHORITY.host, AUTHORITY.port, ADMIN_PORT, zone)
        resolver = start_unbound(workdir)
        queries = workdir / "queries.txt"
        queries.write_text(f"{NAME} A\n")
        try:
            through, direct = [], []
            for i in range(args.rounds):
                order = [("resolver", RESOLVER), ("authority", AUTHORITY)]
                for name, server in order if i % 2 == 0 else order[::-1]:
                    qps = dnsperf_throughput(server.host, server.port, queries, args.seconds)
                    (through if name == "resolver" else direct).append(qps["qps"])
            token = (workdir / "dns-admin.token").read_text().strip()
            control = UnboundControl(CONTROL.host, CONTROL.port)
            with DnsAdminClient(f"http://{AUTHORITY.host}:{ADMIN_PORT}", token) as admin:
                lags = [negative_cache_lag(admin, control) for _ in range(args.trials)]
        finally:
            for proc in (resolver, authority):
                proc.terminate()
                proc.wait(timeout=10)
    print(f"{'path':<32}{'qps (median of ' + str(args.rounds) + ')':>22}")
    print(f"{'Unbound, cached':<32}{median(through):>22,.0f}")
    print(f"{'lab authority directly':<32}{median(direct):>22,.0f}")
    print(f"resolver / authority: {median(through) / median(direct):.2f}x")
    if args.experiment_runs is not None:
        peak, where = peak_experiment_rate(args.experiment_runs)
        ratio = median(through) / peak if peak else float("inf")
        print(
            f"heaviest experiment at the resolver: {peak:,.0f} queries/s over 1 s ({where}); "
            f"cached / that: {ratio:.1f}x (target >= 5x: {'met' if ratio >= 5 else 'NOT met'})"
        )
    print(f"\nnegative-cache lag after a restoration ({args.negative_ttl} s SOA minimum):")
    print(f"{'trial':<8}{'client (10 ms polls)':>22}{'recorder (10 Hz)':>20}{'error':>10}")
    for i, (truth, measured) in enumerate(lags, 1):
        print(f"{i:<8}{truth:>21.3f}s{measured:>19.3f}s{(measured - truth) * 1000:>8.0f}ms")
    worst = max(abs(m - t) for t, m in lags)
    met = "met" if worst <= 0.1 else "NOT met"
    print(f"worst error {worst * 1000:.0f} ms (target <= 100 ms: {met})")


if __name__ == "__main__":
    main()
