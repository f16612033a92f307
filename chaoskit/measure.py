"""A probe sampled while a block runs, and the recovery metrics a run computes, from it.

``Lab.measure(probe)`` (and the pytest plugin's ``chaos.measure``) returns a
:class:`Measurement`: a thread calls the probe ``hz`` times a second, each call one sample
on the timeline (at the moment it was sent), and faults put in through the same lab are
marked on it. When the block ends, ``metrics`` holds the metrics of
``chaoskit.experiment.analysis`` (``time_to_impact_s``, ``time_to_recover_from_revert_s``,
``availability_during_fault``, ...), computed from those samples as a run computes them.
The faults reach it as the lab's ``FaultInjected`` and ``FaultReverted`` events, and
``write`` makes a run directory that ``chaoskit report`` reads, with the run's own report.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from chaoskit.experiment.analysis import compute_metrics
from chaoskit.experiment.durations import parse_duration
from chaoskit.experiment.events import FaultInjected, FaultReverted, RunEvents
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
        events: RunEvents | None = None,
        origin: float = 0.0,
    ) -> None:
        """``events``: the bus whose fault events are marked on the timeline, their ``t``
        counted from ``origin`` (a ``time.monotonic()``)."""
        if hz <= 0 or hz > 1000:
            raise ValueError(f"hz: between 0 and 1000 probes a second, got {hz}")
        if consecutive < 1:
            raise ValueError("consecutive: at least 1 good probe makes a recovery")
        self.probe, self.hz, self.consecutive = probe, hz, consecutive
        self._events, self._origin = events, origin
        self._unsubscribe: Callable[[], None] | None = None
        self.faults: list[dict[str, Any]] = []
        """Each fault marked: kind, target, params, injected_t, reverted_t, verified (run
        seconds of this measurement)."""
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
        if self._events is not None:
            self._unsubscribe = self._events.subscribe(self._on_fault, FaultInjected, FaultReverted)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._client is not None:
            self._client.close()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.metrics = self._compute()

    def mark(self, what: str, at: float, label: str) -> None:
        """A fault put in (``injected``) or taken out (``reverted``) at ``time.monotonic()``
        ``at``."""
        self.marks.append((what, round(at - self.t0, 4), label))

    def _on_fault(self, event: FaultInjected | FaultReverted) -> None:
        at = self._origin + event.t
        if isinstance(event, FaultInjected):
            self.mark("injected", at, event.label)
            self.faults.append({
                "step": len(self.faults), "kind": event.kind, "target": event.target,
                "params": event.params, "ledger_id": event.ledger_id,
                "injected_t": round(at - self.t0, 4), "reverted_t": None, "verified": None,
                "outcome": "injected",
            })  # fmt: skip
            return
        self.mark("reverted", at, event.label)
        for fault in self.faults:
            if fault["ledger_id"] == event.ledger_id and fault["reverted_t"] is None:
                fault.update(reverted_t=round(at - self.t0, 4), verified=event.verified,
                             outcome="reverted" if event.verified else "revert_unverified",
                             error=event.error)  # fmt: skip

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

    def write(self, directory: Path, title: str, source: str = "") -> Path:
        """A run directory in ``directory``: ``journal.json``, ``timeline.csv`` and the
        run's reports (``report.html`` and the rest, as ``chaoskit report`` renders them),
        with ``timeline.json`` beside them; the HTML report's path."""
        from chaoskit._text import slug
        from chaoskit.experiment.report_files import write_journal, write_timeline
        from chaoskit.report import load_run, render_run

        write_journal(directory, self.journal(slug(title), title, source or title))
        write_timeline(directory, self.samples)
        (directory / "timeline.json").write_text(json.dumps(self.timeline(), indent=1))
        render_run(load_run(directory))
        return directory / "report.html"

    def journal(self, run_id: str, title: str, source: str) -> dict[str, Any]:
        """The measurement as a run journal: one probe, the faults marked, its metrics."""
        probe = self.probe if isinstance(self.probe, str) else repr(self.probe)
        recovered = bool(self.metrics.get("recovered"))
        started = self.samples[0].wall if self.samples else time.time()
        return {
            "run_id": run_id, "source": source, "backend": "python",
            "experiment": {
                "title": title,
                "description": f"Measured from Python: probe {probe} at {self.hz:g} Hz.",
                "steady_state": {"slo": {"availability_target": AVAILABILITY_TARGET}},
                "recovery": {"consecutive_samples": self.consecutive},
            },
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "method_started_t": 0.0, "status": "completed",
            "verdict": "hypothesis held" if recovered else (
                "hypothesis not held: did not recover" if self.faults else "no fault put in"
            ),
            "phases": [{"phase": "measure", "t": 0.0}], "faults": self.faults,
            "metrics": self.metrics, "timeline": "timeline.csv",
        }  # fmt: skip
