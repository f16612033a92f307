"""Charts as inline SVG, drawn server-side so they show with scripts off, plus the numbers
the page's hover script reads.

Long runs are bucketed to at most ``MAX_POINTS`` points per series, each bucket reduced as
its series says (peaks of latency and errors survive). Every string that reaches the SVG
goes through ``esc``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from chaoskit.report.series import Band, ChartSpec, Reduce

__all__ = [
    "LEFT",
    "MAX_POINTS",
    "WIDTH",
    "Mark",
    "RenderedChart",
    "Window",
    "bucket",
    "legend",
    "nice_ticks",
    "render_chart",
]

MAX_POINTS = 900
WIDTH, LEFT, RIGHT, TOP, BOTTOM = 960, 58, 18, 24, 30
LINE_HEIGHT, ROW_HEIGHT = 230, 30


def esc(text: object) -> str:
    return escape(str(text), quote=True)


@dataclass(frozen=True)
class Window:
    """A shaded span on the time axis: a fault from injection to revert."""

    start: float
    end: float
    label: str


@dataclass(frozen=True)
class Mark:
    """A labelled instant: impact, detect, recover."""

    t: float
    label: str
    colour: str


@dataclass
class RenderedChart:
    key: str
    svg: str
    hover: dict[str, Any]


def bucket_edges(n: int, max_points: int = MAX_POINTS) -> list[tuple[int, int]]:
    size = max(1, math.ceil(n / max_points))
    return [(i, min(n, i + size)) for i in range(0, n, size)]


def _reduce(values: Sequence[float | None], how: Reduce) -> float | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    if how == "max":
        return max(present)
    if how == "min":
        return min(present)
    return sum(present) / len(present)


def bucket(
    t: Sequence[float], values: Sequence[float | None], how: Reduce, max_points: int = MAX_POINTS
) -> tuple[list[float], list[float | None]]:
    """At most ``max_points`` points: each bucket at its first time, reduced by ``how``."""
    edges = bucket_edges(len(t), max_points)
    return [t[a] for a, _ in edges], [_reduce(values[a:b], how) for a, b in edges]


def bucket_band(band: Band, t: Sequence[float]) -> tuple[list[float], list[str]]:
    edges = bucket_edges(len(t))
    labels = [max(band.labels[a:b], key=lambda lab: band.severity.get(lab, 0)) for a, b in edges]
    return [t[a] for a, _ in edges], labels


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``high``."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    top = math.ceil(high / step - 1e-9) * step
    return [round(i * step, 10) for i in range(round(top / step) + 1)]


def time_ticks(lo: float, hi: float) -> list[float]:
    span = max(hi - lo, 1e-9)
    step = next(
        (s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800) if span / s <= 10), 3600
    )
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) // step) + 1)]


def format_time(t: float, span: float) -> str:
    if span < 300:
        return f"{t:+g}s" if t else "0s"
    sign = "-" if t < 0 else ""
    seconds = round(abs(t))
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"


def format_number(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 10000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


class _Frame:
    def __init__(self, lo: float, hi: float, y_top: float, height: int) -> None:
        self.lo, self.hi = lo, hi if hi > lo else lo + 1
        self.y_top = y_top or 1.0
        self.height = height
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = height - TOP - BOTTOM

    def x(self, t: float) -> float:
        return LEFT + (t - self.lo) / (self.hi - self.lo) * self.plot_w

    def y(self, v: float) -> float:
        return TOP + self.plot_h - min(v, self.y_top) / self.y_top * self.plot_h


def _path(frame: _Frame, xs: Sequence[float], ys: Sequence[float | None], step: bool) -> str:
    parts: list[str] = []
    pen_up = True
    for t, v in zip(xs, ys, strict=True):
        if v is None:
            pen_up = True
            continue
        x, y = frame.x(t), frame.y(v)
        if pen_up:
            parts.append(f"M{x:.1f} {y:.1f}")
        elif step:
            parts.append(f"H{x:.1f}V{y:.1f}")
        else:
            parts.append(f"L{x:.1f} {y:.1f}")
        pen_up = False
    return "".join(parts)


def _overlays(
    frame: _Frame, windows: Sequence[Window], marks: Sequence[Mark], labelled: bool = True
) -> tuple[list[str], list[str]]:
    """Fault windows (drawn under the data) and marks (drawn over it)."""
    under: list[str] = []
    over: list[str] = []
    bottom = frame.height - BOTTOM
    for i, window in enumerate(windows):
        if window.end < frame.lo or window.start > frame.hi:
            continue
        x0, x1 = frame.x(max(window.start, frame.lo)), frame.x(min(window.end, frame.hi))
        under.append(
            f'<rect class="fault" x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{frame.plot_h}"><title>{esc(window.label)}</title></rect>'
        )
        if labelled:
            y = TOP + 11 + 13 * (i % 3)
            under.append(
                f'<text class="fault-label" x="{x0 + 3:.1f}" y="{y}">{esc(window.label)}</text>'
            )
    for i, mark in enumerate(marks):
        if not frame.lo <= mark.t <= frame.hi:
            continue
        x = frame.x(mark.t)
        over.append(
            f'<line class="mark" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{bottom}" '
            f'stroke="{esc(mark.colour)}"><title>{esc(mark.label)} at {mark.t:+.2f}s</title></line>'
        )
        if labelled:
            over.append(
                f'<text class="mark-label" x="{x + 3:.1f}" y="{bottom - 5 - 13 * i}" '
                f'fill="{esc(mark.colour)}">{esc(mark.label)}</text>'
            )
    return under, over


def _axes(frame: _Frame, y_ticks: Sequence[float], unit: str) -> list[str]:
    out: list[str] = []
    bottom = frame.height - BOTTOM
    for v in y_ticks:
        y = frame.y(v)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{esc(format_number(v))}</text>"
        )
    span = frame.hi - frame.lo
    for t in time_ticks(frame.lo, frame.hi):
        x = frame.x(t)
        out.append(
            f'<line class="tickmark" x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}"/>'
            f'<text class="tick" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{esc(format_time(t, span))}</text>"
        )
    out.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}"/>')
    if unit:
        out.append(f'<text class="unit" x="{LEFT - 6}" y="{TOP - 8}" text-anchor="end">'
                   f"{esc(unit)}</text>")  # fmt: skip
    return out


def _svg(key: str, title: str, height: int, body: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{esc(key)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + f'<line class="crosshair" x1="0" x2="0" y1="{TOP}" y2="{height - BOTTOM}"/>'
        + "</svg>"
    )


def render_chart(
    spec: ChartSpec,
    t: Sequence[float],
    domain: tuple[float, float],
    windows: Sequence[Window] = (),
    marks: Sequence[Mark] = (),
) -> RenderedChart:
    """``t``: the chart's time axis (seconds from the origin); ``domain``: the x range."""
    if spec.bands:
        return _render_bands(spec, t, domain, windows, marks)
    plotted: list[tuple[list[float], list[float | None]]] = []
    for series in spec.series:
        own_t = series.t if series.t is not None else t
        plotted.append(bucket(own_t, series.values, series.reduce))
    peak = max(
        [v for _, ys in plotted for v in ys if v is not None]
        + [th.value for th in spec.thresholds],
        default=0.0,
    )
    ticks = nice_ticks(peak)
    frame = _Frame(domain[0], domain[1], ticks[-1], LINE_HEIGHT)
    under, over = _overlays(frame, windows, marks)
    body = _axes(frame, ticks, spec.unit) + under
    for threshold in spec.thresholds:
        y = frame.y(threshold.value)
        body.append(
            f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text class="threshold-label" x="{WIDTH - RIGHT - 4}" '
            f'y="{y - 4:.1f}" text-anchor="end">{esc(threshold.label)}</text>'
        )
    hover_series: list[dict[str, Any]] = []
    for series, (xs, ys) in zip(spec.series, plotted, strict=True):
        d = _path(frame, xs, ys, spec.step)
        dash = ' stroke-dasharray="6 4"' if series.dashed else ""
        if d:
            body.append(
                f'<path class="series" d="{d}" stroke="{esc(series.colour)}"{dash}>'
                f"<title>{esc(series.name)}</title></path>"
            )
        entry: dict[str, Any] = {
            "name": series.name,
            "colour": series.colour,
            "v": [None if v is None else round(v, 3) for v in ys],
        }
        if series.t is not None:
            entry["x"] = [round(x, 2) for x in xs]
        hover_series.append(entry)
    if not spec.has_data:
        body.append(_no_data(frame))
    body += over
    hover = {"unit": spec.unit, "x": _shared_x(t), "series": hover_series, **_geometry(frame)}
    return RenderedChart(spec.key, _svg(spec.key, spec.title, LINE_HEIGHT, body), hover)


