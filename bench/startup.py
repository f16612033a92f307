"""Cold ``up`` to all-healthy and ``down``, with a per-component breakdown, over several runs.

    python bench/startup.py [--runs 5] [--dynamodb local|moto] [--byo] [--restarts 5]
                            [--switches 2]

Each run starts the whole lab (DNS server, resolver, Toxiproxy, two DynamoDB Locals, the
sample services) from nothing in a fresh state directory on 127.0.21.0/24, waits until every
health check passes and the lab is configured, restarts the four sample services
``--restarts`` times (what every run does first, and the lab tests after each test: stop
them all, start them, healthy again), as many times again with orders, fleet and status
resolving through the system resolver (``dns.resolver: system``, as the resolver lessons'
runs do: each exec'd into a mount namespace of its own, fork server or not; as root only),
switches the lab resolver's profile ``--switches`` times (resilient, naive, ...: a run whose
profile differs from the lab's restarts Unbound with its new configuration), then brings it
down. It does so twice in the same run, the two alternating: with the sample services forked
from the lab's fork server, and, as the reference, exec'd as new interpreters
(``CHAOSKIT_FORKSERVER=0``). ``--byo`` also times the byo example's lab (examples/byo: its
Go API built first, Redis, one DynamoDB Local) on 127.0.23.0/24 in the same run, so the two
figures sit side by side. Target (issue 20): all healthy in under 3 s.
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
from chaoskit.lab.components import FORKSERVER_ENV
from chaoskit.lab.labfile import lab_config_from_file
from chaoskit.resolver.settings import ResolverProfile
from chaoskit.services.resilience.settings import ServiceProfile

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_RESOLVER = {  # the resolver lessons' services (experiments/lessons/resolver-*.yaml)
    name: ServiceProfile(profile="naive", overrides={"dns.resolver": "system"})
    for name in ("orders", "fleet", "status")
}


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


def measure(make: Callable[[], LocalLab], runs: int, restarts: int = 0,
            forked: bool = True, switches: int = 0) -> dict[str, list[float]]:  # fmt: skip
    timings: dict[str, list[float]] = {}
    for _ in range(runs):
        os.environ[FORKSERVER_ENV] = "1" if forked else "0"
        lab = make()
        try:
            lab.up()
            found = dict(lab.timings)
            for _ in range(restarts):
                started = time.monotonic()
                lab.stop_services()
                lab.up()
                timings.setdefault("service restart", []).append(time.monotonic() - started)
            for _ in range(0 if lab.system_resolver().unavailable else restarts):
                started = time.monotonic()
                lab.stop_services()
                lab.up(profiles=SYSTEM_RESOLVER)
                timings.setdefault("system-resolver restart", []).append(time.monotonic() - started)
            for switch in range(switches):
                profile = ResolverProfile(profile="resilient" if switch % 2 == 0 else "naive")
                started = time.monotonic()
                lab.up(services=False, resolver=profile)
                timings.setdefault("resolver switch", []).append(time.monotonic() - started)
            started = time.monotonic()
        finally:
            lab.down()
            os.environ.pop(FORKSERVER_ENV, None)
        shutil.rmtree(lab.state_dir, ignore_errors=True)
        for name, seconds in {**found, "down": time.monotonic() - started}.items():
            timings.setdefault(name, []).append(seconds)
    return timings


REPEATED = ("service restart", "system-resolver restart", "resolver switch")


def report(title: str, timings: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    print(f"{'phase (healthy after)':<24} {'median':>8} {'min':>8} {'max':>8}")
    for name, values in timings.items():
        middle = statistics.median(values)
        print(f"{name:<24} {middle:>7.2f}s {min(values):>7.2f}s {max(values):>7.2f}s")
    total = statistics.median(timings["total"])
    slowest = max(
        (n for n in timings if n not in ("total", "down", *REPEATED)),
        key=lambda n: statistics.median(timings[n]),
    )
    print(f"all healthy (median): {total:.2f}s, target < 3 s; the long pole is {slowest}")
    for name in ("service restart", "system-resolver restart"):
        if name in timings:
            restart = statistics.median(timings[name])
            print(f"{name} (median of {len(timings[name])}): {restart:.2f}s, target < 0.5 s")
    if "resolver switch" in timings:
        switch = statistics.median(timings["resolver switch"])
        print(f"resolver profile switch (median of {len(timings['resolver switch'])}): "
              f"{switch:.2f}s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--restarts", type=int, default=5, help="service restarts per run")
    parser.add_argument("--switches", type=int, default=2, help="resolver switches per run")
    parser.add_argument("--dynamodb", choices=("local", "moto"), default="local")
    parser.add_argument("--byo", action="store_true", help="time the byo example's lab too")
    args = parser.parse_args()
    forked: dict[str, list[float]] = {}
    execd: dict[str, list[float]] = {}
    for _ in range(args.runs):  # alternating, so both see the same machine
        for into, fork in ((forked, True), (execd, False)):
            for name, values in measure(
                lambda: sample_lab(args.dynamodb), 1, args.restarts, fork, args.switches
            ).items():
                into.setdefault(name, []).extend(values)
    what = f"{args.runs} runs, DynamoDB: {args.dynamodb}"
    report(f"cold start of the sample lab, services forked from the fork server, {what}", forked)
    report(f"reference: the same, each service exec'd (CHAOSKIT_FORKSERVER=0), {what}", execd)
    if args.byo:
        byo = measure(byo_lab_factory(args.dynamodb), args.runs)
        report(f"cold start of the byo lab (Go API, Redis), {args.runs} runs", byo)


if __name__ == "__main__":
    main()
