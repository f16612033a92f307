"""Due times, missed runs and the job table, all with an injected "now"."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chaoskit._errors import InvalidInput
from chaoskit.schedule.daemon import Scheduler
from chaoskit.schedule.jobs import (
    Job,
    add_job,
    decide,
    get_jobs,
    job_events,
    next_after,
    parse_at,
    read_jobs,
    remove_job,
)
from tests.helpers import run_cli


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_cron_is_read_in_its_time_zone_across_daylight_saving() -> None:
    weekdays_at_nine = "0 9 * * 1-5"
    # Friday 2026-03-27 10:00 UTC: next is Monday 30 March, 09:00 CEST = 07:00 UTC
    assert next_after(weekdays_at_nine, None, "Europe/Berlin", utc(2026, 3, 27, 10)) == utc(
        2026, 3, 30, 7
    )
    # a week earlier, still CET: Monday 23 March 09:00 CET = 08:00 UTC
    assert next_after(weekdays_at_nine, None, "Europe/Berlin", utc(2026, 3, 20, 10)) == utc(
        2026, 3, 23, 8
    )
    assert next_after("*/15 * * * *", None, "UTC", utc(2026, 1, 1, 0, 0)) == utc(2026, 1, 1, 0, 15)


def test_a_one_off_is_due_once() -> None:
    at = parse_at("2026-12-03T14:00", "Europe/Berlin")
    assert at == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    assert next_after(None, at, "Europe/Berlin", utc(2026, 12, 1)) == utc(2026, 12, 3, 13)
    assert next_after(None, at, "Europe/Berlin", utc(2026, 12, 3, 13)) is None


@pytest.mark.parametrize(
    ("local", "tz"),
    [("2027-03-28 02:30", "Europe/Berlin"), ("2027-03-14T02:00", "America/New_York")],
)
def test_a_one_off_at_a_time_the_clocks_skip_is_refused(local: str, tz: str) -> None:
    with pytest.raises(InvalidInput, match=f"does not exist in {tz}: the clocks skip it"):
        parse_at(local, tz)
    # either side of the jump, and the same wall time with its own offset, are fine
    assert parse_at(local.replace("02:", "01:"), tz) < parse_at(local.replace("02:", "03:"), tz)
    assert parse_at(f"{local}+00:00", tz).utcoffset() == timedelta(0)


def test_a_one_off_at_a_time_the_clocks_pass_twice_is_the_first() -> None:
    """2027-10-31 02:30 happens twice in Berlin: at 00:30 UTC (CEST), then 01:30 (CET)."""
    assert parse_at("2027-10-31 02:30", "Europe/Berlin") == utc(2027, 10, 31, 0, 30)


def job(next_due: datetime, missed: str = "skip", cron: str | None = "* * * * *") -> Job:
    return Job("j1", "/x.yaml", "experiment", cron, None, "UTC", missed,  # type: ignore[arg-type]
               "/reports", utc(2026, 1, 1), next_due)  # fmt: skip


def test_due_within_the_grace_runs_and_moves_on() -> None:
    due = utc(2026, 1, 1, 10, 0)
    assert decide(job(due), due - timedelta(seconds=1)).action == "wait"
    decision = decide(job(due), due + timedelta(seconds=20))
    assert decision.action == "run" and decision.missed == 0
    assert decision.next_due == utc(2026, 1, 1, 10, 1)


def test_missed_runs_follow_the_policy() -> None:
    due, now = utc(2026, 1, 1, 10, 0), utc(2026, 1, 1, 10, 5, 30)
    skipped = decide(job(due, "skip"), now)
    assert (skipped.action, skipped.missed, skipped.next_due) == (
        "missed",
        5,
        utc(2026, 1, 1, 10, 6),
    )
    once = decide(job(due, "run-once"), now)
    assert (once.action, once.missed, once.next_due) == ("run", 5, utc(2026, 1, 1, 10, 6))
    one_off = decide(job(due, "skip", cron=None), now)
    assert (one_off.action, one_off.missed, one_off.next_due) == ("missed", 1, None)


def test_jobs_are_stored_listed_and_removed(tmp_path: Path) -> None:
    now = utc(2026, 1, 1, 9, 0)
    added = add_job(tmp_path, Path("x.yaml"), "experiment", cron="0 10 * * *", at=None,
                    tz="UTC", missed="skip", out_dir=Path("reports"), now=now)  # fmt: skip
    (stored,) = get_jobs(tmp_path)
    assert stored.id == added.id and stored.next_due == utc(2026, 1, 1, 10)
    assert stored.target == str(Path("x.yaml").resolve())
    with pytest.raises(InvalidInput, match="in the past"):
        add_job(tmp_path, Path("x.yaml"), "experiment", cron=None, at=utc(2025, 1, 1), tz="UTC",
                missed="skip", out_dir=Path("reports"), now=now)  # fmt: skip
    with pytest.raises(InvalidInput, match=f"no scheduled job 'nope'; known: {added.id}"):
        remove_job(tmp_path, "nope")
    remove_job(tmp_path, added.id)
    assert get_jobs(tmp_path) == []


def test_a_job_added_in_a_labs_directory_is_checked_against_its_lab_and_runs_there(
    tmp_path: Path,
) -> None:
    """`schedule add` checked every target against the sample stack: in a lab file's
    directory each of its experiments was refused ('api' is not a target of process.kill),
    and a job that got in ran on whatever lab the scheduler's directory held."""
    byo = Path(__file__).resolve().parents[2] / "examples" / "byo"
    state = ["--state-dir", str(tmp_path)]
    for target in ("experiments/api-killed.yaml", "gamedays/byo-drill.yaml"):
        done = run_cli(*state, "schedule", "add", target, "--cron", "0 3 * * *", cwd=byo)
        assert done.returncode == 0, done.stderr
    jobs = get_jobs(tmp_path)
    assert {job.lab_file for job in jobs} == {str(byo / "chaoskit.yaml")}
    scheduler = Scheduler(tmp_path, echo=lambda m: None)
    for job in jobs:
        assert scheduler.command(job)[3:7] == ["--state-dir", str(tmp_path), "--lab",
                                               str(byo / "chaoskit.yaml")]  # fmt: skip


