"""``chaoskit suite run`` on two short lessons: each run off and on, compared, and one
summary report; and a bad lesson, or one that cannot be read, stops the suite before
anything runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chaoskit.experiment.load import ExperimentInvalid
from chaoskit.experiment.suite import load_suite
from chaoskit.lab import LocalLab
from tests.helpers import assert_lab_clean, run_cli, run_suite, shortened

LIGHT = {"users": 5, "spawn_rate": 5, "warmup": "1s", "mix": {"read": 3, "write": 1}}


@pytest.mark.lab
@pytest.mark.usefixtures("fresh_services_after")
def test_two_lessons_off_and_on(lab: LocalLab, tmp_path: Path) -> None:
    (tmp_path / "lessons").mkdir()
    shortened("lessons/serve-stale.yaml", tmp_path, load=LIGHT,
              method=[{"name": "blackout", "at": "1s", "fault": "dns.blank",
                       "target": "dynamodb.us-east-1.lab.test", "duration": "3s"}],
              recovery={"consecutive_samples": 10, "timeout": "20s"})  # fmt: skip
    shortened("lessons/backoff.yaml", tmp_path, load=LIGHT,
              method=[{"name": "down", "at": "1s", "fault": "toxiproxy.down",
                       "target": "dynamodb-us-east-1", "duration": "3s"}],
              recovery={"consecutive_samples": 10, "timeout": "20s"})  # fmt: skip
    suite, lessons = run_suite(lab, tmp_path, timeout=600)
    stale = lessons["Lesson: serve stale DNS answers"]
    backoff = lessons["Lesson: backoff with jitter and a retry budget"]
    for lesson in (stale, backoff):
        assert list(lesson["runs"]) == ["off", "on"]
        assert all(r["status"] == "completed" for r in lesson["runs"].values())
        assert Path(lesson["compare"]).exists()
    # the pattern's effect, measured: serve-stale keeps clients up, backoff cuts retries
    off, on = (stale["runs"][v]["metrics"] for v in ("off", "on"))
    assert off["availability_during_fault"] < 0.5 < 0.99 <= on["availability_during_fault"]
    off, on = (backoff["runs"][v]["metrics"] for v in ("off", "on"))
    assert on["retry_amplification"] < off["retry_amplification"]
    table = (suite / "suite.md").read_text()
    assert "| Lesson: serve stale DNS answers | Availability during fault | off: " in table
    assert "→ on: 100.00 %" in table
    assert (suite / "suite.html").exists()
    assert_lab_clean(lab)


@pytest.mark.lab
@pytest.mark.usefixtures("fresh_services_after")
def test_a_bad_lesson_stops_the_suite_before_anything_runs(lab: LocalLab, tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "a.yaml").write_text(
        "title: a\nlesson: {text: t, metrics: [nope]}\nmethod:\n  - {wait: 1s}\n"
    )
    (lessons / "b.yaml").write_text(
        "title: b\nvariants: {x: {services: {ordrs: naive}}}\nmethod:\n  - {wait: 1s}\n"
    )
    done = run_cli("--state-dir", str(lab.state_dir), "suite", "run", str(lessons),
                   "--out", str(tmp_path / "out"))  # fmt: skip
    assert done.returncode == 2
    assert f"{lessons / 'a.yaml'}:2:" in done.stderr and "unknown metric 'nope'" in done.stderr
    assert f"{lessons / 'b.yaml'}:2:" in done.stderr and "no service 'ordrs'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_an_experiment_spelt_yml_is_run_with_the_rest(tmp_path: Path) -> None:
    """Only ``*.yaml`` was read: an experiment in ``b.yml`` was passed over without a word."""
    (tmp_path / "a.yaml").write_text("title: a\nmethod:\n  - {wait: 1s}\n")
    (tmp_path / "b.yml").write_text("title: b\nmethod:\n  - {wait: 1s}\n")
    (tmp_path / "notes.txt").write_text("title: not an experiment\n")
    assert [e.experiment.title for e in load_suite(tmp_path)] == ["a", "b"]


def test_a_yaml_the_suite_cannot_read_is_named_not_passed_over(tmp_path: Path) -> None:
    """A dangling link or a pipe among the experiments was skipped without a word: the suite
    ran the rest and could end green without it."""
    (tmp_path / "ok.yaml").write_text("title: ok\nmethod:\n  - {wait: 1s}\n")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "moved-away.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(ExperimentInvalid) as caught:
        load_suite(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'gone.yaml'}:1:1: (file): cannot read: No such file or directory",
        f"{tmp_path / 'pipe.yaml'}:1:1: (file): is not a regular file (a pipe or a device "
        "cannot be read safely)",
    ]


def test_a_lab_file_a_plan_and_a_compose_file_beside_the_experiments_are_passed_over(
    tmp_path: Path,
) -> None:
    """A lab's directory (``chaoskit suite run .``) holds its lab file, Compose file and
    game-day plans: each was read as an experiment and refused the suite
    (``compose.yaml:1:1: title: missing required key 'title'``)."""
    (tmp_path / "a.yaml").write_text("title: a\nmethod:\n  - {wait: 1s}\n")
    (tmp_path / "chaoskit.yaml").write_text("zone: lab.test\n")
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n")
    (tmp_path / "drill.yaml").write_text("title: drill\nsteps:\n  - experiment: a.yaml\n")
    said: list[str] = []
    assert [e.experiment.title for e in load_suite(tmp_path, echo=said.append)] == ["a"]
    assert said == [
        f"{tmp_path / 'chaoskit.yaml'}: skipped (a lab file)",
        f"{tmp_path / 'compose.yaml'}: skipped (a Docker Compose file)",
        f"{tmp_path / 'drill.yaml'}: skipped (a game-day plan)",
    ]
    (tmp_path / "a.yaml").unlink()
    with pytest.raises(ExperimentInvalid, match="no experiments"):
        load_suite(tmp_path)
