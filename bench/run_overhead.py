"""A run's overhead: wall time of ``chaoskit run`` beside the work it was asked to do.

    python bench/run_overhead.py [--runs 3] [--experiment experiments/dns-blackout.yaml]
                                 [--profile resilient]

The lab is brought up first (on 127.0.22.0/24, in a fresh state directory) and is not
counted. Each run is a real ``chaoskit run`` in its own process; the figure beside it, its
reference, is the work the experiment asks for: warm-up, method and recovery as the run's
journal timed them (``phases``). Overhead is wall time less that work, broken down from the
journal's ``timings``. Each run alternates with a reference run whose Locust is exec'd
(``CHAOSKIT_LOADSERVER=0``) rather than forked from the lab's Locust fork server, so both
overheads are measured on the same machine in the same minutes. The parts:

- start: interpreter, imports, validation, lab check, until the run object exists;
- service reset: stopping the services and starting them again (every run starts fresh);
- lab check and the automation; Locust start until its first results;
- the steady-state probes before and after;
- teardown (reverts, Locust and the recorder stopped) and the reports, until the process ends.

Target (issue 20): overhead <= 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaoskit.lab import LabConfig, LocalLab
from chaoskit.lab.components import LOADSERVER_ENV

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("start", "service reset", "lab check", "Locust start", "probes before",
         "probes after", "teardown and reports")  # fmt: skip


def _phase_starts(journal: dict[str, object]) -> dict[str, float]:
    starts: dict[str, float] = {}
    for item in journal.get("phases", []):  # type: ignore[attr-defined]
        starts.setdefault(item["phase"], item["t"])
    return starts


def breakdown(journal: dict[str, object], began_wall: float, ended_wall: float) -> dict[str, float]:
    """Work, overhead and each part of the overhead, in seconds, from one run's journal.

    The parts and the work add up to the wall time: work is the warm-up (from Locust's first
    results), the method and the recovery; everything else is a part of the overhead."""
    phases = _phase_starts(journal)
    marks = dict(journal["timings"])  # type: ignore[call-overload]
    t0_wall = float(marks.pop("started_wall"))
    end = ended_wall - t0_wall
    before, method = phases["steady-state-before"], phases["method"]
    after = phases.get("steady-state-after", phases["teardown"])
    teardown = phases["teardown"]
    settled = marks.get("services_settled", marks["lab_up"])
    checked = marks["lab_checked"]
    first = marks.get("first_results", checked)
    work = (before - first) + (after - method)
    parts = {
        "start": t0_wall - began_wall,
        "service reset": settled,
        "lab check": checked - settled,
        "Locust start": first - checked,
        "probes before": method - before,
        "probes after": teardown - after,
        "teardown and reports": end - teardown,
    }
    wall = ended_wall - began_wall
    return {"wall": wall, "work": work, "overhead": wall - work, **parts}


def _run(state: Path, args: argparse.Namespace, env: dict[str, str]) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="chaoskit-overhead-runs-"))
    began = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(state), "run",
         str(args.experiment), "--profile", args.profile, "--out", str(out)],
        capture_output=True, text=True, timeout=900, check=False, env=env,
    )  # fmt: skip
    ended = time.time()
    (run_dir,) = out.iterdir()
    journal = json.loads((run_dir / "journal.json").read_text())
    if journal["status"] != "completed":
        raise SystemExit(f"run did not complete: {done.stdout[-2000:]}{done.stderr}")
    return breakdown(journal, began, ended)


def _print(title: str, figures: dict[str, list[float]]) -> None:
    print(title)
    for name in ("wall", "work", "overhead", *PARTS):
        values = figures[name]
        each = "  ".join(f"{v:6.2f}" for v in values)
        print(f"{name:<22}{statistics.median(values):8.2f} s   [{each}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments/dns-blackout.yaml")
    parser.add_argument("--profile", default="resilient")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="chaoskit-overhead-"))
    lab = LocalLab(state, LabConfig.on_subnet("127.0.22"), dynamodb="local")
    lab.up()
    lab.load_zygote()  # listening before the first run, as a lab up for a while is
    forked: dict[str, list[float]] = {}
    execd: dict[str, list[float]] = {}
    try:
        for _ in range(args.runs):
            for figures, env in ((forked, {}), (execd, {LOADSERVER_ENV: "0"})):
                for name, value in _run(state, args, {**os.environ, **env}).items():
                    figures.setdefault(name, []).append(value)
    finally:
        lab.down()
    what = f"{args.experiment.name}, --profile {args.profile}, {args.runs} runs (median, then each)"
    _print(f"{what}; Locust forked from the lab's Locust fork server", forked)
    _print(f"\nreference: the same, each Locust exec'd ({LOADSERVER_ENV}=0)", execd)
    met = statistics.median(forked["overhead"]) <= 3.0
    print(f"overhead target <= 3 s: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
