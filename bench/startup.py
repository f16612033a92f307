"""Cold ``up`` to all-healthy and ``down``, with a per-component breakdown, over several runs.

    python bench/startup.py [--runs 5] [--dynamodb local|moto]

Each run starts the whole lab (DNS server, Toxiproxy, two DynamoDB Locals) from nothing in a
fresh state directory on 127.0.21.0/24, waits until every health check passes and the lab is
configured, then brings it down. Target (issue 2): all healthy in under 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaoskit.lab import LabConfig, LocalLab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dynamodb", choices=("local", "moto"), default="local")
    args = parser.parse_args()
    timings: dict[str, list[float]] = {}
    for _ in range(args.runs):
        lab = LocalLab(
            Path(tempfile.mkdtemp(prefix="chaoskit-startup-")),
            LabConfig.on_subnet("127.0.21"),
            args.dynamodb,
        )
        lab.up()
        started = time.monotonic()
        lab.down()
        for name, seconds in {**lab.timings, "down": time.monotonic() - started}.items():
            timings.setdefault(name, []).append(seconds)
    print(f"\ncold start of the local lab, {args.runs} runs, DynamoDB engine: {args.dynamodb}")
    print(f"{'phase (healthy after)':<24} {'median':>8} {'min':>8} {'max':>8}")
    for name, values in timings.items():
        middle = statistics.median(values)
        print(f"{name:<24} {middle:>7.2f}s {min(values):>7.2f}s {max(values):>7.2f}s")
    total = statistics.median(timings["total"])
    slowest = max(
        (n for n in timings if n not in ("total", "down")),
        key=lambda n: statistics.median(timings[n]),
    )
    print(f"all healthy (median): {total:.2f}s, target < 3 s; the long pole is {slowest}")


if __name__ == "__main__":
    main()
