"""JUnit XML, so CI shows a failed experiment as failed tests.

One ``<testsuite>`` per run, with a test case for each steady-state probe result (before
and after the method; the SLO checks are ``slo`` probes), one for the recovery criterion
and one per fault's revert. A test case fails exactly when the verdict names it, so JUnit
and the exit code of ``chaoskit run`` always agree; a run that was aborted or interrupted
adds an ``<error>`` case with the reason.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from chaoskit._text import slug
from chaoskit.report.rundata import RunData

__all__ = ["junit_cases", "render_junit"]


@dataclass(frozen=True)
class Case:
    classname: str
    name: str
    failure: str | None = None
    error: str | None = None
    output: str = ""


def junit_cases(run: RunData) -> list[Case]:
    journal = run.journal
    base = f"chaoskit.{slug(journal.title, None)}"
    cases: list[Case] = []
    for probe in journal.probes:
        if probe.phase not in ("before", "after"):
            continue
        cases.append(
            Case(f"{base}.steady-state-{probe.phase}", f"{probe.name} ({probe.phase})",
                 failure=None if probe.ok else probe.detail, output=probe.detail)
        )  # fmt: skip
    metrics = journal.metrics
    if journal.status == "completed":
        timeout = journal.experiment.get("recovery", {}).get("timeout")
        within = f" within {timeout:g}s" if isinstance(timeout, int | float) else ""
        recovered = bool(metrics.get("recovered", True))
        seconds = metrics.get("time_to_recover_from_revert_s")
        detail = f"recovered {seconds} s after the last revert" if recovered else "not recovered"
        cases.append(
            Case(f"{base}.recovery", f"recovers{within}",
                 failure=None if recovered else f"not recovered{within}", output=detail)
        )  # fmt: skip
    for fault in journal.faults:
        if fault.injected_t is None:
            continue
        ok = fault.outcome == "reverted" and bool(fault.verified)
        cases.append(
            Case(f"{base}.faults", f"{fault.label} reverted",
                 failure=None if ok else f"{fault.outcome}: {fault.error or 'revert not verified'}",
                 output=f"outcome {fault.outcome}, verified {fault.verified}")
        )  # fmt: skip
    if journal.status != "completed":
        cases.append(
            Case(f"{base}.run", "run completes", error=f"{journal.status}: {journal.verdict}")
        )
    return cases


def _suite(run: RunData) -> ET.Element:
    journal = run.journal
    cases = junit_cases(run)
    duration = run.timeline.t[-1] - run.timeline.t[0] if len(run.timeline) > 1 else 0.0
    suite = ET.Element(
        "testsuite",
        {
            "name": journal.title,
            "tests": str(len(cases)),
            "failures": str(sum(1 for c in cases if c.failure is not None)),
            "errors": str(sum(1 for c in cases if c.error is not None)),
            "skipped": "0",
            "time": f"{duration:.3f}",
            "timestamp": journal.started_at.removesuffix("Z"),
            "hostname": journal.host,
            "id": journal.run_id,
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", journal.run_id),
        ("experiment", journal.source),
        ("backend", journal.backend),
        ("profile", journal.profile),
        ("verdict", journal.verdict),
        *[(f"metric.{k}", "" if v is None else str(v)) for k, v in sorted(journal.metrics.items())],
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for case in cases:
        element = ET.SubElement(
            suite, "testcase", {"classname": case.classname, "name": case.name, "time": "0"}
        )
        if case.failure is not None:
            failure = ET.SubElement(element, "failure", {"message": case.failure, "type": "failed"})
            failure.text = case.failure
        if case.error is not None:
            error = ET.SubElement(element, "error", {"message": case.error, "type": "aborted"})
            error.text = case.error
        if case.output:
            ET.SubElement(element, "system-out").text = case.output
    ET.SubElement(suite, "system-out").text = f"{journal.status}: {journal.verdict}"
    ET.SubElement(suite, "system-err").text = ""
    return suite


def render_junit(runs: list[RunData]) -> str:
    root = ET.Element("testsuites", {"name": "chaoskit"})
    suites = [_suite(run) for run in runs]
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    root.set("time", f"{sum(float(s.get('time', '0')) for s in suites):.3f}")
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
