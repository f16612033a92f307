"""The plan as people read it: a Markdown runbook, and a calendar invitation (.ics)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from chaoskit.gameday.load import LoadedPlan
from chaoskit.report.markdown import md

__all__ = ["render_ics", "render_runbook"]


def _when(plan: LoadedPlan) -> str:
    window = plan.plan.window
    start, end = window.start_at, window.end_at
    return (
        f"{start:%A %d %B %Y, %H:%M} to {end:%H:%M} {window.timezone}"
        if start.date() == end.date()
        else f"{start:%d %B %Y %H:%M} to {end:%d %B %Y %H:%M} {window.timezone}"
    )


def _bullets(items: list[str]) -> list[str]:
    return [f"- {md(item)}" for item in items] or ["- (none)"]


def _contact(person_contact: str) -> str:
    return f" ({md(person_contact)})" if person_contact else ""


def render_runbook(loaded: LoadedPlan) -> str:
    plan = loaded.plan
    lines = [f"# Game day: {md(plan.title)}", "", f"**When:** {_when(loaded)}", ""]
    if plan.description:
        lines += [md(plan.description), ""]
    lines += ["## Roles", "", "| Role | Who |", "|---|---|"]
    lines += [
        f"| {role} | {md(p.name)}{_contact(p.contact)} |" for role, p in plan.roles.everyone()
    ]
    lines += ["", "## Objectives", "", *_bullets(plan.objectives), ""]
    lines += ["## Hypotheses", "", *_bullets(plan.hypotheses), ""]
    lines += ["## Abort criteria", "", *_bullets(plan.abort_criteria)]
    for condition in plan.stop_conditions:
        bound = f"above {condition.above:g}" if condition.above is not None else (
            f"below {condition.below:g}")  # fmt: skip
        lines.append(
            f"- automatic: {md(condition.name)}: {condition.metric} {bound} "
            f"for {condition.for_:g}s aborts the running experiment"
        )
    lines += ["", "Anyone may call a halt: the reporter types `halt`, every fault is reverted.", ""]
    lines += ["## Observers watch", "", *_bullets(plan.watch), ""]
    lines += ["## Sequence", ""]
    for number, step in enumerate(plan.steps, start=1):
        lines.append(f"### {number}. {md(step.name)}")
        lines.append("")
        if step.checkpoint:
            lines += [f"**Go/no-go:** {md(step.checkpoint)}", ""]
        if step.experiment is not None:
            experiment = loaded.experiments[step.name]
            profile = step.profile or experiment.stack.profile
            lines += [
                f"**Experiment:** {md(experiment.title)} (`{step.experiment}`), profile {profile}",
                "",
            ]
            faults = [s for s in experiment.method if s.fault]
            lines += [
                f"- at {s.at:g}s: {s.fault} on {md(s.target or '')} for {s.duration or 0:g}s"
                if s.at is not None
                else f"- then: {s.fault} on {md(s.target or '')} for {s.duration or 0:g}s"
                for s in faults
            ]
            lines.append("")
        else:
            lines += [f"**Manual:** {md(step.manual or '')} (up to {step.timeout:g}s)", ""]
        if step.runbook:
            lines += [step.runbook.rstrip(), ""]
    lines += [
        "## During the game day",
        "",
        "The reporter types into `chaoskit gameday run`: any line is a timestamped note;",
        "`action TEXT` records an action item, `decision TEXT` a decision; at a checkpoint",
        "`go`, `skip` or `no-go REASON`; at a manual step `done` or `skip`; `halt REASON`",
        "reverts every fault at once and ends the game day.",
        "",
    ]
    return "\n".join(lines)


def render_ics(loaded: LoadedPlan, now: datetime) -> bytes:
    from icalendar import Calendar, Event, vCalAddress, vText

    plan = loaded.plan
    calendar = Calendar()
    calendar.add("prodid", "-//chaoskit//game day//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    key = f"{plan.title}|{plan.window.start_at.isoformat()}".encode()
    event.add("uid", f"{hashlib.sha256(key).hexdigest()[:32]}@chaoskit")
    event.add("dtstamp", now)
    event.add("dtstart", plan.window.start_at)
    event.add("dtend", plan.window.end_at)
    event.add("summary", f"Game day: {plan.title}")
    event.add("description", render_runbook(loaded))
    owner = plan.roles.owner
    if owner.contact:
        organizer = vCalAddress(_mailto(owner.contact))
        organizer.params["cn"] = vText(owner.name)
        event["organizer"] = organizer
    roles = {"owner": "CHAIR", "coordinator": "CHAIR", "reporter": "REQ-PARTICIPANT",
             "observer": "OPT-PARTICIPANT"}  # fmt: skip
    for role, person in plan.roles.everyone():
        if not person.contact:
            continue
        attendee = vCalAddress(_mailto(person.contact))
        attendee.params["cn"] = vText(f"{person.name} ({role})")
        attendee.params["role"] = vText(roles[role])
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _mailto(contact: str) -> str:
    return contact if ":" in contact else f"mailto:{contact}"
