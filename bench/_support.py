"""Shared pieces of the benchmarks: Debian tools, a chaoskit DNS server, dnsperf runs."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.query

BENCH_ZONE = """$ORIGIN lab.test.
$TTL 60
@      IN SOA ns1 hostmaster 1 3600 600 86400 5
@      IN NS  ns1
ns1    IN A   127.0.0.1
bench  IN A   127.0.0.1
other  IN A   127.0.0.2
"""


SERVER_CPU = "1"  # each server under test on one core, dnsperf on the other: less noise
CLIENT_CPU = "0"


def pinned(cpu: str, argv: list[str]) -> list[str]:
    """``argv`` bound to one CPU with taskset, where there are two CPUs to split."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return argv
    return ["taskset", "-c", cpu, *argv]


def ensure_debian_packages(binaries: dict[str, str]) -> None:
    """Install missing tools ({binary: package}) from Debian's packages when running as root."""
    missing = [pkg for binary, pkg in binaries.items() if shutil.which(binary) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        sys.exit(f"please install: apt-get install {' '.join(missing)}")
    print(f"installing {' '.join(missing)} from Debian's packages", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lists = Path("/var/lib/apt/lists")
    if not any(p.name.endswith("Packages") or "_Packages" in p.name for p in lists.iterdir()):
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def answers(host: str, port: int, name: str = "bench.lab.test.") -> bool:
    try:
        reply = dns.query.udp(dns.message.make_query(name, "A"), host, port=port, timeout=0.3)
    except Exception:
        return False
    return bool(reply.answer)


def wait_answering(host: str, port: int, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not answers(host, port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no DNS answer from {host}:{port}")
        time.sleep(0.05)


def start_chaoskit_dns(workdir: Path, host: str, port: int, admin_port: int,
                       zone_text: str = BENCH_ZONE, udp_mode: str = "batched",
                       ) -> subprocess.Popen[bytes]:  # fmt: skip
    """The lab DNS server on ``host:port``; ``udp_mode`` "loop" picks the event-loop listener."""
    zone = workdir / "bench.zone"
    zone.write_text(zone_text)
    proc = subprocess.Popen(
        pinned(SERVER_CPU, [sys.executable, "-m", "chaoskit", "--state-dir", str(workdir),
                            "dns", "serve", "--zone", str(zone), "--listen", host,
                            "--port", str(port), "--admin-port", str(admin_port),
                            "--udp", udp_mode]),
        stdout=(workdir / f"chaoskit-dns-{udp_mode}.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_answering(host, port)
    return proc


def start_dnsmasq(workdir: Path, host: str, port: int) -> subprocess.Popen[bytes]:
    argv = [
        "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
        f"--listen-address={host}", f"--port={port}", "--local-ttl=60", "--user=root",
        "--pid-file=", "--host-record=bench.lab.test,127.0.0.1",
        "--host-record=other.lab.test,127.0.0.2",
    ]  # fmt: skip
    proc = subprocess.Popen(
        pinned(SERVER_CPU, argv),
        stdout=(workdir / "dnsmasq.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    wait_answering(host, port)
    return proc


def dnsperf_throughput(host: str, port: int, queries: Path, seconds: float) -> dict[str, float]:
    """Unthrottled: as many queries as one dnsperf client gets answered, 200 in flight."""
    done = subprocess.run(
        pinned(CLIENT_CPU, ["dnsperf", "-s", host, "-p", str(port), "-d", str(queries),
                            "-l", str(seconds), "-q", "200", "-c", "1"]),
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    )  # fmt: skip
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    lost = float(re.search(r"Queries lost:\s+\d+ \(([\d.]+)%\)", done.stdout).group(1))  # type: ignore[union-attr]
    return {"qps": qps, "lost_pct": lost}


def dnsperf_latency(host: str, port: int, queries: Path, seconds: float, rate: int) -> list[float]:
    """At a fixed offered rate, every answered query's latency in microseconds, sorted."""
    done = subprocess.run(
        pinned(CLIENT_CPU, ["dnsperf", "-s", host, "-p", str(port), "-d", str(queries),
                            "-l", str(seconds), "-Q", str(rate), "-v"]),
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    )  # fmt: skip
    samples = sorted(
        float(m) * 1e6 for m in re.findall(r"^> \S+ \S+ \S+ ([\d.]+)$", done.stdout, re.M)
    )
    if not samples:
        raise RuntimeError("dnsperf reported no latencies")
    return samples


def latency_percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p99 and p99.9 of sorted latencies, in the units they came in."""

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, int(p / 100 * len(samples)))]

    return {"p50_us": pct(50), "p99_us": pct(99), "p999_us": pct(99.9)}


def median(values: list[float]) -> float:
    return statistics.median(values)
