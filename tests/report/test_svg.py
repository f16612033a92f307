"""The chart drawing: ticks, bucketing that keeps peaks, paths that break at gaps, escaping."""

from __future__ import annotations

from chaoskit.report.series import ChartSpec, Series, Threshold
from chaoskit.report.svg import MAX_POINTS, Mark, Window, bucket, nice_ticks, render_chart


def test_nice_ticks_cover_the_peak_in_round_steps() -> None:
    assert nice_ticks(0) == [0.0, 1.0]
    assert nice_ticks(97) == [0, 25, 50, 75, 100]
    assert nice_ticks(18623) == [0, 5000, 10000, 15000, 20000]
    assert nice_ticks(0.3) == [0, 0.1, 0.2, 0.3]


def test_bucketing_keeps_a_single_sample_spike() -> None:
    t = [i / 10 for i in range(36_000)]
    values: list[float | None] = [1.0] * 36_000
    values[12_345] = 500.0
    xs, peaks = bucket(t, values, "max")
    assert len(xs) <= MAX_POINTS and max(v for v in peaks if v is not None) == 500.0
    _, means = bucket(t, values, "mean")
    assert max(v for v in means if v is not None) < 20


def test_short_runs_are_not_bucketed() -> None:
    t = [float(i) for i in range(50)]
    assert bucket(t, t, "mean") == (t, t)


def chart(values: list[float | None], **kw: object) -> ChartSpec:
    return ChartSpec("c", "A chart", "ms", "", [Series("s<1>", values, "#000")], **kw)  # type: ignore[arg-type]


def test_a_gap_lifts_the_pen() -> None:
    rendered = render_chart(chart([1.0, 2.0, None, 3.0, 4.0]), [0, 1, 2, 3, 4], (0.0, 4.0))
    path = rendered.svg.split(' d="')[1].split('"')[0]
    assert path.count("M") == 2 and path.count("L") == 2


def test_overlays_thresholds_and_names_are_escaped() -> None:
    spec = chart([1.0, 5.0], thresholds=[Threshold(3, "SLO <3 ms")])
    rendered = render_chart(
        spec, [0.0, 10.0], (0.0, 10.0),
        windows=[Window(2, 4, '<script>"x"</script>')], marks=[Mark(5, "impact", "#f00")],
    )  # fmt: skip
    svg = rendered.svg
    assert "<script>" not in svg and "&lt;script&gt;&quot;x&quot;&lt;/script&gt;" in svg
    assert "SLO &lt;3 ms" in svg and "s&lt;1&gt;" in svg
    assert svg.count('class="fault"') == 1 and svg.count('class="mark"') == 1
    assert rendered.hover["series"][0]["v"] == [1.0, 5.0]
    assert rendered.hover["domain"] == [0.0, 10.0]


def test_a_chart_without_data_says_so() -> None:
    rendered = render_chart(chart([None, None]), [0.0, 1.0], (0.0, 1.0))
    assert "not measured in this run" in rendered.svg and "<path" not in rendered.svg
