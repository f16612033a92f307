"""DNS throughput and latency: chaoskit's lab DNS server against dnsmasq, same run, same record.

    python bench/dns_qps.py [--seconds 8] [--rounds 3] [--rate 20000]

Rounds alternate between the two servers so that drift on the machine hits both alike.
Throughput is dnsperf unthrottled (one client, 200 queries in flight); latency percentiles are
measured at a fixed offered rate, the same for both. The second scenario keeps a `wrong_ip`
fault active on another name while the benchmarked name is queried.
Target (issue 3): qps >= 0.9x dnsmasq, p99 no worse than dnsmasq's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import (
    dnsperf_latency,
    dnsperf_throughput,
    ensure_debian_packages,
    median,
    start_chaoskit_dns,
    start_dnsmasq,
)
from chaoskit.dns.client import DnsAdminClient

CHAOSKIT = ("127.0.20.53", 5300, 5399)
DNSMASQ = ("127.0.20.54", 5300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=int, default=20000, help="offered qps for latency")
    args = parser.parse_args()
    ensure_debian_packages({"dnsperf": "dnsperf", "dnsmasq": "dnsmasq-base"})
    workdir = Path(tempfile.mkdtemp(prefix="chaoskit-bench-dns-"))
    queries = workdir / "queries.txt"
    queries.write_text("bench.lab.test A\n")
    chaoskit = start_chaoskit_dns(workdir, *CHAOSKIT)
    dnsmasq = start_dnsmasq(workdir, *DNSMASQ)
    admin = DnsAdminClient(
        f"http://{CHAOSKIT[0]}:{CHAOSKIT[2]}", (workdir / "dns-admin.token").read_text().strip()
    )
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for host, port in (CHAOSKIT[:2], DNSMASQ):  # warm-up, discarded
            dnsperf_throughput(host, port, queries, 2)
            dnsperf_latency(host, port, queries, 2, args.rate)
        for scenario in ("no fault", "wrong_ip on other name"):
            if scenario != "no fault":
                admin.add_fault("wrong_ip", "other.lab.test", duration_s=3600, address="127.0.0.9")
            for server in ("chaoskit", "dnsmasq"):
                results.setdefault(
                    f"{scenario}|{server}", {"qps": [], "p50_us": [], "p99_us": [], "p999_us": []}
                )
            for _ in range(args.rounds):
                for server, (host, port) in (("chaoskit", CHAOSKIT[:2]), ("dnsmasq", DNSMASQ)):
                    row = results[f"{scenario}|{server}"]
                    row["qps"].append(dnsperf_throughput(host, port, queries, args.seconds)["qps"])
                    lat = dnsperf_latency(host, port, queries, min(args.seconds, 4), args.rate)
                    for key in ("p50_us", "p99_us", "p999_us"):
                        row[key].append(lat[key])
            admin.lift_all()
    finally:
        admin.close()
        chaoskit.terminate()
        dnsmasq.terminate()
        chaoskit.wait(10)
        dnsmasq.wait(10)
    summary = {k: {m: median(v) for m, v in row.items()} for k, row in results.items()}
    print(f"\nDNS benchmark: median of {args.rounds} alternating rounds, {args.seconds:g}s each; "
          f"latency at {args.rate} qps offered")  # fmt: skip
    header = (
        f"{'scenario':<24} {'server':<9} {'qps':>9} {'p50 us':>8} {'p99 us':>8} {'p99.9 us':>9}"
    )
    print(header)
    print("-" * len(header))
    for key, row in summary.items():
        scenario, server = key.split("|")
        print(f"{scenario:<24} {server:<9} {row['qps']:>9.0f} {row['p50_us']:>8.0f} "
              f"{row['p99_us']:>8.0f} {row['p999_us']:>9.0f}")  # fmt: skip
    for scenario in ("no fault", "wrong_ip on other name"):
        ours, ref = summary[f"{scenario}|chaoskit"], summary[f"{scenario}|dnsmasq"]
        print(f"{scenario}: qps ratio chaoskit/dnsmasq = {ours['qps'] / ref['qps']:.2f}x "
              f"(target >= 0.90); p99 {ours['p99_us']:.0f} vs {ref['p99_us']:.0f} us")  # fmt: skip
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "dns_qps.json").write_text(json.dumps({"raw": results, "median": summary}, indent=2))


if __name__ == "__main__":
    main()
