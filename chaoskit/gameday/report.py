"""The game-day report: the plan, what was decided, what ran and how it went, the notes,
and the action items — as Markdown and as one self-contained HTML page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaoskit.gameday.load import LoadedPlan
from chaoskit.report.definitions import HEADLINE, format_value
from chaoskit.report.html import page_environment, script_json
from chaoskit.report.markdown import md

if TYPE_CHECKING:
    from chaoskit.gameday.session import GameDayResult

__all__ = ["render_gameday_html", "render_gameday_markdown"]

RECOVER, AVAILABILITY = "time_to_recover_from_revert_s", "availability_during_fault"


_METRICS = {m.key: m for m in HEADLINE}


def _figure(value: Any, key: str) -> str:
    """As the run reports show it; ``-`` when the run did not measure it."""
    return "-" if value is None else format_value(_METRICS[key], value)


def _rows(result: GameDayResult) -> list[dict[str, Any]]:
    rows = []
    for step in result.steps:
        report = None
        if step.run_dir and (Path(step.run_dir) / "report.html").exists():
            report = os.path.relpath(Path(step.run_dir) / "report.html", result.directory)
        rows.append({
            "name": step.name, "kind": step.kind, "decision": step.decision or "-",
            "outcome": step.outcome, "detail": step.detail, "report": report,
            "held": step.held,
            "recover": _figure(step.metrics.get(RECOVER), RECOVER),
            "availability": _figure(step.metrics.get(AVAILABILITY), AVAILABILITY),
        })  # fmt: skip
    return rows


def render_gameday_markdown(loaded: LoadedPlan, result: GameDayResult) -> str:
    plan = loaded.plan
    icon = {"completed": "✅" if result.exit_code == 0 else "❌"}.get(result.status, "⚠️")
    lines = [
        f"# {icon} Game day: {md(plan.title)} ({result.status})",
        "",
        f"Window {plan.window.start_at:%Y-%m-%d %H:%M} to {plan.window.end_at:%H:%M} "
        f"{plan.window.timezone}. Owner {md(plan.roles.owner.name)}, coordinator "
        f"{md(plan.roles.coordinator.name)}, reporter {md(plan.roles.reporter.name)}.",
        "",
        "## Steps",
        "",
        "| Step | Decision | Outcome | Recover | Availability | Report |",
        "|---|---|---|---:|---:|---|",
    ]
    for row in _rows(result):
        held = "" if row["held"] is None else (" ✅" if row["held"] else " ❌")
        link = f"[report]({row['report']})" if row["report"] else "-"
        lines.append(
            f"| {md(row['name'])} | {row['decision']} | {md(row['outcome'])}{held} | "
            f"{row['recover']} | {row['availability']} | {link} |"
        )
    actions = [e for e in result.log if e.kind == "action"]
    decisions = [e for e in result.log if e.kind in ("decision", "halt")]
    notes = [e for e in result.log if e.kind == "note"]
    lines += ["", "## Action items", ""]
    lines += [f"- [ ] {md(e.text)} ({e.at})" for e in actions] or ["- (none)"]
    lines += ["", "## Decisions", ""]
    lines += [
        f"- {e.at} {'HALT: ' if e.kind == 'halt' else ''}{md(e.text)}" for e in decisions
    ] or ["- (none)"]
    lines += ["", "## Notes", ""]
    lines += [f"- {e.at} {md(e.text)}" for e in notes] or ["- (none)"]
    lines += ["", "## Objectives and hypotheses", ""]
    lines += [f"- objective: {md(o)}" for o in plan.objectives]
    lines += [f"- hypothesis: {md(h)}" for h in plan.hypotheses]
    lines.append("")
    return "\n".join(lines)


def render_gameday_html(loaded: LoadedPlan, result: GameDayResult) -> str:
    template = page_environment().get_template("gameday.html.j2")
    return template.render(
        plan=loaded.plan,
        result=result,
        rows=_rows(result),
        log=result.log,
        actions=[e for e in result.log if e.kind == "action"],
        chart_data=script_json({"charts": {}, "windows": []}),
    )
