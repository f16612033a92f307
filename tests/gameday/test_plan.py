"""Game-day plans: the runbook, the calendar invitation, and file:line errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from chaoskit.experiment.load import ExperimentInvalid
from chaoskit.gameday.load import load_plan
from chaoskit.gameday.runbook import render_ics, render_runbook
from tests.helpers import run_cli

DRILL = Path(__file__).resolve().parents[2] / "gamedays" / "dns-failure-drill.yaml"


def test_runbook_has_roles_checkpoints_and_the_sequence() -> None:
    runbook = render_runbook(load_plan(DRILL))
    assert runbook.startswith("# Game day: DNS failure drill")
    assert "**When:** Thursday 03 December 2026, 14:00 to 16:00 Europe/Berlin" in runbook
    assert "| coordinator | Ben Kaur (ben@example.com) |" in runbook
    assert "**Go/no-go:** Lab healthy and everyone ready?" in runbook
    assert "- at 10s: dns.blank on dynamodb.us-east-1.lab.test for 30s" in runbook
    assert "automatic: total-outage: error_rate above 0.99 for 45s" in runbook
    assert runbook.index("### 1. brief") < runbook.index("### 4. debrief")


def test_ics_parses_back_with_the_window_and_the_people(tmp_path: Path) -> None:
    ics = tmp_path / "drill.ics"
    done = run_cli("gameday", "plan", str(DRILL), "--ics", str(ics))
    assert done.returncode == 0, done.stderr
    calendar = Calendar.from_ical(ics.read_bytes())
    (event,) = calendar.walk("VEVENT")
    berlin = ZoneInfo("Europe/Berlin")
    assert event.decoded("dtstart") == datetime(2026, 12, 3, 14, 0, tzinfo=berlin)
    assert event.decoded("dtend") == datetime(2026, 12, 3, 16, 0, tzinfo=berlin)
    assert event.decoded("dtstart").astimezone(UTC).hour == 13
    assert str(event["summary"]) == "Game day: DNS failure drill (the October 2025 incident)"
    attendees = [str(a) for a in event.get("attendee")]
    assert "mailto:dee@example.com" in attendees and len(attendees) == 4
    assert "Europe/Berlin" in [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")]
    assert "naive blackout" in str(event["description"])


@pytest.mark.parametrize(
    ("where", "expected"),
    [("a-directory", "is a directory; expected a file"), ("no/such/x.ics", "is not a directory")],
)
def test_an_ics_path_that_cannot_be_written_is_refused_before_the_runbook(
    tmp_path: Path, where: str, expected: str
) -> None:
    """The runbook was printed, then the invitation failed: exit 1 on half the work."""
    (tmp_path / "a-directory").mkdir()
    done = run_cli("gameday", "plan", str(DRILL), "--ics", str(tmp_path / where))
    assert done.returncode == 2, done.stderr
    assert f"--ics {tmp_path / where}: " in done.stderr and expected in done.stderr
    assert done.stdout == ""


def test_same_plan_same_uid() -> None:
    loaded = load_plan(DRILL)
    first = render_ics(loaded, datetime(2026, 1, 1, tzinfo=UTC))
    second = render_ics(loaded, datetime(2026, 1, 1, tzinfo=UTC))
    assert first == second


BAD = """\
title: bad plan
window:
  start: "2026-12-03 14:00"
  end: "2026-12-03 13:00"
  timezone: Mars/Olympus
roles:
  owner: {name: Ana}
  coordinater: {name: Ben}
steps:
  - name: one
    experiment: missing.yaml
  - name: two
    experiment: broken.yaml
    profile: sturdy
  - name: three
    manual: do it
    experiment: broken.yaml
