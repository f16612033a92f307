"""The HTML report: one self-contained file (inline CSS, SVG and script; nothing fetched).

Jinja2 autoescapes everything; the only markup passed through unescaped is the SVG that
``svg.py`` built (which escapes its own strings) and the chart data, JSON with ``<``, ``>``
and ``&`` written as ``\\u`` escapes so nothing in it can end its ``<script>`` element.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from ruamel.yaml import YAML

from chaoskit.report.definitions import HEADLINE, format_value
from chaoskit.report.dns_clients import dns_client_table
from chaoskit.report.events import fault_windows, marks, run_events
from chaoskit.report.rundata import RunData
from chaoskit.report.series import ChartSpec, run_charts
from chaoskit.report.svg import Mark, RenderedChart, Window, legend, render_chart

__all__ = ["chart_block", "page_environment", "render_run_html", "script_json"]


def page_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("chaoskit.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["seconds"] = lambda t: f"{t:+.2f}s"
    return env


def script_json(value: Any) -> Markup:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # escaped above for a <script> element


def chart_block(
    spec: ChartSpec,
    t: Sequence[float],
    domain: tuple[float, float],
    windows: Sequence[Window],
    chart_marks: Sequence[Mark],
) -> tuple[dict[str, Any], RenderedChart]:
    rendered = render_chart(spec, t, domain, windows, chart_marks)
    block = {
        "key": spec.key,
        "title": spec.title,
        "note": spec.note,
        "legend": legend(spec),
        "svg": Markup(rendered.svg),  # built by svg.py, which escapes
        "has_data": spec.has_data,
    }
    return block, rendered


def experiment_yaml(experiment: dict[str, Any]) -> str:
    yaml = YAML()
    yaml.default_flow_style = False
    sink = io.StringIO()
    yaml.dump(experiment, sink)
    return sink.getvalue()


def metric_cards(metrics: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "key": m.key,
            "label": m.label,
            "value": format_value(m, metrics[m.key]) if m.key in metrics else "-",
            "definition": m.definition,
        }
        for m in HEADLINE
    ]


def steady_state_rows(run: RunData) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for probe in run.journal.probes:
        row = rows.setdefault(probe.name, {"name": probe.name, "before": None, "after": None,
                                           "during_ok": 0, "during_failed": 0})  # fmt: skip
        if probe.phase in ("before", "after"):
            row[probe.phase] = {"ok": probe.ok, "detail": probe.detail}
        else:
            row["during_ok" if probe.ok else "during_failed"] += 1
    return list(rows.values())


def environment_rows(run: RunData) -> list[tuple[str, str]]:
    journal = run.journal
    rows = [
        ("run", journal.run_id),
        ("experiment file", journal.source),
        ("started (UTC)", journal.started_at),
        ("backend", journal.backend),
        ("profile", journal.profile),
    ]
    rows += [
        (f"{name} profile", f"{p.get('profile')} {json.dumps(p.get('overrides') or {})}")
        for name, p in sorted(journal.profiles.items())
        if p.get("overrides")
    ]
    versions = journal.versions
    rows += [(k, str(v)) for k, v in versions.items() if k != "components" and v]
    rows += [(f"component {k}", str(v)) for k, v in sorted(versions.get("components", {}).items())]
    if "sample_hz" in journal.metrics:
        rows.append(("sample rate", f"{journal.metrics['sample_hz']} Hz"))
    return rows


def verdict_class(run: RunData) -> str:
    if run.journal.held:
        return "held"
    return "aborted" if run.journal.status in ("aborted", "interrupted", "failed") else "not-held"


def render_run_html(run: RunData) -> str:
    t = [x - run.origin for x in run.timeline.t]
    domain = (t[0], t[-1]) if t else (0.0, 1.0)
    windows, chart_marks = fault_windows(run), marks(run)
    charts, data = [], {}
    for spec in run_charts(run):
        block, rendered = chart_block(spec, t, domain, windows, chart_marks)
        charts.append(block)
        data[spec.key] = rendered.hover
    windows_data = [[round(w.start, 2), round(w.end, 2), w.label] for w in windows]
    template = page_environment().get_template("report.html.j2")
    return template.render(
        run=run,
        journal=run.journal,
        verdict_class=verdict_class(run),
        metrics=metric_cards(run.journal.metrics),
        all_metrics=sorted(run.journal.metrics.items()),
        charts=charts,
        chart_data=script_json({"charts": data, "windows": windows_data}),
        events=run_events(run),
        steady_state=steady_state_rows(run),
        experiment_yaml=experiment_yaml(run.journal.experiment),
        environment=environment_rows(run),
        windows=windows,
        dns_clients=dns_client_table(run),
    )
