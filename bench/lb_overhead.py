"""Load balancer overhead: requests through the sample load balancer beside the gateways
directly, in one run.

    python bench/lb_overhead.py [--requests 2000] [--seconds 10] [--concurrency 32] [--rounds 2]

A lab on 127.0.29.0/24 with the load balancer in front of three gateways (HAProxy in TCP
mode, the control plane checking them). The reference is the same requests sent straight
to the three gateways, spread over them in turn by the client, so both sides have the same
three servers and differ only by HAProxy's hop. Rounds alternate direct and through the LB,
after one discarded warm-up each. ``GET /health`` (no dependency behind it), so the figure is
the load balancer's, not DynamoDB's.

- latency: ``--requests`` sequential requests, each on a new connection (a client that does
  not pool: the worst case, HAProxy connects to a target per connection) and on one kept
  alive connection; p50 and p99 in ms.
- peak throughput: a closed loop of ``--concurrency`` clients for ``--seconds``, connections
  kept alive; successful requests per second.

Targets (issue 19): added p50 <= 1 ms; peak rps through the LB >= 0.9 x direct.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaoskit.lab import LabConfig, LocalLab
from chaoskit.lab.health import wait_until


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latencies(urls: list[str], requests: int, keep_alive: bool) -> list[float]:
    """Milliseconds per request, sent one after the other, the urls in turn."""
    headers = {} if keep_alive else {"Connection": "close"}
    limits = httpx.Limits(max_keepalive_connections=len(urls) if keep_alive else 0)
    found = []
    with httpx.Client(timeout=5, headers=headers, limits=limits) as client:
        for url in itertools.islice(itertools.cycle(urls), requests):
            began = time.perf_counter()
            client.get(url).raise_for_status()
            found.append((time.perf_counter() - began) * 1000)
    return found


async def _closed_loop(urls: list[str], seconds: float, concurrency: int) -> float:
    connector = aiohttp.TCPConnector(limit=concurrency)
    done = 0
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(i: int) -> None:
            nonlocal done
            for url in itertools.cycle(urls[i % len(urls) :] + urls[: i % len(urls)]):
                if time.monotonic() >= deadline:
                    return
                async with session.get(url) as response:
                    await response.read()
                    done += response.status == 200

        began = time.monotonic()
        await asyncio.gather(*(client(i) for i in range(concurrency)))
        return done / (time.monotonic() - began)


def peak_rps(urls: list[str], seconds: float, concurrency: int) -> float:
    return asyncio.run(_closed_loop(urls, seconds, concurrency))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chaoskit-bench-lb-"))
    config = LabConfig.on_subnet("127.0.29").with_load_balancer(replicas=3)
    lab = LocalLab(work / "state", config)
    lab.up()
    sides = {
        "direct": [f"http://{config.sample_endpoint(n)}/health" for n in config.lb.targets()],
        "through the LB": [f"http://{config.lb.nodes[0]}/health"],
    }
    summary = f"http://{config.lb.controller}/targets"

    def all_serving() -> bool:
        targets = httpx.get(summary, timeout=2).json()["targets"].values()
        return all(t["in_service"] and t["health"] == "healthy" for t in targets)

    figures: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    try:
        assert wait_until(all_serving, 30), httpx.get(summary).text
        for urls in sides.values():  # warm-up, discarded
            latencies(urls, 200, keep_alive=True)
            peak_rps(urls, 2, args.concurrency)
        for _ in range(args.rounds):
            for side, urls in sides.items():
                for keep_alive, name in ((False, "new connection"), (True, "kept alive")):
                    found = latencies(urls, args.requests, keep_alive)
                    figures[side].setdefault(f"p50 {name}", []).append(_percentile(found, 0.5))
                    figures[side].setdefault(f"p99 {name}", []).append(_percentile(found, 0.99))
                figures[side].setdefault("peak rps", []).append(
                    peak_rps(urls, args.seconds, args.concurrency)
                )
    finally:
        lab.down()
    _print(figures, args)


def _print(figures: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> None:
    direct, through = figures["direct"], figures["through the LB"]
    med = statistics.median
    print(f"load balancer overhead: {args.rounds} rounds, GET /health, 3 gateways, "
          f"{args.requests} sequential requests, {args.concurrency} clients for "
          f"{args.seconds:g}s")  # fmt: skip
    print(f"{'figure':<22} {'direct':>10} {'through LB':>11} {'added / ratio':>14}")
    for key in direct:
        a, b = med(direct[key]), med(through[key])
        if key == "peak rps":
            print(f"{key:<22} {a:>10.0f} {b:>11.0f} {b / a:>13.2f}x")
        else:
            print(f"{key + ' (ms)':<22} {a:>10.2f} {b:>11.2f} {b - a:>+13.2f}")
    added = med(through["p50 kept alive"]) - med(direct["p50 kept alive"])
    ratio = med(through["peak rps"]) / med(direct["peak rps"])
    print(f"targets: added p50 (kept alive) {added:+.2f} ms (<= 1 ms: "
          f"{'met' if added <= 1 else 'NOT met'}); peak rps {ratio:.2f}x direct (>= 0.9: "
          f"{'met' if ratio >= 0.9 else 'NOT met'})")  # fmt: skip


if __name__ == "__main__":
    main()
