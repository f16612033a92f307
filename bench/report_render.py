"""Rendering the report of an hour-long run sampled at 10 Hz: time and file size.

    python bench/report_render.py [--hours 1] [--hz 10] [--rounds 3]

Writes a synthetic run directory in the recorder's own format (36,000 samples for an
hour: six faults, failures by kind, latency, DNS answers, per-service counters, probes
every second), then times, in fresh processes so imports count as a user pays them:
- ``chaoskit report --format html`` (target: <= 2 s and <= 2 MB, issue 6);
- each other format on its own;
- as a reference, in the same run: matplotlib drawing the same eight charts to one SVG
  file (the usual Python way to chart this data), and the bare floor of reading the
  journal and the timeline with ``json`` and ``csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = [
    "t", "wall", "phase", "requests", "ok", "failures", "window_requests", "error_rate", "rps",
    "p50_ms", "p95_ms", "p99_ms", "dns_answer", "active_faults", "good",
    "svc_breakers_open", "svc_breakers_open_gateway", "svc_breakers_open_orders",
    "svc_dynamodb_attempts", "svc_gateway_downstream_calls", "svc_gateway_requests",
    "svc_leases_held", "svc_queue_depth", "svc_queue_oldest_age_s", "svc_replication_lag_s",
    "svc_retries", "svc_retries_gateway", "svc_retries_orders",
]  # fmt: skip


def synthetic_run(directory: Path, seconds: float, hz: float) -> Path:
    """A run directory like ``chaoskit run`` writes, ``seconds`` long at ``hz``."""
    rng = random.Random(7)
    directory.mkdir(parents=True, exist_ok=True)
    period = 1.0 / hz
    windows = [(start, start + 120.0) for start in range(300, int(seconds) - 200, 600)]
    faults, steps, probes = [], [], []
    for i, (start, end) in enumerate(windows):
        kind = "dns.blank" if i % 2 == 0 else "toxiproxy.latency"
        target = "dynamodb.us-east-1.lab.test" if kind == "dns.blank" else "dynamodb-us-east-1"
        faults.append({
            "step": i, "name": f"fault-{i}", "kind": kind, "target": target, "params": {},
            "ledger_id": f"{i:08x}", "injected_t": start, "revert_due_t": end,
            "reverted_t": end, "verified": True, "outcome": "reverted", "error": None,
        })  # fmt: skip
        steps.append({
            "index": i, "name": f"fault-{i}", "action": "fault", "label": f"{kind} on {target}",
            "planned_start_s": start, "started_t": start, "ended_t": start + 0.01,
            "outcome": "done", "detail": "",
        })  # fmt: skip
    retries = attempts = 0.0
    with (directory / "timeline.csv").open("w", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(COLUMNS)
        for n in range(int(seconds * hz)):
            t = n * period
            active = [(s, e) for s, e in windows if s <= t < e]
            dns_fault = bool(active) and windows.index(active[0]) % 2 == 0
            requests = rng.randint(5, 9)
            failed = rng.randint(3, requests) if active else (1 if rng.random() < 0.01 else 0)
            kinds = {"http_503": failed - failed // 3, "timeout": failed // 3} if failed else {}
            latency = 400.0 if active and not dns_fault else 20.0
            retries += (30 if active else 0.2) * period
            attempts += requests * (3 if active else 1)
            if n % 10 == 0:
                probes.append({"name": "gateway-deep-health", "phase": "method", "t": t,
                               "ok": not active, "detail": "GET /health/deep"})  # fmt: skip
            writer.writerow([
                round(t, 4), 1.8e9 + t, "method", requests, requests - failed,
                json.dumps({k: v for k, v in kinds.items() if v}), requests * 10,
                round(failed / requests, 4), requests * 10,
                round(latency * 0.6 + rng.random() * 5, 2), round(latency + rng.random() * 30, 2),
                round(latency * 1.3 + rng.random() * 60, 2),
                "EMPTY" if dns_fault else "127.0.10.11", len(active), not active,
                1.0 if active else 0.0, 1.0 if active else 0.0, 0.0, attempts, attempts,
                attempts / 3, 150 - 150 * (len(active) > 0) * rng.random(),
                round(200 * math.sin(t / 40) ** 2) if active else 2,
                0.4, 0.05 + rng.random() * 0.2, retries, retries * 0.6, retries * 0.4,
            ])  # fmt: skip
    metrics = {
        "samples": int(seconds * hz), "sample_hz": hz, "client_requests": 250000,
        "client_failures": 40000, "error_budget_used": 160.0, "peak_burn_rate": 1000.0,
        "time_to_impact_s": 0.1, "time_to_detect_s": 0.8, "recovered": True,
        "time_to_recover_from_revert_s": 2.5, "time_to_recover_from_injection_s": 122.5,
        "outage_s": 700.0, "availability_during_fault": 0.4, "retry_amplification": 3.0,
        "backlog_peak": 200.0, "backlog_drain_s": 4.0, "client_outage_s": 690.0,
    }  # fmt: skip
    journal = {
        "run_id": "bench-hour", "source": "experiments/hour.yaml",
        "experiment": {"title": "An hour of faults", "description": "synthetic",
                       "steady_state": {"slo": {"error_rate_below": 0.01, "p95_below_ms": 300}},
                       "method": [{"fault": f["kind"], "target": f["target"]} for f in faults]},
        "backend": "local", "profiles": {"orders": {"profile": "naive", "overrides": {}}},
        "versions": {"chaoskit": "bench"}, "started_at": "2026-11-22T00:00:00Z",
        "method_started_t": 0.0, "status": "completed", "verdict": "hypothesis held",
        "steps": steps, "faults": faults, "probes": probes, "metrics": metrics,
        "timeline": "timeline.csv",
    }  # fmt: skip
    (directory / "journal.json").write_text(json.dumps(journal, indent=2))
    return directory


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


REFERENCE = """
import csv, json, sys
import matplotlib
matplotlib.use("Agg")
from matplotlib import pyplot as plt
run, out = sys.argv[1], sys.argv[2]
json.load(open(run + "/journal.json"))
rows = list(csv.DictReader(open(run + "/timeline.csv")))
t = [float(r["t"]) for r in rows]
def col(name):
    return [float(r[name]) if r[name] else float("nan") for r in rows]