def _geometry(frame: _Frame) -> dict[str, Any]:
    """What the hover script needs to turn a pointer position into a time."""
    return {
        "domain": [round(frame.lo, 3), round(frame.hi, 3)],
        "left": LEFT,
        "plot_w": frame.plot_w,
    }


def _shared_x(t: Sequence[float]) -> list[float]:
    return [round(t[a], 2) for a, _ in bucket_edges(len(t))]


def _no_data(frame: _Frame) -> str:
    return (
        f'<text class="no-data" x="{LEFT + frame.plot_w / 2:.1f}" '
        f'y="{TOP + frame.plot_h / 2:.1f}" text-anchor="middle">not measured in this run</text>'
    )


def _render_bands(
    spec: ChartSpec,
    t: Sequence[float],
    domain: tuple[float, float],
    windows: Sequence[Window],
    marks: Sequence[Mark],
) -> RenderedChart:
    height = TOP + BOTTOM + ROW_HEIGHT * len(spec.bands) + 8
    frame = _Frame(domain[0], domain[1], 1.0, height)
    body = _axes(frame, [], "")
    hover_rows: list[dict[str, Any]] = []
    for row, (name, band) in enumerate(spec.bands):
        own_t = band.t if band.t is not None else list(t)
        xs, labels = bucket_band(band, own_t) if own_t else ([], [])
        top = TOP + 4 + row * ROW_HEIGHT
        if name:
            body.append(
                f'<text class="tick" x="{LEFT - 6}" y="{top + ROW_HEIGHT / 2 + 3:.1f}" '
                f'text-anchor="end">{esc(name)}</text>'
            )
        start = 0
        for i in range(1, len(labels) + 1):
            if i < len(labels) and labels[i] == labels[start]:
                continue
            x0 = frame.x(xs[start])
            x1 = frame.x(xs[i]) if i < len(xs) else frame.x(own_t[-1])
            label = labels[start]
            body.append(
                f'<rect class="band" x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 0.5):.1f}" '
                f'height="{ROW_HEIGHT - 6}" fill="{esc(band.colours.get(label, "#6b7280"))}">'
                f"<title>{esc(label)}</title></rect>"
            )
            start = i
        entry: dict[str, Any] = {"name": name or "answer", "labels": labels}
        if band.t is not None:
            entry["x"] = [round(x, 2) for x in xs]
        hover_rows.append(entry)
    under, over = _overlays(frame, windows, marks, labelled=False)
    body = under + body + over
    hover = {"unit": "", "x": _shared_x(t), "series": [], "bands": hover_rows, **_geometry(frame)}
    return RenderedChart(spec.key, _svg(spec.key, spec.title, height, body), hover)


def legend(spec: ChartSpec) -> list[tuple[str, str, bool]]:
    """(name, colour, dashed) for the page's legend under the chart."""
    if spec.bands:
        seen: dict[str, str] = {}
        for _, band in spec.bands:
            for label in dict.fromkeys(band.labels):
                if label:
                    seen.setdefault(label, band.colours.get(label, "#6b7280"))
        return [(label, colour, False) for label, colour in seen.items()]
    return [(s.name, s.colour, s.dashed) for s in spec.series]
