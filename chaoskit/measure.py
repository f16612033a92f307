"""A probe sampled while a block runs, and the recovery metrics a run computes, from it.

``Lab.measure(probe)`` (and the pytest plugin's ``chaos.measure``) returns a
:class:`Measurement`: a thread calls the probe ``hz`` times a second, each call one sample
on the timeline (at the moment it was sent), and faults put in through the same lab are
marked on it. When the block ends, ``metrics`` holds the metrics of
``chaoskit.experiment.analysis`` (``time_to_impact_s``, ``time_to_recover_from_revert_s``,
``availability_during_fault``, ...), computed from those samples as a run computes them.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from chaoskit.experiment.analysis import compute_metrics
from chaoskit.experiment.durations import parse_duration
from chaoskit.experiment.recorder import Sample

__all__ = ["Measurement", "Probe"]

Probe = str | Callable[[], object]
"""A URL (a 2xx or 3xx answer is success) or a callable (truthy and no exception)."""
AVAILABILITY_TARGET = 0.999


class Measurement:
    """A timeline of one probe while a ``with`` block runs."""

    def __init__(
        self,
        probe: Probe,
        hz: float = 20.0,
        consecutive: int = 3,
        on_open: Callable[[Measurement, bool], None] | None = None,
    ) -> None:
        if hz <= 0 or hz > 1000:
            raise ValueError(f"hz: between 0 and 1000 probes a second, got {hz}")
        if consecutive < 1:
            raise ValueError("consecutive: at least 1 good probe makes a recovery")
        self.probe, self.hz, self.consecutive = probe, hz, consecutive
        self._on_open = on_open
        self.samples: list[Sample] = []
        self.marks: list[tuple[str, float, str]] = []
        """(``injected`` or ``reverted``, seconds since the start, what)."""
        self.metrics: dict[str, Any] = {}
        self.t0 = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None

    # ---- the block ----------------------------------------------------------------------------
    def __enter__(self) -> Measurement:
        self.t0 = time.monotonic()
        if isinstance(self.probe, str):
            self._client = httpx.Client(timeout=max(0.5, 2.0 / self.hz))
        self._thread = threading.Thread(target=self._sample, name="chaoskit-measure", daemon=True)
        if self._on_open is not None:
            self._on_open(self, True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._client is not None:
            self._client.close()
        if self._on_open is not None:
            self._on_open(self, False)
        self.metrics = self._compute()

    def mark(self, what: str, at: float, label: str) -> None:
        """A fault put in (``injected``) or taken out (``reverted``) at ``time.monotonic()``
        ``at``."""
        self.marks.append((what, round(at - self.t0, 4), label))

    def _sample(self) -> None:
        period = 1.0 / self.hz
        due = time.monotonic()
        while not self._stop.is_set():
            sent = time.monotonic()
            ok, kind = self._call()
            elapsed_ms = (time.monotonic() - sent) * 1000
            active = sum(1 for m in self.marks if m[0] == "injected") - sum(
                1 for m in self.marks if m[0] == "reverted"
            )
            self.samples.append(Sample(
                t=round(sent - self.t0, 4), wall=time.time(), phase="measure", requests=1,
                ok=int(ok), failures={} if ok else {kind: 1}, window_requests=1,
                error_rate=0.0 if ok else 1.0, rps=self.hz, p50_ms=round(elapsed_ms, 2),
                p95_ms=round(elapsed_ms, 2), p99_ms=round(elapsed_ms, 2), dns_answer="",
                active_faults=active, good=ok,
            ))  # fmt: skip
            due = max(due + period, time.monotonic())
            self._stop.wait(max(0.0, due - time.monotonic()))

    def _call(self) -> tuple[bool, str]:
        try:
            if self._client is not None:
                assert isinstance(self.probe, str)
                status = self._client.get(self.probe).status_code
                return status < 400, f"http_{status}"
            assert callable(self.probe)
            return bool(self.probe()), "false"
        except Exception as exc:  # a probe that raises is a failed probe
            return False, type(exc).__name__

    # ---- results --------------------------------------------------------------------------------
    def _compute(self) -> dict[str, Any]:
        injections = [at for what, at, _ in self.marks if what == "injected"]
        reverts = [at for what, at, _ in self.marks if what == "reverted"]
        metrics = compute_metrics(
            self.samples, injections, reverts, [], self.consecutive, AVAILABILITY_TARGET
        )
        keep = ("samples", "sample_hz", "client_requests", "client_failures", "time_to_impact_s",
                "recovered", "time_to_recover_from_revert_s", "time_to_recover_from_injection_s",
                "outage_s", "availability_during_fault")  # fmt: skip
        found = {key: metrics[key] for key in keep if key in metrics}
        found["faults_injected"] = len(injections)
        return found

    def assert_recovered(self, within: str | float = "5s") -> None:
        """AssertionError, saying what the probe saw, unless it recovered within ``within``
        of the last revert (``consecutive`` good probes in a row)."""
        limit = parse_duration(within)
        if not self.metrics:
            raise AssertionError("the measurement has not ended: call this after its block")
        if not self.metrics.get("faults_injected"):
            raise AssertionError("no fault was put in while measuring: nothing to recover from")
        took = self.metrics.get("time_to_recover_from_revert_s")
        if self.metrics.get("recovered") and took is not None and took <= limit:
            return
        last_revert = max(at for what, at, _ in self.marks if what == "reverted")
        after = [s for s in self.samples if s.t >= last_revert]
        failed_after = [s for s in after if not s.good]
        seen = f"{len(failed_after)} of {len(after)} probes failed after the revert" + (
            f", the last {failed_after[-1].t - last_revert:.2f}s after it" if failed_after else ""
        )
        if took is not None:
            raise AssertionError(f"recovered {took:.2f}s after the revert, not within "
                                 f"{limit:g}s ({seen})")  # fmt: skip
        end = self.samples[-1].t - last_revert if self.samples else 0.0
        raise AssertionError(
            f"did not recover: no {self.consecutive} good probes in a row in the {end:.2f}s "
            f"measured after the revert ({seen})"
        )

    def timeline(self) -> dict[str, Any]:
        """Samples, marks and metrics, as ``write`` saves them."""
        return {
            "probe": self.probe if isinstance(self.probe, str) else repr(self.probe),
            "hz": self.hz,
            "marks": [{"event": w, "t": t, "fault": label} for w, t, label in self.marks],
            "samples": [
                {"t": s.t, "ok": s.good, "ms": s.p50_ms, "failure": next(iter(s.failures), None)}
                for s in self.samples
            ],
            "metrics": self.metrics,
        }

    def write(self, directory: Path, title: str) -> Path:
        """``timeline.json`` and ``report.html`` in ``directory``; the report's path."""
        directory.mkdir(parents=True, exist_ok=True)
        data = self.timeline()
        (directory / "timeline.json").write_text(json.dumps(data, indent=1))
        report = directory / "report.html"
        report.write_text(_html(title, data))
        return report


