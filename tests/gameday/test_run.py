"""``chaoskit gameday run`` on the real lab: a reporter at the console (notes, a decision, an
action item, go, done, then halt mid-experiment), Ctrl-C mid-experiment, and an unattended
run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chaoskit.lab import LocalLab
from chaoskit.lab.health import wait_until
from chaoskit.schedule.history import list_runs
from tests.helpers import assert_lab_clean, injected, run_cli, short_blackout

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("fresh_services_after")]


def plan_file(tmp_path: Path, fault_seconds: int) -> Path:
    short_blackout(tmp_path, fault_seconds)
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        """\
title: Test <drill>
window: {start: "2026-12-03 14:00", end: "2026-12-03 15:00", timezone: Europe/Berlin}
roles: {owner: {name: Ana}, coordinator: {name: Ben}, reporter: {name: Cy}}
abort_criteria: [the pager goes off]
steps:
  - name: brief
    manual: Brief everyone.
    timeout: 60s
  - name: blackout
    experiment: dns-blackout.yaml
    profile: resilient
    checkpoint: Everyone ready?
  - name: again
    experiment: dns-blackout.yaml
    profile: naive
"""
    )
    return plan


def read_until(proc: subprocess.Popen[str], text: str, seen: list[str]) -> None:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, f"the game day ended before {text!r}:\n" + "".join(seen)
        seen.append(line)
        if text in line:
            return


def start_gameday(
    lab: LocalLab, plan: Path, out: Path, *options: str, stderr: int = subprocess.STDOUT
) -> subprocess.Popen[str]:
    """``gameday run`` with its stdin and stdout as pipes of this test's."""
    return subprocess.Popen(
        [sys.executable, "-m", "chaoskit", "--state-dir", str(lab.state_dir), "gameday", "run",
         str(plan), *options, "--out", str(out)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
    )  # fmt: skip


def say(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def test_reporter_notes_decisions_and_a_halt_that_leaves_the_lab_clean(
    lab: LocalLab, tmp_path: Path
) -> None:
    plan = plan_file(tmp_path, 30)
    proc = start_gameday(lab, plan, tmp_path / "out")
    seen: list[str] = []
    read_until(proc, "MANUAL STEP 'brief'", seen)
    read_until(proc, "when finished [done/skip]", seen)
    say(proc, "observers are in place <b>")
    read_until(proc, "note recorded", seen)
    say(proc, "done")
    read_until(proc, "GO/NO-GO before 'blackout': Everyone ready?", seen)
    say(proc, "decision run the resilient profile first")
    read_until(proc, "decision recorded", seen)
    say(proc, "go")
    assert wait_until(lambda: injected(tmp_path / "out"), 120), "".join(seen)
    assert [e["target"] for e in injected(tmp_path / "out")] == ["dynamodb.us-east-1.lab.test"]
    say(proc, "action alert when the record has no addresses")
    read_until(proc, "action recorded", seen)
    say(proc, "halt the pager went off")
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 3, "".join(seen) + output
    assert "game day halted" in output
    assert_lab_clean(lab)

    (directory,) = (tmp_path / "out").iterdir()
    record = json.loads((directory / "gameday.json").read_text())
    assert record["status"] == "halted"
    assert [(s["name"], s["outcome"]) for s in record["steps"]] == [
        ("brief", "done"),
        ("blackout", "interrupted"),
    ]  # the third step never ran
    kinds = {(e["kind"], e["text"]) for e in record["log"]}
    assert ("note", "observers are in place <b>") in kinds
    assert ("decision", "run the resilient profile first") in kinds
    assert ("decision", "blackout: go") in kinds
    assert ("action", "alert when the record has no addresses") in kinds
    assert ("halt", "the pager went off") in kinds
    markdown = (directory / "gameday.md").read_text()
    assert "- [ ] alert when the record has no addresses" in markdown
    assert "observers are in place &lt;b&gt;" in markdown
    html = (directory / "gameday.html").read_text()
    assert "Test &lt;drill&gt;" in html and "<drill>" not in html
    assert "runs/" in html and "report.html" in html  # the halted run's report is linked


def test_ctrl_c_during_an_experiment_ends_the_game_day(lab: LocalLab, tmp_path: Path) -> None:
    """The experiment's own handler took the Ctrl-C: its run reverted, and the game day went
    on to the next experiment as if nothing had been said."""
    plan = plan_file(tmp_path, 30)
    proc = start_gameday(lab, plan, tmp_path / "out", "--yes")
    try:
        assert wait_until(lambda: injected(tmp_path / "out") or proc.poll() is not None, 120)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 3, output
    assert "game day halted" in output
    assert_lab_clean(lab)
    (directory,) = (tmp_path / "out").iterdir()
    record = json.loads((directory / "gameday.json").read_text())
    assert record["status"] == "halted"
    assert [(s["name"], s["outcome"], s["detail"]) for s in record["steps"]] == [
        ("brief", "done", "unattended"),
        ("blackout", "interrupted", "interrupted by SIGINT"),
    ]  # the third step never ran
    assert ("halt", "interrupted by SIGINT") in {(e["kind"], e["text"]) for e in record["log"]}


def test_an_output_closed_between_steps_ends_the_game_day(lab: LocalLab, tmp_path: Path) -> None:
    """The reader of its output gone at a manual step: the next line it printed was a broken
    pipe that ended the process (exit 1, no gameday.json)."""
    plan = plan_file(tmp_path, 30)
    proc = start_gameday(lab, plan, tmp_path / "out", stderr=subprocess.DEVNULL)
    try:
        read_until(proc, "when finished [done/skip]", [])
        assert proc.stdout is not None
        proc.stdout.close()
        say(proc, "done")  # what it prints next has no one to print to
        assert proc.wait(60) == 3
    finally:
        proc.kill()
    assert_lab_clean(lab)
    (directory,) = (tmp_path / "out").iterdir()
    record = json.loads((directory / "gameday.json").read_text())
    assert record["status"] == "halted"
    # the manual step ends done or halted (whichever of its lines met the closed pipe first),
    # and no experiment runs
    assert [s["name"] for s in record["steps"]] == ["brief"]
    halts = [e["text"] for e in record["log"] if e["kind"] == "halt"]
    assert halts == ["its output was closed (the terminal hung up or the reader of its pipe ended)"]


def test_unattended_game_day_runs_every_step_and_reports(lab: LocalLab, tmp_path: Path) -> None:
    plan = plan_file(tmp_path, 2)
    plan.write_text(plan.read_text().replace("profile: naive", "profile: resilient"))
    done = run_cli("--state-dir", str(lab.state_dir), "gameday", "run", str(plan), "--yes",
                   "--out", str(tmp_path / "out"), timeout=400)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (directory,) = (tmp_path / "out").iterdir()
    record = json.loads((directory / "gameday.json").read_text())
    assert record["status"] == "completed"
    assert [(s["name"], s["decision"], s["outcome"]) for s in record["steps"]] == [
        ("brief", "", "done"),
        ("blackout", "unattended", "completed"),
        ("again", "", "completed"),
    ]
    runs = [r for r in list_runs(lab.state_dir) if Path(r.run_dir).parent == directory / "runs"]
    assert len(runs) == 2 and all(r.held for r in runs)
    assert {r.trigger for r in runs} == {"gameday:Test <drill>"}
    assert_lab_clean(lab)
