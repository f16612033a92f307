"""Two or more runs side by side: a delta table against the first run (the baseline) and
the key series overlaid, every run on the same axis (seconds from its method's start),
so the same fault under the naive and the resilient profile lines up."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from chaoskit.report.definitions import HEADLINE, MetricDef, format_value
from chaoskit.report.events import fault_windows, marks
from chaoskit.report.html import chart_block, page_environment, script_json, verdict_class
from chaoskit.report.jsonout import run_summary
from chaoskit.report.markdown import md, metric_definitions, verdict_icon
from chaoskit.report.rundata import RunData
from chaoskit.report.series import (
    PALETTE,
    ChartSpec,
    Series,
    Threshold,
    dns_categories,
    error_rate_percent,
    retries_per_s,
    succeeded_per_s,
)
from chaoskit.report.svg import Mark, Window

__all__ = [
    "Compared",
    "compare_document",
    "compared",
    "delta",
    "render_compare_html",
    "render_compare_markdown",
]


@dataclass
class Compared:
    letter: str
    label: str
    colour: str
    run: RunData

    @property
    def t(self) -> list[float]:
        return [x - self.run.origin for x in self.run.timeline.t]

    @property
    def name(self) -> str:
        return f"{self.letter} · {self.label}"


def _distinct(values: list[str]) -> bool:
    return len(set(values)) == len(values)


def compared(runs: list[RunData]) -> list[Compared]:
    """Each run with a letter, a label that tells it from the others, and a colour."""
    profiles = [r.journal.profile for r in runs]
    titles = [r.journal.title for r in runs]
    if _distinct(profiles):
        labels = profiles
    elif _distinct(titles):
        labels = titles
    else:
        labels = [r.journal.run_id for r in runs]
    return [
        Compared(string.ascii_uppercase[i % 26], label, PALETTE[i % len(PALETTE)], run)
        for i, (label, run) in enumerate(zip(labels, runs, strict=True))
    ]


def delta(metric: MetricDef, base: Any, other: Any) -> tuple[str, str]:
    """(text, css class) of ``other - base``: ``better``, ``worse`` or empty."""
    if isinstance(base, bool) or isinstance(other, bool) or base is None or other is None:
        return ("", "")
    difference = float(other) - float(base)
    if metric.unit == "percent":
        text = f"{difference * 100:+.2f} pp"
    elif metric.unit == "s":
        text = f"{difference:+.2f} s"
    elif metric.unit == "count":
        text = f"{difference:+,.0f}"
    elif metric.unit == "ms":
        text = f"{difference:+,.0f} ms"
    else:
        text = f"{difference:+.2f}"
    if difference == 0 or metric.better == "none":
        return (text, "")
    improved = difference < 0 if metric.better == "lower" else difference > 0
    return (text, "better" if improved else "worse")


def delta_rows(runs: list[Compared]) -> list[dict[str, Any]]:
    base = runs[0].run.journal.metrics
    rows = []
    for metric in HEADLINE:
        cells = []
        for i, entry in enumerate(runs):
            metrics = entry.run.journal.metrics
            value = format_value(metric, metrics[metric.key]) if metric.key in metrics else "-"
            text, css = ("", "") if i == 0 else delta(metric, base.get(metric.key),
                                                      metrics.get(metric.key))  # fmt: skip
            cells.append({"value": value, "delta": text, "class": css})
        rows.append({"label": metric.label, "definition": metric.definition, "cells": cells})
    return rows


def _overlay(
    key: str, title: str, unit: str, note: str, runs: list[Compared], values: Any, **kw: Any
) -> ChartSpec:
    series = [
        Series(entry.name, values(entry.run.timeline), entry.colour, kw.get("reduce", "mean"),
               dashed=i > 0, t=entry.t)
        for i, entry in enumerate(runs)
    ]  # fmt: skip
    return ChartSpec(
        key, title, unit, note, series, kw.get("thresholds", []), kw.get("step", False)
    )


def compare_charts(runs: list[Compared]) -> list[ChartSpec]:
    slo = runs[0].run.journal.experiment.get("steady_state", {}).get("slo", {})
    error_slo = float(slo.get("error_rate_below", 0.01)) * 100
    p95_slo = slo.get("p95_below_ms")
    charts = [
        _overlay("error_rate", "Client error rate", "%",
                 "Failed / all client requests over the SLO window.", runs, error_rate_percent,
                 reduce="max", thresholds=[Threshold(error_slo, f"SLO < {error_slo:g} %")]),
        _overlay("succeeded", "Client requests succeeded per second", "req/s",
                 "Successful client requests per second over a 1 s window.", runs, succeeded_per_s),
        _overlay("p95", "Client p95 latency", "ms",
                 "p95 latency of successful client requests over the SLO window.", runs,
                 lambda tl: tl.column("p95_ms"), reduce="max",
                 thresholds=[Threshold(p95_slo, f"SLO p95 < {p95_slo:g} ms")] if p95_slo else []),
        _overlay("retries", "Retries per second, all services", "retries/s",
                 "Downstream retries summed over services.", runs, retries_per_s),
        _overlay("queue", "Fleet queue depth", "count", "Work queued in fleet's lease queue.",
                 runs, lambda tl: tl.column("queue_depth"), reduce="max", step=True),
        _overlay("leases", "Fleet leases held", "count", "Hosts holding a valid lease.",
                 runs, lambda tl: tl.column("leases_held"), reduce="min", step=True),
    ]  # fmt: skip
    bands = []
    for entry in runs:
        band = dns_categories(entry.run.timeline.dns_answer)
        band.t = entry.t
        bands.append((entry.letter, band))
    note = "The watched record's answer in each run."
    charts.insert(3, ChartSpec("dns", "What DNS answered", "", note, bands=bands))
    return charts


def _windows(runs: list[Compared]) -> list[Window]:
    """Each run's fault windows; one shading when the runs' windows coincide."""
    seen: dict[tuple[float, float, str], list[str]] = {}
    for entry in runs:
        for window in fault_windows(entry.run):
            key = (round(window.start), round(window.end), window.label)
            seen.setdefault(key, []).append(entry.letter)
    found: list[Window] = []
    for (_, _, label), letters in seen.items():
        first = next(w for e in runs if e.letter == letters[0] for w in fault_windows(e.run)
                     if w.label == label)  # fmt: skip
        prefix = "" if len(letters) == len(runs) else ",".join(letters) + ": "
        found.append(Window(first.start, first.end, prefix + label))
    return found


def _marks(runs: list[Compared]) -> list[Mark]:
    return [
        Mark(m.t, f"{entry.letter} recovered", entry.colour)
        for entry in runs
        for m in marks(entry.run)
        if m.label == "recover"
    ]


def _domain(runs: list[Compared]) -> tuple[float, float]:
    times = [x for entry in runs for x in (entry.t[:1] + entry.t[-1:])]
    return (min(times), max(times)) if times else (0.0, 1.0)


def render_compare_html(runs: list[RunData]) -> str:
    entries = compared(runs)
    domain, windows, chart_marks = _domain(entries), _windows(entries), _marks(entries)
    charts, data = [], {}
    for spec in compare_charts(entries):
        block, rendered = chart_block(spec, [], domain, windows, chart_marks)
        charts.append(block)
        data[spec.key] = rendered.hover
    template = page_environment().get_template("compare.html.j2")
    return template.render(
        runs=[
            {
                "letter": e.letter,
                "label": e.label,
                "colour": e.colour,
                "journal": e.run.journal,
                "verdict_class": verdict_class(e.run),
                "path": e.run.path.name,
            }
            for e in entries
        ],
        rows=delta_rows(entries),
        charts=charts,
        chart_data=script_json(
            {"charts": data, "windows": [[w.start, w.end, w.label] for w in windows]}
        ),
    )


def key_compare_chart(runs: list[RunData]) -> tuple[ChartSpec, list[Window], list[Mark]]:
    entries = compared(runs)
    return compare_charts(entries)[0], _windows(entries), _marks(entries)


def render_compare_markdown(
    runs: list[RunData], chart_file: str | None, html_file: str | None
) -> str:
    entries = compared(runs)
    header = "| Metric | " + " | ".join(md(e.name) for e in entries) + " |"
    lines = [
        "# Comparison: " + md(" vs ".join(e.label for e in entries)),
        "",
        *[f"- **{e.letter}** {verdict_icon(e.run)} {md(e.run.journal.title)} "
          f"({md(e.run.journal.run_id)}): {md(e.run.journal.verdict)}" for e in entries],
        "",
    ]  # fmt: skip
    if chart_file:
        lines += [f"![Client error rate, overlaid]({chart_file})", ""]
    lines += [header, "|---|" + "---:|" * len(entries)]
    for row in delta_rows(entries):
        cells = [
            md(c["value"]) + (f" ({md(c['delta'])})" if c["delta"] else "") for c in row["cells"]
        ]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    lines += ["", "Deltas are against A.", "", *metric_definitions(), ""]
    if html_file:
        lines += [f"Overlaid charts: [{md(html_file)}]({html_file})", ""]
    return "\n".join(lines)


def compare_document(runs: list[RunData]) -> dict[str, Any]:
    entries = compared(runs)
    base = entries[0].run.journal.metrics
    deltas = {}
    for entry in entries[1:]:
        metrics = entry.run.journal.metrics
        deltas[entry.letter] = {
            m.key: round(float(metrics[m.key]) - float(base[m.key]), 4)
            for m in HEADLINE
            if isinstance(metrics.get(m.key), int | float)
            and isinstance(base.get(m.key), int | float)
            and not isinstance(metrics.get(m.key), bool)
        }
    return {
        "runs": [{"letter": e.letter, "label": e.label, **run_summary(e.run)} for e in entries],
        "baseline": entries[0].letter,
        "deltas": deltas,
    }
