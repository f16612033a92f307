"""The key chart as a PNG beside the Markdown summary (issue trackers and pull requests
show images, not SVG). Drawn with matplotlib's Agg backend and no timestamps in the file,
so the same run gives the same bytes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chaoskit.report.series import ChartSpec
from chaoskit.report.svg import Mark, Window, bucket

__all__ = ["write_png_chart"]


def write_png_chart(
    spec: ChartSpec,
    t: Sequence[float],
    windows: Sequence[Window],
    marks: Sequence[Mark],
    path: Path,
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 3.4), dpi=100)
    try:
        for i, window in enumerate(windows):
            axes.axvspan(window.start, window.end, color="#fecaca", alpha=0.55, lw=0,
                         label="fault" if i == 0 else None)  # fmt: skip
        for series in spec.series:
            xs, ys = bucket(series.t if series.t is not None else t, series.values, series.reduce)
            axes.plot(
                xs, [float("nan") if v is None else v for v in ys],
                color=series.colour, lw=1.4, ls="--" if series.dashed else "-", label=series.name,
                drawstyle="steps-post" if spec.step else "default",
            )  # fmt: skip
        for threshold in spec.thresholds:
            axes.axhline(threshold.value, color="#111827", lw=0.9, ls=":", label=threshold.label)
        for mark in marks:
            axes.axvline(mark.t, color=mark.colour, lw=1.2, ls="--", label=mark.label)
        axes.set_title(spec.title, loc="left", fontsize=11)
        axes.set_xlabel("seconds from the start of the method", fontsize=9)
        axes.set_ylabel(spec.unit, fontsize=9)
        axes.set_ylim(bottom=0)
        axes.grid(axis="y", color="#eef0f3")
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png", metadata={"Software": None})
    finally:
        plt.close(figure)
    return path
