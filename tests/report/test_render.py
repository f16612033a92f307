"""Rendering recorded runs into every format, and ``chaoskit report`` from the command
line: files, determinism, JUnit's shape, JSON, Markdown, comparison, and bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from chaoskit.report import load_run, render_comparison, render_run
from chaoskit.report.events import run_events
from tests.helpers import run_cli
from tests.report.fixtures import recorded_run, set_cell

JUNIT_XSD = Path(__file__).parent / "junit.xsd"
RUN_FILES = {"report.html", "report.md", "report-chart.png", "junit.xml", "metrics.json"}


def test_every_format_is_written_beside_the_journal(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "naive-blackout")
    written = render_run(load_run(run_dir))
    assert {p.name for p in written} == RUN_FILES
    assert all(p.parent == run_dir and p.stat().st_size > 0 for p in written)
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]  # no temporary files
    assert (run_dir / "report-chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rendering_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "resilient-blackout")
    first = {p.name: p.read_bytes() for p in render_run(load_run(run_dir))}
    second = {p.name: p.read_bytes() for p in render_run(load_run(run_dir), out=tmp_path / "again")}
    assert first == second


def test_junit_has_the_usual_shape_and_fails_what_the_verdict_names(tmp_path: Path) -> None:
    schema = xmlschema.XMLSchema(JUNIT_XSD)
    naive = load_run(recorded_run(tmp_path, "naive-blackout"))
    render_run(naive, ["junit"])
    schema.validate(naive.path / "junit.xml")
    suite = ET.parse(naive.path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    failed = sorted(
        case.get("name", "") for case in suite.iter("testcase") if case.find("failure") is not None
    )
    # the verdict: not recovered; gateway-deep-health and client-slo failed after
    assert failed == ["client-slo (after)", "gateway-deep-health (after)", "recovers within 60s"]
    assert suite.get("failures") == "3" and suite.get("tests") == str(
        len(list(suite.iter("testcase")))
    )

    resilient = load_run(recorded_run(tmp_path, "resilient-blackout"))
    render_run(resilient, ["junit"])
    schema.validate(resilient.path / "junit.xml")
    root = ET.parse(resilient.path / "junit.xml").getroot()
    assert root.get("failures") == "0" and root.get("errors") == "0"
    names = [case.get("name") for case in root.iter("testcase")]
    assert "gateway-deep-health (before)" in names
    assert any(str(n).endswith("reverted") for n in names)


def test_an_aborted_run_is_an_error_case(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "resilient-blackout")
    journal = json.loads((run_dir / "journal.json").read_text())
    journal.update(status="aborted", verdict="stop condition everything-fails met")
    (run_dir / "journal.json").write_text(json.dumps(journal))
    render_run(load_run(run_dir), ["junit"])
    xmlschema.XMLSchema(JUNIT_XSD).validate(run_dir / "junit.xml")
    root = ET.parse(run_dir / "junit.xml").getroot()
    assert root.get("errors") == "1"
    error = next(root.iter("error"))
    assert "stop condition everything-fails met" in (error.get("message") or "")


def test_json_metrics_for_machines(tmp_path: Path) -> None:
    run = load_run(recorded_run(tmp_path, "naive-blackout"))
    render_run(run, ["json"])
    document = json.loads((run.path / "metrics.json").read_text())
    assert document["schema"] == "chaoskit.report/v1"
    assert document["metrics"] == run.journal.metrics
    assert document["held"] is False and document["profile"] == "naive"
    (fault,) = document["faults"]
    assert fault["kind"] == "dns.blank" and fault["verified"] is True
    assert 9.5 < fault["injected_s"] < 10.5  # seconds from the method's start
    assert "time_to_recover_from_revert_s" in document["definitions"]


def test_a_fault_reverted_past_its_planned_end_is_named(tmp_path: Path) -> None:
    """A fault held past its time (its carrier held down by another) showed only by the
    length of its window: the report gave when it went in and out, not when it was due out."""
    run_dir = recorded_run(tmp_path, "naive-blackout")
    journal = json.loads((run_dir / "journal.json").read_text())
    (fault,) = journal["faults"]
    on_time = load_run(run_dir)
    render_run(on_time, ["md", "json"])
    assert "past its planned end" not in (run_dir / "report.md").read_text()
    fault["revert_due_t"] = fault["reverted_t"] - 3.3
    (run_dir / "journal.json").write_text(json.dumps(journal))
    late = load_run(run_dir)
    render_run(late, ["md", "json"])
    assert (
        "| reverted (verified), 3.3 s past its planned end |" in (run_dir / "report.md").read_text()
    )
    assert json.loads((run_dir / "metrics.json").read_text())["faults"][0]["overstay_s"] == 3.3
    (event,) = [e for e in run_events(late) if e.text.startswith("reverted ")]
    assert event.outcome == "bad" and event.text.endswith("3.3 s past its planned end)")


def test_markdown_summary_links_its_chart(tmp_path: Path) -> None:
    run = load_run(recorded_run(tmp_path, "resilient-blackout"))
    render_run(run, ["md"])
    text = (run.path / "report.md").read_text()
    assert text.startswith("# ✅ DNS blackout of the DynamoDB endpoint")
    assert "![Client throughput and errors](report-chart.png)" in text
    assert (run.path / "report-chart.png").exists()
    assert "| Time to recover | 0.05 s |" in text
    assert "<details><summary>What the numbers mean</summary>" in text


def test_compare_two_runs(tmp_path: Path) -> None:
    naive = load_run(recorded_run(tmp_path, "naive-blackout"))
    resilient = load_run(recorded_run(tmp_path, "resilient-blackout"))
    written = render_comparison([naive, resilient], out=tmp_path / "cmp")
    assert {p.name for p in written} == {
        "compare.html", "compare.md", "compare-chart.png", "compare-junit.xml", "compare.json"
    }  # fmt: skip
    document = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert [r["label"] for r in document["runs"]] == ["naive", "resilient"]
    deltas = document["deltas"]["B"]
    assert deltas["client_failures"] == -naive.journal.metrics["client_failures"]
    assert deltas["availability_during_fault"] > 0.9
    markdown = (tmp_path / "cmp" / "compare.md").read_text()
    assert "| Metric | A · naive | B · resilient |" in markdown
    times = "\N{MULTIPLICATION SIGN}"
    assert f"| Retry amplification | 8.21{times} | 1.03{times} (-7.18) |" in markdown
    root = ET.parse(tmp_path / "cmp" / "compare-junit.xml").getroot()
    assert len(root.findall("testsuite")) == 2
    xmlschema.XMLSchema(JUNIT_XSD).validate(tmp_path / "cmp" / "compare-junit.xml")


def test_cli_renders_and_compares(tmp_path: Path) -> None:
    naive = recorded_run(tmp_path, "naive-blackout")
    resilient = recorded_run(tmp_path, "resilient-blackout")
    done = run_cli("report", str(naive), "--format", "html,json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(naive / "report.html"), str(naive / "metrics.json")]
    done = run_cli("report", str(naive), "--compare", str(resilient), "--out", str(tmp_path / "c"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "c" / "compare.html").exists()


def _bad_json(run_dir: Path) -> None:
    (run_dir / "journal.json").write_text('{\n  "run_id": 3,\n')


def _missing_fields(run_dir: Path) -> None:
    (run_dir / "journal.json").write_text('{"run_id": "x"}')


def _bad_cell(run_dir: Path) -> None:
    set_cell(run_dir / "timeline.csv", 5, "error_rate", "lots")


def _killed_in_its_method(run_dir: Path) -> None:
    """As a controller killed 1.4 s into a run leaves its directory: events so far only."""
    (run_dir / "journal.json").unlink()
    (run_dir / "timeline.csv").unlink()
    (run_dir / "events.jsonl").write_text(
        '{"event": "PhaseChanged", "t": 0.2, "phase": "warmup", "previous": "setup"}\n'
        '{"event": "PhaseChanged", "t": 1.4, "phase": "method", "previous": "warmup"}\n'
    )


def _journal_a_directory(run_dir: Path) -> None:
    (run_dir / "journal.json").unlink()
    (run_dir / "journal.json").mkdir()


def _a_game_days_directory(run_dir: Path) -> None:
    for name in ("journal.json", "timeline.csv", "events.jsonl"):
        (run_dir / name).unlink(missing_ok=True)
    (run_dir / "gameday.json").write_text('{"title": "drill", "steps": []}')


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda d: (d / "journal.json").unlink(), "journal.json: missing"),
        (_bad_json, "journal.json:3:1: invalid JSON"),
        (_missing_fields, "journal.json:1:1: source: Field required"),
        (_bad_cell, "timeline.csv:5: column error_rate: expected a finite number, got 'lots'"),
        (_killed_in_its_method, "the run did not finish (its controller was killed or crashed"),
        (_a_game_days_directory, "a game day's directory, not a run's: its report is"),
        (_journal_a_directory, "journal.json: not a file;"),
    ],
    ids=[
        "no-journal",
        "bad-json",
        "missing-field",
        "bad-csv-value",
        "killed-run",
        "game-day",
        "journal-a-directory",
    ],
)
def test_bad_run_directory_is_exit_2_with_where_and_what(
    tmp_path: Path, damage: object, expected: str
) -> None:
    run_dir = recorded_run(tmp_path, "resilient-blackout")
    assert callable(damage)
    damage(run_dir)
    done = run_cli("report", str(run_dir))
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not (run_dir / "report.html").exists()  # nothing half-written


def test_unknown_format_is_exit_2(tmp_path: Path) -> None:
    done = run_cli("report", str(recorded_run(tmp_path, "naive-blackout")), "--format", "html,pdf")
    assert done.returncode == 2
    assert "--format: expected a comma-separated list of html, md, junit, json" in done.stderr
