"""A run directory read back: values a report cannot show are named where they are, before
anything is rendered (each of these ended in a traceback from the renderers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chaoskit._errors import ChaoskitError
from chaoskit.report import load_run, parse_formats, render_run
from tests.report.fixtures import recorded_run, set_cell


def _journal_with(**changes: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def damage(run_dir: Path) -> None:
        path = run_dir / "journal.json"
        journal = json.loads(path.read_text())
        for change in changes.values():
            change(journal)
        path.write_text(json.dumps(journal, indent=2))

    return damage


def _cell(line: int, column: str, value: str) -> Callable[[Path], None]:
    return lambda run_dir: set_cell(run_dir / "timeline.csv", line, column, value)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            _journal_with(m=lambda j: j["metrics"].update(error_budget_used={})),
            "metrics.error_budget_used: expected a number or null, got {}",
        ),
        (
            _journal_with(m=lambda j: j["metrics"].update(recovered="yes")),
            'metrics.recovered: expected true, false or null, got "yes"',
        ),
        (
            _journal_with(m=lambda j: j["metrics"].update(extra=[1])),
            "metrics.extra: expected a number, text, true, false or null, got [1]",
        ),
        (
            _journal_with(e=lambda j: j["experiment"].update(recovery="x")),
            "experiment.recovery: Input should be a valid dictionary",
        ),
        (
            _journal_with(e=lambda j: j["experiment"]["steady_state"]["slo"].update(
                error_rate_below="low")),
            "experiment.steady_state.slo.error_rate_below: Input should be a valid number",
        ),
        (
            _journal_with(e=lambda j: j["experiment"]["steady_state"]["slo"].update(
                error_rate_below=1e308)),
            "experiment.steady_state.slo.error_rate_below: Input should be less than or equal to 1",
        ),
        (
            _journal_with(v=lambda j: j["versions"].update(components=1)),
            "versions.components: Input should be a valid dictionary",
        ),
        (
            _journal_with(t=lambda j: j.update(method_started_t=1e308)),
            "method_started_t: Input should be less than or equal to 10000000",
        ),
        (_cell(4, "t", "1e9"), "timeline.csv:4: column t: expected run seconds, at most 1e+07"),
        (
            _cell(6, "error_rate", "1e308"),
            "timeline.csv:6: column error_rate: expected a number of at most 1e+15 either side",
        ),
    ],
    ids=[
        "headline-metric-not-a-number", "recovered-not-a-boolean", "metric-a-list",
        "recovery-not-a-mapping", "slo-not-a-number", "slo-not-a-fraction",
        "components-not-a-mapping", "method-start-beyond-any-run", "time-beyond-any-run",
        "cell-too-large",
    ],
)  # fmt: skip
def test_a_value_no_report_can_show_is_named_at_its_place(
    tmp_path: Path, damage: Callable[[Path], None], expected: str
) -> None:
    run_dir = recorded_run(tmp_path, "naive-blackout")
    damage(run_dir)
    with pytest.raises(ChaoskitError) as raised:
        load_run(run_dir)
    said = str(raised.value)
    assert expected in said, said
    assert str(run_dir) in said, said


def test_the_recorded_runs_read_back_whole(tmp_path: Path) -> None:
    """The checks above refuse none of the values a run writes."""
    for name in ("naive-blackout", "resilient-blackout"):
        run = load_run(recorded_run(tmp_path, name))
        render_run(run, parse_formats("md,junit,json"))
        assert run.journal.metrics["samples"] == len(run.timeline)
