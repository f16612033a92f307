"""The report's per-client DNS queries during each DNS fault, from a recorded run with the
authority's per-client counters added to its timeline."""

from __future__ import annotations

import csv
from pathlib import Path

from chaoskit.report import load_run, render_run
from chaoskit.report.dns_clients import dns_client_table
from chaoskit.report.html import render_run_html
from tests.report.fixtures import recorded_run


def _with_client_counters(run_dir: Path) -> None:
    """orders asks 10 times a second, the resolver 20, fleet never (its own cache: it asked
    7 times before the run), the gateway never at all (it calls by address)."""
    path = run_dir / "timeline.csv"
    with path.open() as source:
        rows = list(csv.DictReader(source))
    for i, row in enumerate(rows):
        row["svc_dns_client_orders"] = str(float(i))
        row["svc_dns_client_resolver"] = str(float(2 * i))
        row["svc_dns_client_fleet"] = "7.0"
        row["svc_dns_client_gateway"] = "0.0"
    with path.open("w", newline="") as sink:
        writer = csv.DictWriter(sink, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_queries_per_client_during_each_dns_fault(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "naive-blackout")
    _with_client_counters(run_dir)
    run = load_run(run_dir)
    table = dns_client_table(run)
    assert table is not None
    (fault,) = [f for f in run.journal.faults if f.kind.startswith("dns.")]
    assert table.faults == [fault.label]
    counts = dict(table.rows)
    assert counts["fleet"] == counts["gateway"] == [0]
    samples = [t for t in run.timeline.t if fault.injected_t <= t <= (fault.reverted_t or 0)]
    assert counts["orders"] == [len(samples) - 1]
    assert counts["resolver"] == [2 * (len(samples) - 1)]
    assert table.silent() == [("fleet", fault.label)]  # not the gateway: it asks no one
    page = render_run_html(run)
    assert 'id="dns-clients"' in page
    assert "fleet sent no query during" in page
    render_run(run)  # every format renders it
    summary = (run_dir / "report.md").read_text()
    assert "## DNS queries per client during each DNS fault" in summary
    assert "fleet sent no query during" in summary
    assert "gateway sent no query" not in summary and "gateway sent no query" not in page


def test_a_run_without_client_counters_has_no_table(tmp_path: Path) -> None:
    run = load_run(recorded_run(tmp_path, "naive-blackout"))
    assert dns_client_table(run) is None
    assert 'id="dns-clients"' not in render_run_html(run)
