"""Scheduled jobs: an experiment or a game-day plan, run on a cron expression or once.

Due times come from croniter in the job's time zone (so ``0 9 * * 1-5`` is 09:00 local,
across daylight-saving changes) and are stored in UTC. Every function that needs "now"
takes it as an argument.

**Missed runs.** A run is *missed* when the scheduler reaches it more than ``GRACE`` late
(it was not running, or the lab was busy). Each job has a policy:
- ``skip`` (default): record how many were missed, run none of them, wait for the next
  occurrence. A chaos experiment planned for 02:00 does not fire at 09:00 because the
  daemon came back then.
- ``run-once``: record them and run once now, however many were missed, then continue
  with the next occurrence (as systemd's ``Persistent=true`` does).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, ValidationError, field_validator, model_validator

from chaoskit._errors import InvalidInput
from chaoskit.schedule.db import DB_NAME, DamagedRow, StoredRow, connect, first_problem

__all__ = [
    "GRACE",
    "Decision",
    "Job",
    "Jobs",
    "add_job",
    "decide",
    "get_jobs",
    "next_after",
    "read_jobs",
    "record_event",
    "remove_job",
]

GRACE = timedelta(seconds=60)
Missed = Literal["skip", "run-once"]


@dataclass
class Job:
    id: str
    target: str
    kind: Literal["experiment", "gameday"]
    cron: str | None
    at: datetime | None
    tz: str
    missed: Missed
    out_dir: str
    created_at: datetime
    next_due: datetime | None
    last_run_at: datetime | None = None
    last_exit: int | None = None
    lab_file: str | None = None
    """The lab file the target was checked against, which its runs bring up when no lab is
    up; None for the sample stack."""

    @property
    def when(self) -> str:
        if self.cron:
            return f"cron '{self.cron}' ({self.tz})"
        assert self.at is not None
        return f"at {self.at.astimezone(ZoneInfo(self.tz)):%Y-%m-%d %H:%M:%S %Z}"


@dataclass
class Jobs:
    jobs: list[Job]
    """Next due first."""
    damaged: list[DamagedRow] = field(default_factory=list)


def _zone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}; expected an IANA name such as Europe/Berlin"
    return None


def zone(name: str) -> ZoneInfo:
    problem = _zone_problem(name)
    if problem:
        raise InvalidInput(f"--tz: {problem}")
    return ZoneInfo(name)


def _cron_problem(expression: str) -> str | None:
    """Five fields, as crontab(5) has them, or a nickname such as ``@daily``; croniter also
    takes a sixth field (seconds) and a seventh (years), which cron does not."""
    from croniter import croniter

    fields = expression.split()
    five = len(fields) == 5 or (len(fields) == 1 and fields[0].startswith("@"))
    if not five or not croniter.is_valid(expression):
        return (
            f"{expression!r} is not a cron expression "
            "(five fields: minute hour day-of-month month day-of-week, e.g. '0 9 * * 1-5')"
        )
    return None


def check_cron(expression: str) -> str:
    problem = _cron_problem(expression)
    if problem:
        raise InvalidInput(f"--cron: {problem}")
    return expression


def _no_problem(problem: str | None) -> None:
    if problem:
        raise ValueError(problem)


def parse_at(text: str, tz: str) -> datetime:
    """``--at``: an ISO date and time, in ``tz`` unless it carries its own offset; a local
    time the clocks skip (daylight saving time begins) is refused."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"--at: {text!r} is not a date and time; expected e.g. 2026-12-03T14:00 "
            "or 2026-12-03 14:00:00+01:00"
        ) from None
    if moment.tzinfo is not None:
        return moment
    local = moment.replace(tzinfo=zone(tz))
    if local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) != moment:
        raise InvalidInput(
            f"--at: {text!r} does not exist in {tz}: the clocks skip it that day (daylight "
            "saving time begins); give a time before or after the jump, or a UTC offset"
        )
    return local.astimezone(UTC)  # a time the clocks pass twice is its first (fold 0)


