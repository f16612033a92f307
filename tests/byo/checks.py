"""What the byo tests read from a run directory, on either backend."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

__all__ = ["p95_rise_ms", "run_metrics"]


def run_metrics(run_dir: Path) -> dict[str, object]:
    found: dict[str, object] = json.loads((run_dir / "metrics.json").read_text())["metrics"]
    return found


def p95_rise_ms(run_dir: Path) -> tuple[float, float]:
    """The median p95 of the warm-up and of the samples under the one fault."""
    with (run_dir / "timeline.csv").open() as source:
        rows = [r for r in csv.DictReader(source) if r["p95_ms"]]
    before = statistics.median(float(r["p95_ms"]) for r in rows if r["phase"] == "warmup")
    during = statistics.median(float(r["p95_ms"]) for r in rows if r["active_faults"] == "1")
    return before, during
