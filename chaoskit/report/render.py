"""Which files a report is: render one run, or compare several, into a directory.

A run's reports go beside its journal unless told otherwise; a comparison goes into the
first (baseline) run's directory. Every file is written whole (temporary file, then
rename), so a reader never sees half a report.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from chaoskit._errors import InvalidInput
from chaoskit._whole_files import write_whole
from chaoskit.report.rundata import RunData
from chaoskit.report.series import ChartSpec
from chaoskit.report.svg import Mark, Window

__all__ = ["FORMATS", "parse_formats", "render_comparison", "render_run"]

FORMATS = ("html", "md", "junit", "json")


def parse_formats(text: str) -> list[str]:
    chosen = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise InvalidInput(
            f"--format: expected a comma-separated list of {', '.join(FORMATS)}; got {text!r}"
        )
    return list(dict.fromkeys(chosen))


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        return write_whole(path, lambda tmp: tmp.write_bytes(text))
    return write_whole(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _png(path: Path, spec: ChartSpec, t: list[float], windows: list[Window],
         marks: list[Mark]) -> Path:  # fmt: skip
    from chaoskit.report.png import write_png_chart

    return write_whole(path, lambda tmp: write_png_chart(spec, t, windows, marks, tmp))


def render_run(
    run: RunData, formats: Iterable[str] = FORMATS, out: Path | None = None
) -> list[Path]:
    from chaoskit.report.events import fault_windows, marks

    out = out or run.path
    formats = list(formats)
    written: list[Path] = []
    if "html" in formats:
        from chaoskit.report.html import render_run_html

        written.append(_write(out / "report.html", render_run_html(run)))
    if "md" in formats:
        from chaoskit.report.markdown import render_run_markdown
        from chaoskit.report.series import throughput_chart

        t = [x - run.origin for x in run.timeline.t]
        chart = "report-chart.png"
        spec = throughput_chart(run.timeline)
        written.append(_png(out / chart, spec, t, fault_windows(run), marks(run)))
        html = "report.html" if "html" in formats else None
        written.append(_write(out / "report.md", render_run_markdown(run, chart, html)))
    if "junit" in formats:
        from chaoskit.report.junit import render_junit

        written.append(_write(out / "junit.xml", render_junit([run])))
    if "json" in formats:
        from chaoskit.report.jsonout import dump, run_summary

        written.append(_write(out / "metrics.json", dump(run_summary(run))))
    return written


def render_comparison(
    runs: list[RunData], formats: Iterable[str] = FORMATS, out: Path | None = None
) -> list[Path]:
    if len(runs) < 2:
        raise InvalidInput("--compare: a comparison needs at least two run directories")
    out = out or runs[0].path
    formats = list(formats)
    written: list[Path] = []
    if "html" in formats:
        from chaoskit.report.compare import render_compare_html

        written.append(_write(out / "compare.html", render_compare_html(runs)))
    if "md" in formats:
        from chaoskit.report.compare import key_compare_chart, render_compare_markdown

        spec, windows, chart_marks = key_compare_chart(runs)
        chart = "compare-chart.png"
        written.append(_png(out / chart, spec, [], windows, chart_marks))
        html = "compare.html" if "html" in formats else None
        written.append(_write(out / "compare.md", render_compare_markdown(runs, chart, html)))
    if "junit" in formats:
        from chaoskit.report.junit import render_junit

        written.append(_write(out / "compare-junit.xml", render_junit(runs)))
    if "json" in formats:
        from chaoskit.report.compare import compare_document
        from chaoskit.report.jsonout import dump

        written.append(_write(out / "compare.json", dump(compare_document(runs))))
    return written