def next_after(cron: str | None, at: datetime | None, tz: str, after: datetime) -> datetime | None:
    """The first due time strictly after ``after`` (aware), in UTC; None if there is none."""
    if cron is not None:
        from croniter import CroniterBadDateError, croniter

        local = after.astimezone(ZoneInfo(tz))
        try:
            following: datetime = croniter(cron, local).get_next(datetime)
        except CroniterBadDateError:  # e.g. '0 0 31 2 *': no date matches
            return None
        return following.astimezone(UTC)
    if at is not None and at > after:
        return at.astimezone(UTC)
    return None


def count_between(cron: str | None, start: datetime, end: datetime, tz: str) -> int:
    """Occurrences in [start, end], at most 1000 counted."""
    if cron is None:
        return 1
    count, moment = 1, start
    while count < 1000:
        following = next_after(cron, None, tz, moment)
        if following is None or following > end:
            break
        count, moment = count + 1, following
    return count


@dataclass(frozen=True)
class Decision:
    action: Literal["wait", "run", "missed"]
    missed: int = 0
    """How many occurrences were missed (for ``missed``, and ``run`` under run-once)."""
    next_due: datetime | None = None
    """The due time to store once this decision is carried out."""


def decide(job: Job, now: datetime) -> Decision:
    """What the scheduler does with ``job`` at ``now``."""
    due = job.next_due
    if due is None or due > now:
        return Decision("wait", next_due=due)
    following = next_after(job.cron, job.at, job.tz, now)
    if now - due <= GRACE:
        return Decision("run", next_due=following)
    missed = count_between(job.cron, due, now - GRACE, job.tz)
    if job.missed == "run-once":
        return Decision("run", missed=missed, next_due=following)
    return Decision("missed", missed=missed, next_due=following)


def _aware(value: Any) -> Any:
    """A stored time: ISO 8601 text with its UTC offset, as ``add_job`` writes it."""
    if not isinstance(value, str):
        return value  # the type check says what it is
    moment = datetime.fromisoformat(value)  # ValueError: "invalid isoformat string"
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return moment


def _stored_time(value: str | None) -> datetime | None:
    """A stored time as ``_aware`` reads it; None when there is none or it is damaged."""
    try:
        return None if value is None else _aware(value)
    except ValueError:
        return None


_Time = Annotated[datetime, BeforeValidator(_aware)]


class _StoredJob(StoredRow):
    id: str
    target: str
    kind: Literal["experiment", "gameday"]
    cron: str | None
    at: _Time | None
    tz: str
    missed: Missed
    out_dir: str
    created_at: _Time
    next_due: _Time | None
    last_run_at: _Time | None
    last_exit: int | None
    lab_file: str | None = None

    @field_validator("cron")
    @classmethod
    def _a_cron_expression(cls, cron: str | None) -> str | None:
        _no_problem(cron and _cron_problem(cron))
        return cron

    @field_validator("tz")
    @classmethod
    def _a_time_zone(cls, tz: str) -> str:
        _no_problem(_zone_problem(tz))
        return tz

    @model_validator(mode="after")
    def _when(self) -> _StoredJob:
        if (self.cron is None) == (self.at is None):
            raise ValueError("a job has either a cron expression or a time (at)")
        return self


def read_jobs(state_dir: Path) -> Jobs:
    """The jobs, next due first, and the rows that could not be read; none, and nothing
    made, where there is no database yet (as ``read_history``)."""
    if not (state_dir / DB_NAME).exists():
        return Jobs([])
    with connect(state_dir) as db:
        rows = db.execute("SELECT * FROM jobs ORDER BY next_due IS NULL, next_due, id").fetchall()
    found = Jobs([])
    for row in rows:
        try:
            stored = _StoredJob.model_validate(dict(row))
        except ValidationError as exc:
            found.damaged.append(DamagedRow(
                f"scheduled job {row['id']!r:.60} (in {state_dir / DB_NAME})", first_problem(exc),
                f"`chaoskit schedule remove {row['id']}` removes it",
            ))  # fmt: skip
            continue
        found.jobs.append(Job(**stored.model_dump()))
    return found