def _html(title: str, data: dict[str, Any]) -> str:
    """A self-contained page: the metrics, and the probe's latency with failures and the
    fault's span marked."""
    samples, marks = data["samples"], data["marks"]
    width, height = 900, 220
    end = float(max([s["t"] for s in samples] + [m["t"] for m in marks] + [1.0]))
    top = float(max([s["ms"] or 0 for s in samples] + [1.0]))

    def x(t: float) -> float:
        return round(40 + (width - 50) * t / end, 1)

    def y(ms: float) -> float:
        return round(height - 30 - (height - 50) * ms / top, 1)

    spans, opened = [], None
    for mark in marks:
        if mark["event"] == "injected":
            opened = mark["t"]
        elif opened is not None:
            spans.append((opened, mark["t"]))
            opened = None
    if opened is not None:
        spans.append((opened, end))
    shapes = [
        f'<rect x="{x(a)}" y="10" width="{max(1.0, x(b) - x(a))}" height="{height - 40}" '
        'fill="#f4c7c3"><title>fault in force</title></rect>'
        for a, b in spans
    ]
    line = " ".join(f"{x(s['t'])},{y(s['ms'] or 0)}" for s in samples if s["ok"])
    shapes.append(f'<polyline points="{line}" fill="none" stroke="#1f77b4" stroke-width="1"/>')
    shapes += [
        f'<circle cx="{x(s["t"])}" cy="{height - 22}" r="2" fill="#d62728">'
        f"<title>{html.escape(str(s['failure']))} at {s['t']}s</title></circle>"
        for s in samples if not s["ok"]
    ]  # fmt: skip
    shapes.append(f'<text x="40" y="{height - 4}" font-size="11">0 s</text>'
                  f'<text x="{width - 60}" y="{height - 4}" font-size="11">{end:.1f} s</text>'
                  f'<text x="2" y="20" font-size="11">{top:.0f} ms</text>')  # fmt: skip
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in data["metrics"].items()
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Probe: <code>{html.escape(str(data['probe']))}</code>"
        f" at {data['hz']:g} Hz. Shaded: fault in force; line: latency of good probes; red: "
        f"failed probes.</p><svg width='{width}' height='{height}' role='img'>"
        + "".join(shapes)
        + f"</svg><table>{rows}</table></body></html>\n"
    )
