"""Recovery reports from a run directory: HTML, Markdown (with a chart image), JUnit XML
and JSON, for one run or several compared. A report is a function of the run directory."""

from chaoskit.report.render import FORMATS, parse_formats, render_comparison, render_run
from chaoskit.report.rundata import RunData, load_run

__all__ = ["FORMATS", "RunData", "load_run", "parse_formats", "render_comparison", "render_run"]