charts = [["requests", "ok"], ["error_rate"], ["p50_ms", "p95_ms", "p99_ms"], ["active_faults"],
          ["svc_retries"], ["svc_breakers_open"], ["svc_queue_depth", "svc_leases_held"],
          ["svc_replication_lag_s"]]
fig, axes = plt.subplots(len(charts), 1, figsize=(10, 2.3 * len(charts)))
for ax, names in zip(axes, charts):
    for name in names:
        ax.plot(t, col(name), lw=1)
fig.savefig(out, format="svg")
"""

FLOOR = """
import csv, json, sys
json.load(open(sys.argv[1] + "/journal.json"))
list(csv.reader(open(sys.argv[1] + "/timeline.csv")))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--hz", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chaoskit-bench-report-"))
    run = synthetic_run(work / "run", args.hours * 3600, args.hz)
    samples = int(args.hours * 3600 * args.hz)
    print(f"\nreport of a {args.hours:g} h run at {args.hz:g} Hz ({samples:,} samples), "
          f"{args.rounds} rounds, each in a fresh process")  # fmt: skip
    cli = [sys.executable, "-m", "chaoskit", "report", str(run), "--out", str(work / "out")]
    out = work / "out"
    cases: dict[str, tuple[list[str], list[Path]]] = {
        "chaoskit html": ([*cli, "--format", "html"], [out / "report.html"]),
        "chaoskit md (+png)": (
            [*cli, "--format", "md"],
            [out / "report.md", out / "report-chart.png"],
        ),
        "chaoskit junit": ([*cli, "--format", "junit"], [out / "junit.xml"]),
        "chaoskit json": ([*cli, "--format", "json"], [out / "metrics.json"]),
        "chaoskit all four": (cli, []),
        "ref: matplotlib svg": (
            [sys.executable, "-c", REFERENCE, str(run), str(work / "ref.svg")],
            [work / "ref.svg"],
        ),
        "ref: read json+csv": ([sys.executable, "-c", FLOOR, str(run)], []),
    }
    print(f"{'renderer':<22} {'median':>8} {'min':>8} {'max':>8} {'size':>10}")
    results: dict[str, float] = {}
    for name, (argv, outputs) in cases.items():
        times = [timed(argv) for _ in range(args.rounds)]
        size = f"{sum(p.stat().st_size for p in outputs) / 1e6:.3f} MB" if outputs else "-"
        results[name] = statistics.median(times)
        print(
            f"{name:<22} {results[name]:>7.2f}s {min(times):>7.2f}s {max(times):>7.2f}s {size:>10}"
        )
    html = out / "report.html"
    size_mb = html.stat().st_size / 1e6
    verdict = "met" if results["chaoskit html"] <= 2.0 and size_mb <= 2.0 else "NOT met"
    print(f"html: {results['chaoskit html']:.2f} s, {size_mb:.2f} MB; target <= 2 s and "
          f"<= 2 MB: {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
