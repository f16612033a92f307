"""Load overhead: the same locustfile through ``chaoskit run`` and through plain Locust.

    python bench/load_overhead.py [--seconds 20] [--users 30]

Both drive the gateway of a lab on 127.0.24.0/24 with the packaged locustfile, headless,
one Locust process, the same users and duration, alternating, after one discarded warm-up
run (DynamoDB Local's JVM and the services' caches warm up on the first load); requests per
second come from Locust's own stats CSV in both cases. Target: ratio >= 0.95.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaoskit.lab import LabConfig, LocalLab
from chaoskit.load import LOCUSTFILE


def aggregated_rps(stats_csv: Path) -> float:
    with stats_csv.open() as source:
        for row in csv.DictReader(source):
            if row["Name"] == "Aggregated":
                return float(row["Requests/s"])
    raise ValueError(f"no Aggregated row in {stats_csv}")


def plain(gateway: str, users: int, seconds: float, work: Path) -> float:
    prefix = work / "plain"
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
         "-r", str(users), "-t", f"{int(seconds)}s", "--host", gateway, "--csv", str(prefix),
         "--only-summary", "--exit-code-on-error", "0"],
        check=True, capture_output=True, timeout=seconds + 60,
    )  # fmt: skip
    return aggregated_rps(Path(f"{prefix}_stats.csv"))


def through_chaoskit(state: Path, users: int, seconds: float, work: Path) -> float:
    experiment = work / "overhead.yaml"
    experiment.write_text(
        f"title: load overhead\nload: {{users: {users}, spawn_rate: {users}, warmup: 0s}}\n"
        f"method:\n  - wait: {seconds}s\nrecovery: {{consecutive_samples: 1, timeout: 5s}}\n"
    )
    out = work / "reports"
    subprocess.run(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(state), "run", str(experiment),
         "--out", str(out), "--no-fresh"],
        check=False, capture_output=True, timeout=seconds + 120,
    )  # fmt: skip
    run_dir = sorted(out.iterdir())[-1]
    return aggregated_rps(run_dir / "logs" / "locust_stats.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chaoskit-bench-overhead-"))
    config = LabConfig.on_subnet("127.0.24")
    lab = LocalLab(work / "state", config)
    lab.up()
    gateway = f"http://{config.services.gateway}"
    results: dict[str, list[float]] = {"plain locust": [], "chaoskit run": []}
    try:
        warmup = work / "warmup"
        warmup.mkdir()
        plain(gateway, args.users, 10, warmup)
        for i in range(args.rounds):
            round_dir = work / f"round-{i}"
            round_dir.mkdir()
            results["plain locust"].append(plain(gateway, args.users, args.seconds, round_dir))
            results["chaoskit run"].append(
                through_chaoskit(work / "state", args.users, args.seconds, round_dir)
            )
    finally:
        lab.down()
    print(f"{args.users} users, {args.seconds:g}s each, {args.rounds} rounds, alternating")
    for name, values in results.items():
        print(f"{name:>14}: " + ", ".join(f"{v:.1f}" for v in values) + " rps")
    ratios = [c / p for c, p in zip(results["chaoskit run"], results["plain locust"], strict=True)]
    print("per-round ratio: " + ", ".join(f"{r:.3f}" for r in ratios))
    ratio = sum(results["chaoskit run"]) / sum(results["plain locust"])
    print(f"ratio chaoskit / plain (all rounds): {ratio:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()