"""


def test_a_bad_plan_gets_file_line_errors_and_exit_2(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(BAD)
    (tmp_path / "broken.yaml").write_text("title: x\nmethod:\n  - at: 1s\n    fault: dns.blnk\n")
    done = run_cli("gameday", "plan", str(plan))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"{plan}:5:3: window.timezone: unknown time zone 'Mars/Olympus'")
    assert any(
        line.startswith(f"{plan}:8:3: roles.coordinater: unknown key 'coordinater' "
                        "(did you mean 'coordinator'?)") for line in lines
    )  # fmt: skip
    assert (
        f"{plan}:14:5: steps[1].profile: Input should be 'naive' or 'resilient', got 'sturdy'"
        in lines
    )
    assert f"{plan}:15:5: steps[2]: a step has exactly one of 'experiment' or 'manual'" in lines


REFERENCES = f"""\
title: plan naming experiments
window: {{start: "2026-12-03 14:00", end: "2026-12-03 15:00"}}
roles: {{owner: {{name: A}}, coordinator: {{name: B}}, reporter: {{name: C}}}}
steps:
  - name: one
    experiment: missing.yaml
  - name: two
    experiment: broken.yaml
  - name: three
    experiment: {"x" * 300}.yaml
"""


def test_experiments_a_plan_names_are_checked(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(REFERENCES)
    (tmp_path / "broken.yaml").write_text("title: x\nmethod:\n  - at: 1s\n    fault: dns.blnk\n")
    with pytest.raises(ExperimentInvalid) as caught:
        load_plan(plan)
    problems = [str(p) for p in caught.value.problems]
    missing = tmp_path / "missing.yaml"
    assert problems[0] == f"{plan}:6:5: steps[0].experiment: {missing} does not exist"
    too_long = tmp_path / ("x" * 300 + ".yaml")  # Path.is_file raised: exit 1, no line
    assert (f"{plan}:10:5: steps[2].experiment: {too_long} cannot be used: File name too long"
            in problems)  # fmt: skip
    assert problems[1].startswith(f"{plan}:8:5: steps[1].experiment: broken.yaml is not a valid")
    assert f"{tmp_path / 'broken.yaml'}:3:5: method[0]: a fault step needs target" in problems


def test_a_step_name_used_twice_is_named_at_its_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        REFERENCES.split("steps:")[0]
        + "steps:\n  - name: brief\n    manual: Brief.\n  - name: brief\n    manual: Again.\n"
    )
    with pytest.raises(ExperimentInvalid) as caught:
        load_plan(plan)
    assert [str(p) for p in caught.value.problems] == [
        f"{plan}:7:5: steps[1].name: step name 'brief' is used twice (first by steps[0])"
    ]


def test_an_experiment_or_a_lab_file_given_as_a_plan_is_named_as_what_it_is() -> None:
    """`gameday plan experiments/dns-blackout.yaml` said `missing required key 'window'`,
    `unknown key 'stack'` and more: a line each, none saying what the file is."""
    root = Path(__file__).resolve().parents[2]
    experiment = root / "experiments" / "dns-blackout.yaml"
    lab_file = root / "examples" / "byo" / "chaoskit.yaml"
    for path, said in (
        (experiment, "is an experiment, not a game-day plan: run it with chaoskit run "
                     f"{experiment}"),
        (lab_file, "is a lab file, not a game-day plan: give it with --lab: chaoskit --lab "
                   f"{lab_file} gameday run PLAN"),
    ):  # fmt: skip
        with pytest.raises(ExperimentInvalid) as caught:
            load_plan(path)
        assert [str(p) for p in caught.value.problems] == [f"{path}:1:1: (file): {said}"]


def test_a_plan_whose_keys_do_not_say_what_it_is_gets_its_own_problems(tmp_path: Path) -> None:
    typo = tmp_path / "drill.yaml"
    typo.write_text("title: a drill\nstepz: []\n")
    with pytest.raises(ExperimentInvalid) as caught:
        load_plan(typo)
    said = [str(p) for p in caught.value.problems]
    assert f"{typo}:2:1: stepz: unknown key 'stepz' (did you mean 'steps'?)" in "\n".join(said)
