"""A Markdown summary for a pull request or an issue: verdict, recovery table, faults,
steady state, and the key chart as an image beside it. User strings are escaped, so a
title cannot break the table or inject HTML."""

from __future__ import annotations

import re

from chaoskit.report.definitions import HEADLINE, format_value
from chaoskit.report.dns_clients import dns_client_table
from chaoskit.report.rundata import RunData

__all__ = ["md", "metric_definitions", "render_run_markdown", "verdict_icon"]

# Inside a table cell or after a prefix, these are the characters Markdown acts on.
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: object) -> str:
    """Plain text that Markdown shows as written: punctuation backslash-escaped, HTML
    special characters as entities, newlines as spaces (a table cell is one line)."""
    plain = " ".join(str(text).split())
    plain = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", plain)


def verdict_icon(run: RunData) -> str:
    if run.journal.held:
        return "✅"
    return "⚠️" if run.journal.status in ("aborted", "interrupted", "failed") else "❌"


def metric_definitions() -> list[str]:
    return [
        "<details><summary>What the numbers mean</summary>",
        "",
        *[f"- **{m.label}**: {md(m.definition)}" for m in HEADLINE],
        "",
        "</details>",
    ]


def _seconds(t: float | None, origin: float) -> str:
    return "-" if t is None else f"{t - origin:+.2f}s"


def _dns_client_lines(run: RunData) -> list[str]:
    """Queries per client at the lab authority during each DNS fault, and who never asked."""
    table = dns_client_table(run)
    if table is None:
        return []
    lines = ["## DNS queries per client during each DNS fault", "",
             "| Client | " + " | ".join(md(f) for f in table.faults) + " |",
             "|---|" + "---:|" * len(table.faults)]  # fmt: skip
    for client, counts in table.rows:
        cells = " | ".join("-" if c is None else str(c) for c in counts)
        lines.append(f"| {md(client)} | {cells} |")
    lines.append("")
    for client, fault in table.silent():
        lines.append(f"- {md(client)} sent no query during {md(fault)}: it never exercised it.")
    return [*lines, ""] if table.silent() else lines


def _stage_lines(run: RunData) -> list[str]:
    stages = run.journal.stages
    if not stages:
        return []
    lines = ["## Stages", "", "| Stage | Began | Lasted | Outage | Ended |",
             "|---|---:|---:|---:|---|"]  # fmt: skip
    for i, stage in enumerate(stages):
        ended = stage.ending(last=i == len(stages) - 1)
        lines.append(
            f"| {md(stage.name)} | {_seconds(stage.started_t, run.origin)} | "
            f"{stage.took_s:.2f} s | {stage.outage_s:.2f} s | {ended} |"
        )
    return [*lines, ""]


def render_run_markdown(run: RunData, chart_file: str | None, html_file: str | None) -> str:
    journal = run.journal
    metrics = journal.metrics
    lines = [
        f"# {verdict_icon(run)} {md(journal.title)}",
        "",
        f"**{md(journal.status)}: {md(journal.verdict)}**",
        "",
        f"Run {md(journal.run_id)} · backend {md(journal.backend)} · profile "
        f"{md(journal.profile)} · started {md(journal.started_at)} UTC",
        "",
    ]
    if chart_file:
        lines += [f"![Client throughput and errors]({chart_file})", ""]
    lines += ["| Recovery | Value |", "|---|---:|"]
    lines += [
        f"| {m.label} | {md(format_value(m, metrics[m.key]))} |"
        for m in HEADLINE
        if m.key in metrics
    ]
    lines += ["", *metric_definitions(), ""]
    if journal.faults:
        lines += [
            "## Faults",
            "",
            "| Fault | Injected | Reverted | Outcome |",
            "|---|---:|---:|---|",
        ]
        for fault in journal.faults:
            verified = " (verified)" if fault.verified else ""
            error = f": {fault.error}" if fault.error else ""
            outcome = md(fault.outcome + verified + fault.overstayed + error)
            lines.append(
                f"| {md(fault.label)} | {_seconds(fault.injected_t, run.origin)} | "
                f"{_seconds(fault.reverted_t, run.origin)} | {outcome} |"
            )
        lines.append("")
    lines += _stage_lines(run)
    lines += _dns_client_lines(run)
    edges = [p for p in journal.probes if p.phase in ("before", "after")]
    if edges:
        lines += ["## Steady state", "", "| Probe | When | Result |", "|---|---|---|"]
        for probe in edges:
            result = ("✅ " if probe.ok else "❌ ") + md(probe.detail)
            lines.append(f"| {md(probe.name)} | {probe.phase} | {result} |")
        lines.append("")
    if html_file:
        lines += [f"Full report with charts and timeline: [{md(html_file)}]({html_file})", ""]
    return "\n".join(lines)
