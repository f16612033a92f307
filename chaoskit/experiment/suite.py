"""``chaoskit suite run DIR``: every experiment in a directory, once per variant, then one
summary report — for the lessons, each pattern off and on, side by side.

Every file is validated before anything runs. The runs go under
``OUT/<time>-suite-<dir>/runs/``; each experiment with two or more variants also gets a
comparison report (``<slug>/compare.html``); and the suite gets ``suite.md``,
``suite.json`` and ``suite.html`` with, per lesson, its metrics variant by variant.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaoskit._errors import ChaoskitError
from chaoskit._text import slug
from chaoskit.documents import what_else, yaml_files_in
from chaoskit.experiment.load import ExperimentInvalid, Problem, load_experiment
from chaoskit.experiment.model import Experiment
from chaoskit.experiment.runner import RunResult
from chaoskit.report.definitions import HEADLINE, format_value
from chaoskit.report.markdown import md

__all__ = ["SuiteResult", "run_suite"]

AS_WRITTEN = "as written"


@dataclass
class Entry:
    source: Path
    experiment: Experiment
    runs: dict[str, RunResult] = field(default_factory=dict)
    compare: Path | None = None


@dataclass
class SuiteResult:
    directory: Path
    entries: list[Entry]

    @property
    def exit_code(self) -> int:
        statuses = [r.status for e in self.entries for r in e.runs.values()]
        if any(s in ("aborted", "interrupted") for s in statuses):
            return 3
        return 0 if all(s == "completed" for s in statuses) else 1


def load_suite(
    directory: Path, config: Any = None, echo: Callable[[str], None] | None = None
) -> list[Entry]:
    """Every experiment in ``directory``, validated; a lab file, a game-day plan or a Docker
    Compose file beside them is passed over, and named to ``echo``."""
    if not directory.is_dir():
        missing = "not a directory" if directory.exists() else "no such directory"
        raise ExperimentInvalid([Problem(str(directory), 1, 1, "(directory)", missing)])
    files = []
    for path in yaml_files_in(directory):
        if (other := what_else(path, "experiment")) is None:
            files.append(path)
        elif echo is not None:
            echo(f"{path}: skipped ({other})")
    if not files:
        raise ExperimentInvalid([Problem(str(directory), 1, 1, "(directory)",
                                         "no experiments (*.yaml, *.yml) in it")])  # fmt: skip
    problems: list[Problem] = []
    entries = []
    for path in files:
        try:
            entries.append(Entry(path, load_experiment(path, config)))
        except ExperimentInvalid as exc:
            problems += exc.problems
    if problems:
        raise ExperimentInvalid(problems)
    return entries


def run_suite(
    directory: Path,
    out_dir: Path,
    *,
    state_dir: Path,
    lab_file: Path | None = None,
    config: Any = None,
    interactive: bool = False,
    echo: Callable[[str], None] = print,
) -> SuiteResult:
    """Every experiment of ``directory``, each variant through ``chaoskit.run_experiment``
    (with all its checks), in the lab of ``state_dir``. The caller holds the lab lock."""
    from chaoskit.runs import run_experiment

    entries = load_suite(directory, config)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    suite_dir = out_dir / f"{stamp}-suite-{slug(directory.name)}"
    for entry in entries:
        variants = list(entry.experiment.variants) or [AS_WRITTEN]
        for name in variants:
            echo(f"=== {entry.experiment.title}: {name} ===")
            try:
                entry.runs[name] = run_experiment(
                    entry.source, variant=None if name == AS_WRITTEN else name,
                    out=suite_dir / "runs", state_dir=state_dir, lab_file=lab_file,
                    interactive=interactive, echo=echo,
                )  # fmt: skip
            except ChaoskitError:  # refused (a fault left behind, drift): what ran is kept
                _finish(suite_dir, entries)
                raise
            if entry.runs[name].status == "interrupted":
                return _finish(suite_dir, entries)
        if len(entry.runs) >= 2:
            entry.compare = _compare(entry, suite_dir / slug(entry.experiment.title))
    return _finish(suite_dir, entries)


def _compare(entry: Entry, out: Path) -> Path:
    from chaoskit.report import load_run, render_comparison

    runs = [load_run(r.run_dir) for r in entry.runs.values()]
    render_comparison(runs, ["html", "md", "json"], out)
    return out / "compare.html"


def _metric_cells(entry: Entry) -> list[dict[str, Any]]:
    lesson = entry.experiment.lesson
    keys = (
        lesson.metrics if lesson else ["availability_during_fault", "time_to_recover_from_revert_s"]
    )
    definitions = {m.key: m for m in HEADLINE}
    rows = []
    for key in keys:
        metric = definitions[key]
        values = {
            name: format_value(metric, result.metrics[key]) if key in result.metrics else "-"
            for name, result in entry.runs.items()
        }
        rows.append({"metric": metric.label, "key": key, "values": values})
    return rows


def _document(suite_dir: Path, entries: list[Entry]) -> dict[str, Any]:
    return {
        "schema": "chaoskit.suite/v1",
        "lessons": [
            {
                "title": e.experiment.title,
                "source": str(e.source),
                "lesson": e.experiment.lesson.text if e.experiment.lesson else "",
                "runs": {
                    name: {
                        "status": r.status,
                        "verdict": r.verdict,
                        "held": r.held,
                        "run_dir": str(r.run_dir),
                        "metrics": r.metrics,
                    }
                    for name, r in e.runs.items()
                },
                "table": _metric_cells(e),
                "compare": str(e.compare) if e.compare else None,
            }
            for e in entries
        ],
    }


def _markdown(suite_dir: Path, entries: list[Entry]) -> str:
    header = "| Lesson | Metric | Measured (variant: value) |"
    lines = [f"# Suite: {md(suite_dir.name)}", "", header, "|---|---|---|"]
    for entry in entries:
        for i, row in enumerate(_metric_cells(entry)):
            title = md(entry.experiment.title) if i == 0 else ""
            measured = " → ".join(f"{md(name)}: {value}" for name, value in row["values"].items())
            lines.append(f"| {title} | {row['metric']} | {measured} |")
    lines += ["", "Each lesson's runs and comparison are beside this file.", ""]
    for entry in entries:
        if entry.experiment.lesson:
            lines.append(f"- **{md(entry.experiment.title)}**: {md(entry.experiment.lesson.text)}")
    lines.append("")
    return "\n".join(lines)


def _finish(suite_dir: Path, entries: list[Entry]) -> SuiteResult:
    from chaoskit.report.html import page_environment, script_json

    suite_dir.mkdir(parents=True, exist_ok=True)
    document = _document(suite_dir, entries)
    (suite_dir / "suite.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    (suite_dir / "suite.md").write_text(_markdown(suite_dir, entries))
    template = page_environment().get_template("suite.html.j2")
    (suite_dir / "suite.html").write_text(
        template.render(
            name=suite_dir.name,
            lessons=document["lessons"],
            chart_data=script_json({"charts": {}, "windows": []}),
        )
    )
    return SuiteResult(suite_dir, entries)