def test_listing_the_jobs_of_a_state_directory_never_used_makes_nothing(tmp_path: Path) -> None:
    """``schedule list`` with a mistyped ``--state-dir`` made the directory and a database."""
    unused = tmp_path / "typo" / "state"
    done = run_cli("--state-dir", str(unused), "schedule", "list")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "typo").exists()
    done = run_cli("--state-dir", str(unused), "schedule", "remove", "abc123")  # it made them
    assert done.returncode == 2 and "no scheduled job 'abc123'; known: none" in done.stderr
    assert not (tmp_path / "typo").exists()


def test_the_scheduler_records_a_missed_run_and_runs_nothing(tmp_path: Path) -> None:
    """Down for a day with a skip policy: the missed runs are recorded, none is started."""
    created = utc(2026, 1, 1, 9, 0)
    added = add_job(tmp_path, Path("x.yaml"), "experiment", cron="0 10 * * *", at=None,
                    tz="UTC", missed="skip", out_dir=Path("reports"), now=created)  # fmt: skip
    scheduler = Scheduler(tmp_path, clock=lambda: utc(2026, 1, 3, 9, 30), echo=lambda m: None)
    scheduler.tick()
    assert scheduler.runs == 0
    assert [e[1:] for e in job_events(tmp_path, added.id)] == [
        ("missed", "2 run(s) missed; policy skip")
    ]
    assert get_jobs(tmp_path)[0].next_due == utc(2026, 1, 3, 10)


