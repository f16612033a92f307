"""Soak the lab DNS server with random and malformed packets; report RSS before and after.

    python bench/dns_soak.py [--packets 100000]

Every 1,000 packets a real query must still be answered. Packets are random bytes, valid
queries with random bytes flipped, truncated queries and oversized ones, sent over UDP to a
server this script starts on loopback and stops at the end.
"""

from __future__ import annotations

import argparse
import random
import socket
import sys
import tempfile
import time
from pathlib import Path

import dns.message
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import answers, start_chaoskit_dns

HOST, PORT, ADMIN_PORT = "127.0.20.55", 5300, 5398
VALID = dns.message.make_query("bench.lab.test.", "A", use_edns=0).to_wire()


def _packet(rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:
        return rng.randbytes(rng.randrange(0, 512))
    if choice == 1:
        buf = bytearray(VALID)
        for _ in range(rng.randrange(1, 6)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        return bytes(buf)
    if choice == 2:
        return VALID[: rng.randrange(len(VALID))]
    return VALID + rng.randbytes(rng.randrange(512, 9000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20251020)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chaoskit-soak-"))
    server = start_chaoskit_dns(workdir, HOST, PORT, ADMIN_PORT)
    proc = psutil.Process(server.pid)
    rng = random.Random(args.seed)
    try:
        for _ in range(2000):  # warm every code path once before the first reading
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(_packet(rng), (HOST, PORT))
        time.sleep(0.5)
        rss_before = proc.memory_info().rss
        started = time.monotonic()
        failures = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            for i in range(1, args.packets + 1):
                try:
                    sock.sendto(_packet(rng), (HOST, PORT))
                except BlockingIOError:
                    time.sleep(0.001)
                if i % 1000 == 0:  # the server may be behind the flood: give it 2 s to answer
                    failures += 0 if any(answers(HOST, PORT) for _ in range(6)) else 1
                    try:
                        while sock.recv(65535):
                            pass
                    except BlockingIOError:
                        pass
        elapsed = time.monotonic() - started
        time.sleep(0.5)
        rss_after = proc.memory_info().rss
        alive = server.poll() is None and answers(HOST, PORT)
    finally:
        server.terminate()
        server.wait(10)
    print(f"sent {args.packets} random/malformed packets in {elapsed:.1f}s "
          f"({args.packets / elapsed:.0f}/s)")  # fmt: skip
    print(f"RSS before {rss_before / 2**20:.1f} MiB, after {rss_after / 2**20:.1f} MiB "
          f"(+{(rss_after - rss_before) / 2**20:.2f} MiB)")  # fmt: skip
    print(f"health checks failed: {failures} of {args.packets // 1000}; alive at the end: {alive}")
    if not alive or failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