def add_job(
    state_dir: Path,
    target: Path,
    kind: Literal["experiment", "gameday"],
    *,
    cron: str | None,
    at: datetime | None,
    tz: str,
    missed: Missed,
    out_dir: Path,
    now: datetime,
    lab_file: Path | None = None,
) -> Job:
    first = next_after(cron, at, tz, now)
    if first is None and cron is not None:
        raise InvalidInput(
            f"--cron: {cron!r} never falls due: no date has that day of the month in those "
            "months (such as 31 in February)"
        )
    if first is None:
        raise InvalidInput(f"--at: {at} is in the past; nothing would ever run")
    job = Job(
        id=secrets.token_hex(3), target=str(target.resolve()), kind=kind, cron=cron, at=at,
        tz=tz, missed=missed, out_dir=str(out_dir.resolve()), created_at=now, next_due=first,
        lab_file=None if lab_file is None else str(lab_file.resolve()),
    )  # fmt: skip
    with connect(state_dir) as db:
        db.execute(
            "INSERT INTO jobs (id, target, kind, cron, at, tz, missed, out_dir, created_at, "
            "next_due, lab_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (job.id, job.target, kind, cron, at.isoformat() if at else None, tz, missed,
             job.out_dir, now.isoformat(), first.isoformat(), job.lab_file),
        )  # fmt: skip
    return job


def get_jobs(state_dir: Path) -> list[Job]:
    """Next due first, the damaged rows left out (``read_jobs`` names them)."""
    return read_jobs(state_dir).jobs


def remove_job(state_dir: Path, job_id: str) -> None:
    """Remove job ``job_id``; an unknown one (none at all where there is no database yet,
    and nothing made) is an input error listing those there are."""
    removed = (state_dir / DB_NAME).exists()
    if removed:
        with connect(state_dir) as db:
            removed = db.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount > 0
    if not removed:
        known = [j.id for j in get_jobs(state_dir)]
        raise InvalidInput(f"no scheduled job {job_id!r}; known: {', '.join(known) or 'none'}")


def claim_due(
    state_dir: Path, job_id: str, due: datetime | None, next_due: datetime | None
) -> bool:
    """Move the job's next due time from ``due`` to ``next_due``, unless another scheduler
    of this lab moved it first: True for the one that moved it, which alone carries out what
    was due (two schedulers that read the job at one tick would otherwise both run it, one
    after the other)."""
    with connect(state_dir) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT next_due FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or _stored_time(row[0]) != due:
                return False
            db.execute(
                "UPDATE jobs SET next_due = ? WHERE id = ?",
                (next_due.isoformat() if next_due else None, job_id),
            )
            db.execute("COMMIT")
            return True
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")


def set_last_run(state_dir: Path, job_id: str, at: datetime, exit_code: int | None) -> None:
    """The job's last run: when it started, and its exit once it has one (None while it runs,
    or if the scheduler was killed before it ended)."""
    with connect(state_dir) as db:
        db.execute(
            "UPDATE jobs SET last_run_at = ?, last_exit = ? WHERE id = ?",
            (at.isoformat(), exit_code, job_id),
        )


def record_event(state_dir: Path, job_id: str, at: datetime, event: str, detail: str = "") -> None:
    with connect(state_dir) as db:
        db.execute(
            "INSERT INTO job_events (job_id, at, event, detail) VALUES (?, ?, ?, ?)",
            (job_id, at.isoformat(), event, detail),
        )


def job_events(state_dir: Path, job_id: str) -> list[tuple[str, str, str]]:
    with connect(state_dir) as db:
        rows = db.execute(
            "SELECT at, event, detail FROM job_events WHERE job_id = ? ORDER BY id", (job_id,)
        ).fetchall()
    return [(row["at"], row["event"], row["detail"]) for row in rows]