def test_a_damaged_job_is_named_and_left_out_and_the_scheduler_goes_on(tmp_path: Path) -> None:
    """A job row edited by hand or by another program (a time with no offset, an unknown
    zone, a cron of four fields) ended ``schedule list`` and the scheduler itself on a
    traceback, at its first tick and at every restart; no other job ran."""
    created = utc(2026, 1, 1, 9, 0)
    jobs = [
        add_job(tmp_path, Path(f"{n}.yaml"), "experiment", cron="0 10 * * *", at=None,
                tz="UTC", missed="skip", out_dir=Path("reports"), now=created)
        for n in range(4)
    ]  # fmt: skip
    naive = "2026-01-02T10:00:00"
    damage = {
        jobs[0].id: ("next_due", naive, f"next_due: '{naive}' has no UTC offset"),
        jobs[1].id: ("tz", "Nowhere/X", "tz: unknown time zone 'Nowhere/X'"),
        jobs[2].id: ("cron", "0 10 * *", "cron: '0 10 * *' is not a cron expression"),
    }
    with sqlite3.connect(tmp_path / "chaoskit.db") as db:
        for job_id, (column, value, _) in damage.items():
            db.execute(f"UPDATE jobs SET {column} = ? WHERE id = ?", (value, job_id))
    found = read_jobs(tmp_path)
    assert [j.id for j in found.jobs] == [jobs[3].id]
    assert len(found.damaged) == len(damage)
    for row in found.damaged:
        job_id = row.where.split("'")[1]
        assert row.problem.startswith(damage[job_id][2]), row.problem
        assert row.remedy == f"`chaoskit schedule remove {job_id}` removes it"

    said: list[str] = []
    scheduler = Scheduler(tmp_path, clock=lambda: utc(2026, 1, 3, 9, 30), echo=said.append)
    scheduler.tick()
    scheduler.tick()
    assert sum("is damaged and left out" in line for line in said) == 3  # once each
    assert [e[1] for e in job_events(tmp_path, jobs[3].id)] == ["missed"]  # the whole job's turn

    done = run_cli("--state-dir", str(tmp_path), "schedule", "list")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("warning: scheduled job ") == 3 and "Traceback" not in done.stderr
    assert jobs[3].id in done.stdout
    remove_job(tmp_path, jobs[0].id)  # what the warning says to do
    assert len(read_jobs(tmp_path).damaged) == 2


def test_bad_schedule_input_is_exit_2(tmp_path: Path) -> None:
    experiment = Path(__file__).resolve().parents[2] / "experiments" / "dns-blackout.yaml"
    state = ["--state-dir", str(tmp_path)]
    for args, message in [
        (["--cron", "61 * * * *"], "--cron: '61 * * * *' is not a cron expression"),
        (["--at", "tomorrow"], "--at: 'tomorrow' is not a date and time"),
        (["--cron", "* * * * *", "--tz", "Nowhere/City"], "--tz: unknown time zone"),
        ([], "give exactly one of --cron EXPR or --at DATETIME"),
        (["--at", "2020-01-01T00:00"], "is in the past"),
        (["--cron", "0 0 31 2 *"], "--cron: '0 0 31 2 *' never falls due"),  # was a traceback
        (["--cron", ""], "--cron: '' is not a cron expression"),  # was "--at: None is in the past"
        (["--at", ""], "--at: '' is not a date and time"),
        (["--cron", "* * * * * *"], "--cron: '* * * * * *' is not a cron expression"),  # seconds
        (["--cron", "@reboot"], "--cron: '@reboot' is not a cron expression"),
    ]:
        done = run_cli(*state, "schedule", "add", *args, str(experiment))
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr
    done = run_cli(*state, "schedule", "add", "--cron", "0 3 * * *", str(tmp_path / "none.yaml"))
    assert done.returncode == 2 and "none.yaml:1:1: (file): cannot read" in done.stderr
    never = run_cli(*state, "scheduler", "--max-runs", "0")  # was accepted, and ran nothing
    assert never.returncode == 2 and "--max-runs" in never.stderr


def test_a_due_job_two_schedulers_read_at_one_tick_is_run_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two schedulers of one lab that read a due job at one tick both ran it, the second
    once the first's run had let the lab go: a one-off job ran twice."""
    add_job(tmp_path, Path("x.yaml"), "experiment", cron=None, at=utc(2026, 1, 1, 10, 0),
            tz="UTC", missed="skip", out_dir=Path("reports"), now=utc(2026, 1, 1, 9))  # fmt: skip
    read_before_either_ran = read_jobs(tmp_path)
    ran: list[str] = []
    schedulers = {}
    for name in ("first", "second"):
        schedulers[name] = Scheduler(
            tmp_path, clock=lambda: utc(2026, 1, 1, 10, 0, 5), echo=lambda m: None
        )
        monkeypatch.setattr(schedulers[name], "_run", lambda job, name=name: ran.append(name))
    schedulers["first"].tick()
    monkeypatch.setattr("chaoskit.schedule.daemon.read_jobs", lambda _: read_before_either_ran)
    schedulers["second"].tick()
    assert ran == ["first"]
    assert get_jobs(tmp_path)[0].next_due is None
