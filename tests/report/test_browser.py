"""Reports opened in a real headless Chromium: the charts draw, hover shows values, nothing
is fetched from the network, and user strings stay text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

from chaoskit.report import load_run, render_comparison, render_run
from tests.report.fixtures import recorded_run

CHARTS = [
    "throughput",
    "error_rate",
    "latency",
    "dns",
    "retries",
    "breakers",
    "queue",
    "replication",
]


def drawn(page: Any, key: str) -> dict[str, float]:
    """What a chart drew: its series and bands, and the widest one's rendered width."""
    return page.evaluate(
        """key => {
            const svg = document.querySelector(`svg.chart[data-chart="${key}"]`);
            const shapes = [...svg.querySelectorAll("path.series, rect.band")];
            return {shapes: shapes.length,
                    width: Math.max(0, ...shapes.map(s => s.getBBox().width)),
                    svgWidth: svg.getBoundingClientRect().width};
        }""",
        key,
    )


def test_run_report_draws_every_chart_in_chromium(tmp_path: Path, open_page: Any) -> None:
    run_dir = recorded_run(tmp_path, "naive-blackout")
    render_run(load_run(run_dir), ["html"])
    opened = open_page(run_dir / "report.html")
    page = opened.page
    assert page.locator("svg.chart").evaluate_all("els => els.map(e => e.dataset.chart)") == CHARTS
    for key in ("throughput", "error_rate", "latency", "dns", "retries", "queue"):
        shapes = drawn(page, key)
        assert shapes["shapes"] > 0 and shapes["width"] > 0.5 * shapes["svgWidth"], key
    # the naive profile has no breakers: the chart says so rather than drawing nothing
    assert page.locator('svg[data-chart="breakers"] .no-data').count() == 1
    assert page.locator("svg.chart rect.fault").count() >= len(CHARTS)
    assert page.locator("svg.chart .threshold").count() == 2  # error-rate and p95 SLOs
    marks = page.locator('svg[data-chart="throughput"] .mark-label').all_text_contents()
    assert marks == ["impact", "detect"]  # the naive run never recovered
    assert page.locator(".card").count() >= 12
    assert page.locator('[data-metric="time_to_recover_from_revert_s"] .value').inner_text() == (
        "not recovered"
    )
    assert opened.console_errors == []
    assert opened.requests in ([], [(run_dir / "report.html").as_uri()])  # nothing fetched
    shot = opened.screenshot("run-report.png")
    with Image.open(shot) as image:
        assert image.height > 3000
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50


def test_hover_shows_the_values_under_the_pointer(tmp_path: Path, open_page: Any) -> None:
    run_dir = recorded_run(tmp_path, "naive-blackout")
    render_run(load_run(run_dir), ["html"])
    page = open_page(run_dir / "report.html").page
    fault = page.locator('svg[data-chart="throughput"] rect.fault')
    fault.scroll_into_view_if_needed()
    box = fault.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.locator("#tooltip")
    assert tooltip.is_visible()
    lines = tooltip.inner_text().splitlines()
    assert lines[0].startswith("t = +2")  # the middle of a 10 s → 40 s blackout
    assert "fault: blackout: dns.blank on dynamodb.us-east-1.lab.test" in lines
    succeeded = next(line for line in lines if line.startswith("succeeded: "))
    assert float(succeeded.split()[1]) == 0.0  # nothing succeeded during the blackout
    assert (
        page.locator('svg[data-chart="throughput"] .crosshair').evaluate(
            "e => getComputedStyle(e).visibility"
        )
        == "visible"
    )
    page.mouse.move(1, 1)
    assert not tooltip.is_visible()


HOSTILE = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def test_user_strings_stay_inert(tmp_path: Path, open_page: Any) -> None:
    run_dir = recorded_run(tmp_path, "resilient-blackout")
    journal = json.loads((run_dir / "journal.json").read_text())
    journal["experiment"]["title"] = HOSTILE
    journal["experiment"]["description"] = '"><svg onload="window.__pwned = 3">'
    journal["faults"][0]["name"] = "<b onclick=alert(1)>blackout</b>"
    journal["probes"][0]["name"] = "<script>window.__pwned = 4</script>"
    (run_dir / "journal.json").write_text(json.dumps(journal))
    render_run(load_run(run_dir))
    opened = open_page(run_dir / "report.html")
    page = opened.page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("h1").inner_text() == HOSTILE
    assert page.title().startswith(HOSTILE)
    assert page.locator("main img, main b, main script").count() == 0
    assert (
        "<b onclick=alert(1)>blackout</b>: dns.blank"
        in page.locator('svg[data-chart="throughput"] .fault-label').text_content()
    )
    assert opened.console_errors == []
    assert opened.requests in ([], [(run_dir / "report.html").as_uri()])  # the img never loaded
    markdown = (run_dir / "report.md").read_text()
    assert "&lt;/script&gt;&lt;script&gt;" in markdown and "<script>" not in markdown
    assert "<b " not in (run_dir / "junit.xml").read_text()


def test_comparison_overlays_both_runs(tmp_path: Path, open_page: Any) -> None:
    runs = [
        load_run(recorded_run(tmp_path, "naive-blackout")),
        load_run(recorded_run(tmp_path, "resilient-blackout")),
    ]
    render_comparison(runs, ["html"], tmp_path)
    opened = open_page(tmp_path / "compare.html")
    page = opened.page
    for key in ("error_rate", "succeeded", "p95", "retries", "queue", "leases"):
        assert page.locator(f'svg[data-chart="{key}"] path.series').count() == 2, key
    assert drawn(page, "dns")["shapes"] >= 4  # two rows, each expected → EMPTY → expected
    rows = page.locator("#deltas tbody tr")
    assert rows.count() >= 12
    retry = rows.filter(has_text="Retry amplification").inner_text()
    assert "8.21\N{MULTIPLICATION SIGN}" in retry and "-7.18" in retry
    assert page.locator("#deltas .better").count() >= 5
    assert opened.console_errors == []
    opened.screenshot("compare-report.png")
