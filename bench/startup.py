"""Cold ``up`` to all-healthy and ``down``, with a per-component breakdown, over several runs.

    python bench/startup.py [--runs 5] [--dynamodb local|moto] [--byo]

Each run starts the whole lab (DNS server, resolver, Toxiproxy, two DynamoDB Locals, the
sample services) from nothing in a fresh state directory on 127.0.21.0/24, waits until every
health check passes and the lab is configured, then brings it down. ``--byo`` also times the
byo example's lab (examples/byo: its Go API built first, Redis, one DynamoDB Local) on
127.0.23.0/24 in the same run, so the two figures sit side by side. Target (issue 20): all
healthy in under 3 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaoskit.lab import LabConfig, LocalLab
from chaoskit.lab.labfile import lab_config_from_file

ROOT = Path(__file__).resolve().parents[1]


def sample_lab(dynamodb: str) -> LocalLab:
    state = Path(tempfile.mkdtemp(prefix="chaoskit-startup-"))
    return LocalLab(state, LabConfig.on_subnet("127.0.21"), dynamodb)


def byo_lab_factory(dynamodb: str) -> Callable[[], LocalLab]:
    """The byo example on 127.0.23, its API built once into a scratch copy."""
    root = Path(tempfile.mkdtemp(prefix="chaoskit-startup-byo-"))
    (root / "api").mkdir()
    source = ROOT / "examples" / "byo" / "api"
    build = ["go", "build", "-o", str(root / "api" / "api"), "."]
    subprocess.run(build, check=True, cwd=source, env={**os.environ, "CGO_ENABLED": "0"})
    text = (ROOT / "examples" / "byo" / "chaoskit.yaml").read_text()
    text = text.replace("127.0.10.", "127.0.23.").replace("zone: lab.test", "subnet: 127.0.23")
    (root / "chaoskit.yaml").write_text(text)
    config = lab_config_from_file(root / "chaoskit.yaml")

    def make() -> LocalLab:
        state = root / f"state-{time.monotonic_ns()}"
        return LocalLab(state, config, dynamodb)

    return make


def measure(make: Callable[[], LocalLab], runs: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    for _ in range(runs):
        lab = make()
        lab.up()
        started = time.monotonic()
        lab.down()
        shutil.rmtree(lab.state_dir, ignore_errors=True)
        for name, seconds in {**lab.timings, "down": time.monotonic() - started}.items():
            timings.setdefault(name, []).append(seconds)
    return timings


def report(title: str, timings: dict[str, list[float]]) -> None:
    print(f"\n{title}")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dynamodb", choices=("local", "moto"), default="local")
    parser.add_argument("--byo", action="store_true", help="time the byo example's lab too")
    args = parser.parse_args()
    sample = measure(lambda: sample_lab(args.dynamodb), args.runs)
    report(f"cold start of the sample lab, {args.runs} runs, DynamoDB: {args.dynamodb}", sample)
    if args.byo:
        byo = measure(byo_lab_factory(args.dynamodb), args.runs)
        report(f"cold start of the byo lab (Go API, Redis), {args.runs} runs", byo)


if __name__ == "__main__":
    main()
