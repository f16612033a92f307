"""SIGKILL a five-fault ``chaoskit run`` at random instants; count what each kill left.

    python bench/kill_trials.py [--trials 100] [--seed 1]

A local lab on 127.0.30.0/24 (its own state directory) runs an experiment with dns.blank,
toxiproxy.latency, toxiproxy.down, process.pause and process.kill, each for 3 s. Each trial
starts ``chaoskit run`` and SIGKILLs it at an instant drawn uniformly over an unkilled run's
length. Then, once every fault's expiry (plus the grace and the watchdog's period) has passed,
the lab is checked with tools that are not chaoskit's own — ``ps`` for stopped or missing
processes, Toxiproxy's HTTP API for toxics and disabled proxies, the DNS server's admin API
for faults and ``dig`` for the record — before and after ``chaoskit recover``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import ensure_debian_packages
from chaoskit.lab import LabConfig

SUBNET = "127.0.30"
EXPERIMENT = """title: five faults
method:
  - {at: 0s, fault: dns.blank, target: dynamodb.us-east-1.lab.test, duration: 3s}
  - {at: 0.5s, fault: toxiproxy.latency, target: dynamodb-us-east-1, duration: 3s,
     params: {latency: 300}}
  - {at: 1s, fault: toxiproxy.down, target: dynamodb-us-west-2, duration: 3s}
  - {at: 1.5s, fault: process.pause, target: status, duration: 3s}
  - {at: 2s, fault: process.kill, target: fleet, duration: 3s}
recovery: {consecutive_samples: 5, timeout: 20s}
"""
SETTLE_S = 3.0 + 3.0 + 5.0  # the last fault's end after the kill, the grace, the watchdog's restart


def chaoskit(state: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("chaoskit")
    return subprocess.run([str(binary), "--state-dir", str(state), *args], capture_output=True,
                          text=True, timeout=timeout, check=False)  # fmt: skip


def _get(url: str, token: str | None = None) -> object:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    with urllib.request.urlopen(request, timeout=3) as answer:
        return json.loads(answer.read())


def what_is_left(state: Path, config: LabConfig) -> list[str]:
    """Everything that differs from a clean lab, seen from outside chaoskit."""
    left = []
    components = json.loads((state / "state.json").read_text())["components"]
    for name, record in components.items():
        ps = subprocess.run(
            ["ps", "-o", "stat=", "-p", str(record["pid"])],
            capture_output=True,
            text=True,
            check=False,
        )
        stat = ps.stdout.strip()
        if not stat:
            left.append(f"{name} (pid {record['pid']}) is not running")
        elif stat.startswith("T"):
            left.append(f"{name} (pid {record['pid']}) is stopped ({stat})")
    api = f"http://{config.toxiproxy}"
    proxies = _get(f"{api}/proxies")
    assert isinstance(proxies, dict)
    for name, proxy in proxies.items():
        if not proxy["enabled"]:
            left.append(f"proxy {name} disabled")
        if proxy["toxics"]:
            left.append(f"toxics on {name}: {[t['name'] for t in proxy['toxics']]}")
    token = (state / "dns-admin.token").read_text().strip()
    faults = _get(f"http://{config.dns_admin}/faults", token)
    if faults:
        left.append(f"DNS faults: {faults}")
    dig = subprocess.run(["dig", f"@{config.dns.host}", "-p", str(config.dns.port), "+short",
                          "+time=1", "+tries=1", "dynamodb.us-east-1.lab.test", "A"],
                         capture_output=True, text=True, check=False)  # fmt: skip
    if not dig.stdout.strip():
        left.append("dig: dynamodb.us-east-1.lab.test has no address")
    return left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ensure_debian_packages({"dig": "dnsutils", "ps": "procps"})
    work = Path(tempfile.mkdtemp(prefix="chaoskit-kills-"))
    state, experiment = work / "state", work / "five.yaml"
    experiment.write_text(EXPERIMENT)
    config = LabConfig.on_subnet(SUBNET)
    (work / "lab.json").write_text(config.model_dump_json())
    rng = random.Random(args.seed)
    up = chaoskit(state, "up", "--backend", "local", "--config", str(work / "lab.json"))
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        started = time.monotonic()
        whole = chaoskit(state, "run", str(experiment), "--no-fresh", "--out", str(work / "r"))
        length = time.monotonic() - started
        assert whole.returncode in (0, 1), whole.stdout[-2000:] + whole.stderr
        print(f"an unkilled run takes {length:.1f}s; killing at uniform instants within it")
        clean_alone = clean_after_recover = 0
        for trial in range(args.trials):
            chaoskit(state, "up")  # the killed fleet is back, whoever restarted it
            instant = rng.uniform(0, length)
            binary = Path(sys.executable).with_name("chaoskit")
            argv = [str(binary), "--state-dir", str(state), "run", str(experiment),
                    "--no-fresh", "--out", str(work / "r")]  # fmt: skip
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(instant)
            proc.kill()
            proc.wait()
            time.sleep(SETTLE_S)
            alone = what_is_left(state, config)
            recovered = chaoskit(state, "recover")
            after = what_is_left(state, config)
            clean_alone += not alone
            clean_after_recover += not after and recovered.returncode == 0
            verdict = "clean" if not alone else f"left {alone}"
            if after or recovered.returncode != 0:
                verdict += f"; AFTER RECOVER: {after} ({recovered.stdout.strip()})"
            print(f"trial {trial + 1:3}: killed at {instant:5.2f}s: {verdict}", flush=True)
        print(f"\n{args.trials} random-instant SIGKILLs of a five-fault run:")
        n = args.trials
        print(f"  clean {SETTLE_S:g}s after the kill, with no chaoskit command: {clean_alone}/{n}")
        print(f"  clean after `chaoskit recover` (exit 0): {clean_after_recover}/{n}")
    finally:
        chaoskit(state, "down")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
