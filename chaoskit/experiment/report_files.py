"""The run directory: ``journal.json`` (everything about the run), ``timeline.csv`` (one
row per sample) and, written as the run goes, ``events.jsonl``."""

from __future__ import annotations

import csv
import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaoskit._whole_files import write_whole
from chaoskit.experiment.run_metrics import run_stages

if TYPE_CHECKING:
    from chaoskit.experiment.recorder import Sample
    from chaoskit.experiment.run_journal import RunJournal
    from chaoskit.experiment.runner import ExperimentRun

__all__ = ["JOURNAL", "TIMELINE", "write_journal", "write_run_dir", "write_timeline"]

JOURNAL = "journal.json"
TIMELINE = "timeline.csv"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _versions(run: ExperimentRun) -> dict[str, Any]:
    components = {
        name: record.version or record.engine for name, record in run.lab.state.components.items()
    }
    return {
        "chaoskit": _version("chaoskit"),
        "python": platform.python_version(),
        "locust": _version("locust"),
        "components": components,
    }


def write_run_dir(
    run: ExperimentRun, kept: RunJournal, status: str, verdict: str, metrics: dict[str, Any]
) -> Path:
    run.run_dir.mkdir(parents=True, exist_ok=True)
    samples = run.recorder.samples if run.recorder else []
    journal = {
        "run_id": run.run_id,
        "source": str(run.source),
        "experiment": run.experiment.model_dump(mode="json", by_alias=True),
        "backend": run.lab.backend,
        "host": platform.node() or "localhost",
        "profiles": {n: p.model_dump() for n, p in run.lab.state.profiles.items()},
        "resolver": run.lab.state.resolver.model_dump(),
        "versions": _versions(run),
        "started_at": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(samples[0].wall if samples else time.time())
        ),
        "method_started_t": run.method_started_t,
        "phases": [{"phase": phase, "t": round(t, 3)} for phase, t in kept.phases],
        "timings": {"started_wall": run.t0_wall, **run.marks},
        "watched_record": run.watched_record(),
        "status": status,
        "verdict": verdict,
        "steps": run.steps,
        "faults": [f.journal() for f in run.faults],
        "probes": [vars(p) for p in kept.probes],
        "metrics": metrics,
        "stages": run_stages(run.experiment, run.steps, run.faults, samples),
        "timeline": TIMELINE,
    }
    write_timeline(run.run_dir, samples)  # first: a journal is there only beside its timeline
    write_journal(run.run_dir, journal)
    return run.run_dir


def write_journal(run_dir: Path, journal: dict[str, Any]) -> None:
    """``journal.json``, written whole (temporary file, then rename)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(journal, indent=2, default=str)
    write_whole(run_dir / JOURNAL, lambda tmp: tmp.write_text(text))


def write_timeline(run_dir: Path, samples: list[Sample]) -> None:
    """``timeline.csv``: a row per sample, a column per field (and per service series)."""
    rows = [s.row() for s in samples]
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="") as sink:
            writer = csv.DictWriter(sink, fieldnames=columns or ["t"])
            writer.writeheader()
            writer.writerows(rows)

    write_whole(run_dir / TIMELINE, write)
