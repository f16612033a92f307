"""Fault activation latency: from the engine's inject call to the first client that sees it.

    python bench/fault_activation.py [--trials 20]

For ``dns.blank`` the client asks the lab DNS server for the record in a tight loop; for
``toxiproxy.down`` it opens TCP connections to the proxy in a tight loop. The client is its
own process, as a real client would be. The clock starts
just before the engine's ``FaultKind.inject`` (the same call ``chaoskit run`` makes, ledger
write excluded) and stops when the client first observes the fault. Target: under 20 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dns.message
import dns.query

from chaoskit.experiment.injection import inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab import LabConfig, LocalLab


def dns_blank_seen(config: LabConfig, record: str) -> bool:
    query = dns.message.make_query(record, "A")
    reply = dns.query.udp(query, config.dns.host, port=config.dns.port, timeout=0.5)
    return not reply.answer


def proxy_down_seen(config: LabConfig) -> bool:
    proxy = config.region("us-east-1").proxy
    try:
        with socket.create_connection((proxy.host, proxy.port), timeout=0.5) as conn:
            conn.settimeout(0.05)
            try:
                return conn.recv(1) == b""  # closed at once: the proxy is disabled
            except TimeoutError:
                return False
    except OSError:
        return True


def _watch(seen: Callable[[], bool], ready: Any, observed: Any) -> None:
    """In its own process (no GIL shared with the engine): record when the fault shows."""
    ready.set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if seen():
            observed.value = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
            return


def trial(lab: LocalLab, kind_name: str, target: str, seen: Callable[[], bool]) -> float:
    now = time.time()
    entry = LedgerEntry(
        run="bench", kind=kind_name, target=target, duration_s=5, expires_at=now + 8
    )
    context = multiprocessing.get_context("fork")
    ready, observed = context.Event(), context.Value("d", 0.0)
    watcher = context.Process(target=_watch, args=(seen, ready, observed))
    watcher.start()
    ready.wait(5)
    time.sleep(0.05)
    started = time.monotonic()
    ledger = Ledger(lab.state_dir)
    entry = inject_fault(lab, ledger, entry)  # prepare, ledger fsync, then the fault
    watcher.join(5)
    revert_fault(lab, ledger, entry)
    time.sleep(0.2)
    return (observed.value - started) * 1000 if observed.value else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chaoskit-bench-activation-"))
    config = LabConfig.on_subnet("127.0.23")
    lab = LocalLab(work / "state", config)
    lab.up(services=False)
    record = config.region("us-east-1").record
    try:
        results = {
            "dns.blank": [trial(lab, "dns.blank", record, lambda: dns_blank_seen(config, record))
                          for _ in range(args.trials)],
            "toxiproxy.down": [trial(lab, "toxiproxy.down", "dynamodb-us-east-1",
                                     lambda: proxy_down_seen(config)) for _ in range(args.trials)],
        }  # fmt: skip
    finally:
        lab.down()
    print(f"fault activation latency, {args.trials} trials each (target < 20 ms)")
    print(f"{'fault':>16} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for name, values in results.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"{name:>16} {statistics.median(ordered):>10.2f} {p95:>8.2f} {ordered[-1]:>8.2f}")


if __name__ == "__main__":
    main()
