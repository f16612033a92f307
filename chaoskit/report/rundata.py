"""A run directory read back: ``journal.json`` and ``timeline.csv`` as typed data.

Everything a report shows comes from here, so a report is a function of the run directory
alone. A directory that is not a run, or a file that does not parse, is ``InvalidInput``
naming the file, the line and what was expected.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaoskit._errors import InvalidInput
from chaoskit._input import InputInvalid, Problem, read_text
from chaoskit._yaml import bad_character, load_yaml, locate
from chaoskit.experiment.report_files import JOURNAL, TIMELINE
from chaoskit.experiment.run_journal import EVENTS_LOG

__all__ = ["FaultWindow", "Journal", "RunData", "Timeline", "load_run"]

_NUMERIC = (
    "t", "wall", "requests", "ok", "window_requests", "error_rate", "rps",
    "p50_ms", "p95_ms", "p99_ms", "active_faults",
)  # fmt: skip


TIMELINE_MAX_BYTES = 64 * 1024 * 1024
"""About eleven hours of samples at 10 Hz: a timeline is chaoskit's own output, and long."""


CELL_MAX = 1e15
"""Bound of a timeline's numbers: far above any count or rate a run records, and low
enough that the charts' sums and rates of them stay finite."""
RUN_SECONDS_MAX = 1e7
"""Bound of a time in run seconds (about 116 days): the charts' axes cannot span more."""
RunSeconds = Annotated[float, Field(ge=-RUN_SECONDS_MAX, le=RUN_SECONDS_MAX)]


OVERSTAY_NOTED_S = 0.5
"""A revert this late after its fault's planned end is named in the report (one on time
comes within milliseconds of it)."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class FaultWindow(_Loose):
    step: int
    name: str | None = None
    kind: str
    target: str | None = None
    params: dict[str, Any] = {}
    injected_t: RunSeconds | None = None
    revert_due_t: RunSeconds | None = None
    reverted_t: RunSeconds | None = None
    verified: bool | None = None
    outcome: str
    error: str | None = None

    @property
    def label(self) -> str:
        where = f" on {self.target}" if self.target else ""
        return f"{self.name or self.kind}: {self.kind}{where}"

    @property
    def overstay_s(self) -> float:
        """How long past its planned end the fault was reverted; 0 when on time or early
        (a rollback, a stop condition, an interrupted run)."""
        if self.reverted_t is None or self.revert_due_t is None:
            return 0.0
        return max(0.0, self.reverted_t - self.revert_due_t)

    @property
    def overstayed(self) -> str:
        """``, 3.3 s past its planned end`` when it was reverted late enough to matter to
        what was measured (a carrier held down, a slow component); else empty."""
        late = self.overstay_s
        return f", {late:.1f} s past its planned end" if late >= OVERSTAY_NOTED_S else ""


class StepRecord(_Loose):
    index: int
    name: str | None = None
    action: str
    label: str
    planned_start_s: RunSeconds
    started_t: RunSeconds | None = None
    ended_t: RunSeconds | None = None
    outcome: str
    detail: str = ""


class StageRecord(_Loose):
    """One of the experiment's ``stages`` as the run went (run seconds)."""

    name: str
    started_t: RunSeconds
    recovered_t: RunSeconds | None = None
    took_s: RunSeconds
    recovered: bool
    outage_s: float = 0.0

    def ending(self, last: bool) -> str:
        if self.recovered:
            return "recovered"
        return "not recovered" if last else "not recovered when the next stage began"


class ProbeRecord(_Loose):
    name: str
    phase: str
    t: RunSeconds
    ok: bool
    detail: str = ""


class _Slo(_Loose):
    error_rate_below: float = Field(default=0.01, ge=0, le=1)
    p95_below_ms: float | None = Field(default=None, gt=0, le=CELL_MAX)


class _SteadyState(_Loose):
    slo: _Slo = _Slo()


class _Stack(_Loose):
    profile: str = "unknown"


class _Step(_Loose):
    fault: str | None = None
    target: str | None = None


class _Recovery(_Loose):
    timeout: float | None = None


class _ExperimentRead(_Loose):
    title: str | int | float | None = None
    stack: _Stack = _Stack()
    steady_state: _SteadyState = _SteadyState()
    method: list[_Step] = []
    recovery: _Recovery = _Recovery()


class _Versions(_Loose):
    components: dict[str, Any] = {}


class _ReportReads(_Loose):
    """What the reports read from the journal's free-form parts (``experiment``,
    ``versions``), typed: checked, so a damaged journal is a located problem, not a
    traceback; the reports then read the journal's own dictionaries."""

    experiment: _ExperimentRead
    versions: _Versions = _Versions()


class Journal(_Loose):
    run_id: str
    source: str
    experiment: dict[str, Any]
    backend: str
    host: str = "localhost"
    profiles: dict[str, dict[str, Any]] = {}
    versions: dict[str, Any] = {}
    started_at: str
    method_started_t: RunSeconds | None = None
    status: str
    verdict: str
    steps: list[StepRecord] = []
    faults: list[FaultWindow] = []
    probes: list[ProbeRecord] = []
    metrics: dict[str, Any] = {}
    stages: list[StageRecord] = []

    @property
    def title(self) -> str:
        return str(self.experiment.get("title", self.run_id))

    @property
    def held(self) -> bool:
        return self.status == "completed" and self.verdict == "hypothesis held"

    @property
    def profile(self) -> str:
        """One word when every service ran the same profile, else ``name=profile, ...``."""
        chosen = {n: str(p.get("profile", "?")) for n, p in sorted(self.profiles.items())}
        if not chosen:
            return str(self.experiment.get("stack", {}).get("profile", "unknown"))
        overridden = any(p.get("overrides") for p in self.profiles.values())
        kinds = set(chosen.values())
        if len(kinds) == 1 and not overridden:
            return kinds.pop()
        return ", ".join(f"{n}={p}" for n, p in chosen.items()) + (
            " (with overrides)" if overridden else ""
        )


@dataclass
class Timeline:
    """The samples by column: numbers (``None`` where blank), plus the text columns."""

    t: list[float] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    dns_answer: list[str] = field(default_factory=list)
    good: list[bool] = field(default_factory=list)
    failures: list[dict[str, int]] = field(default_factory=list)
    numbers: dict[str, list[float | None]] = field(default_factory=dict)
    services: dict[str, list[float | None]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)

    def column(self, name: str) -> list[float | None]:
        return self.numbers.get(name) or self.services.get(name) or [None] * len(self.t)

    @property
    def sample_period(self) -> float:
        if len(self.t) < 2:
            return 0.1
        return (self.t[-1] - self.t[0]) / (len(self.t) - 1)


@dataclass
class RunData:
    path: Path
    journal: Journal
    timeline: Timeline

    @property
    def origin(self) -> float:
        """Time zero of the report's axes: the start of the method (run seconds)."""
        if self.journal.method_started_t is not None:
            return self.journal.method_started_t
        return self.timeline.t[0] if self.timeline.t else 0.0


def _last_event(events_log: Path) -> dict[str, Any] | None:
    """The last event ``events.jsonl`` holds (read from its end: the file may be long)."""
    try:
        with events_log.open("rb") as log:
            log.seek(max(0, log.seek(0, 2) - 65536))
            last = log.read().splitlines()[-1:]
        found = json.loads(last[0]) if last else None
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def load_run(path: Path) -> RunData:
    if not path.is_dir():
        raise InvalidInput(f"{path}: not a run directory (expected a directory from chaoskit run)")
    journal_path = path / JOURNAL
    errored = _last_event(path / EVENTS_LOG) if not journal_path.is_file() else None
    if errored is not None and errored.get("event") == "RunErrored":
        raise InvalidInput(
            f"{path}: the run stopped on an error before its end, so there is no report: "
            f"{errored.get('error')}; it reverted its faults first, and what it did until "
            f"then is in {path / EVENTS_LOG}"
        )
    if not journal_path.is_file() and (path / EVENTS_LOG).is_file():
        raise InvalidInput(
            f"{path}: the run did not finish (its controller was killed or crashed before it "
            f"wrote {JOURNAL}), so there is no report; what it did until then is in "
            f"{path / EVENTS_LOG}, and the lab's watchdog ends any fault it left at the "
            "fault's expiry (`chaoskit recover` at once)"
        )
    if not journal_path.is_file() and (path / "gameday.json").is_file():
        raise InvalidInput(
            f"{path}: a game day's directory, not a run's: its report is "
            f"{path / 'gameday.html'} (and gameday.md), written when the game day ended; "
            "gameday.json names the run directory of each experiment it ran, which "
            "`chaoskit report` renders"
        )
    if not journal_path.is_file():
        found = "not a file" if journal_path.exists() else "missing"
        raise InvalidInput(f"{journal_path}: {found}; {path} is not a chaoskit run directory")
    journal = _read_journal(journal_path)
    timeline_path = path / TIMELINE
    timeline = _read_timeline(timeline_path) if timeline_path.is_file() else Timeline()
    if journal.status == "completed" and not timeline.t:
        raise InvalidInput(
            f"{timeline_path}: no samples, yet the journal says the run completed "
            f"({journal.verdict!r}); a completed run always records samples: the run "
            "directory is damaged"
        )
    return RunData(path, journal, timeline)


def _read_journal(path: Path) -> Journal:
    text = read_text(path)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InvalidInput(f"{path}:1:1: (file): JSON nested too deeply") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}:1:1: (file): expected a JSON object (a run journal)")
    for loc, message in [*_bad_values(raw, ()), *_bad_metrics(raw.get("metrics"))]:
        raise _located(path, text, loc, message)
    try:
        journal = Journal.model_validate(raw)
        _ReportReads.model_validate(raw)
    except ValidationError as exc:
        problems = [
            _located(path, text, tuple(e["loc"]), e["msg"]).problems[0] for e in exc.errors()
        ]
        raise InputInvalid(problems) from None
    return journal


def _bad_metrics(metrics: object) -> Iterator[tuple[tuple[int | str, ...], str]]:
    """Metrics the reports cannot show: a headline metric that is not a number (or null),
    ``recovered`` that is not true or false, any metric that is not a single value."""
    if not isinstance(metrics, dict):
        return  # the Journal model names it
    from chaoskit.report.definitions import HEADLINE

    numeric = {m.key for m in HEADLINE}
    for key, value in metrics.items():
        loc = ("metrics", key)
        if key in numeric and (isinstance(value, bool) or not isinstance(value, int | float)):
            if value is not None:
                yield loc, f"expected a number or null, got {json.dumps(value)[:40]}"
        elif key == "recovered" and not isinstance(value, bool | None):
            yield loc, f"expected true, false or null, got {json.dumps(value)[:40]}"
        elif isinstance(value, dict | list):
            yield loc, f"expected a number, text, true, false or null, got {json.dumps(value)[:40]}"


def _bad_values(
    value: Any, loc: tuple[int | str, ...]
) -> Iterator[tuple[tuple[int | str, ...], str]]:
    """Numbers that are not finite and text that is not text (control characters, lone
    surrogates), anywhere in the journal."""
    if isinstance(value, float) and not math.isfinite(value):
        yield loc, f"expected a finite number, got {value}"
    elif isinstance(value, str):
        bad = bad_character(value)
        if bad:
            yield loc, bad
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _bad_values(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _bad_values(item, (*loc, i))


def _located(path: Path, text: str, loc: tuple[int | str, ...], message: str) -> InputInvalid:
    """The problem at ``loc``'s line (the JSON read again, as YAML, for its positions)."""
    try:
        line, col = locate(load_yaml(text, str(path)), loc)
    except InvalidInput:
        line, col = 1, 1
    name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return InputInvalid([Problem(str(path), line, col, name or "(file)", message)])


def _read_timeline(path: Path) -> Timeline:
    """The samples, read row by row into columns: numbers converted (and checked) as they
    come, text shared between rows, so memory stays a small multiple of the file."""
    timeline = Timeline()
    reader = csv.reader(read_text(path, TIMELINE_MAX_BYTES).splitlines(keepends=True))
    try:
        header = next(reader, None)
        if header is None:
            return timeline
        if "t" not in header:
            raise InvalidInput(f"{path}:1: expected a header row with a 't' column")
        numeric = [c in _NUMERIC or c.startswith("svc_") for c in header]
        columns: list[list[Any]] = [[] for _ in header]
        shared: dict[str, str] = {}
        for row in reader:
            if len(row) != len(header):
                raise InvalidInput(
                    f"{path}:{reader.line_num}: expected {len(header)} fields, found {len(row)}"
                )
            for i, cell in enumerate(row):
                if numeric[i]:
                    columns[i].append(_number(cell, path, reader.line_num, header[i]))
                else:
                    columns[i].append(shared.setdefault(cell, cell))
    except csv.Error as exc:
        raise InvalidInput(f"{path}:{reader.line_num}: not CSV: {exc}") from None
    by_name = dict(zip(header, columns, strict=True))
    times = by_name["t"]
    missing = next((i for i, t in enumerate(times) if t is None), None)
    if missing is not None:
        raise InvalidInput(f"{path}:{missing + 2}: column t: expected a number, found nothing")
    beyond = next((i for i, t in enumerate(times) if abs(t) > RUN_SECONDS_MAX), None)
    if beyond is not None:
        raise InvalidInput(
            f"{path}:{beyond + 2}: column t: expected run seconds, at most {RUN_SECONDS_MAX:g}, "
            f"got {times[beyond]:g}"
        )
    timeline.t = times
    timeline.numbers = {c: by_name[c] for c in _NUMERIC if c in by_name and c != "t"}
    timeline.services = {c.removeprefix("svc_"): by_name[c] for c in header if c.startswith("svc_")}
    blank = [""] * len(times)
    timeline.phase = by_name.get("phase", blank)
    timeline.dns_answer = by_name.get("dns_answer", blank)
    timeline.good = [g == "True" for g in by_name.get("good", blank)]
    timeline.failures = [
        _failures(cell, path, line) for line, cell in enumerate(by_name.get("failures", blank), 2)
    ]
    return timeline


def _number(cell: str, path: Path, line: int, column: str) -> float | None:
    """A cell as a finite number (blank: ``None``); anything else names its line."""
    if not cell:
        return None
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput(
            f"{path}:{line}: column {column}: expected a finite number, got {cell!r}"
        )
    if abs(value) > CELL_MAX:
        raise InvalidInput(
            f"{path}:{line}: column {column}: expected a number of at most {CELL_MAX:g} "
            f"either side of zero, got {cell[:40]!r}"
        )
    return value


def _failures(cell: str, path: Path, line: int) -> dict[str, int]:
    if cell in ("", "{}"):
        return {}
    try:
        parsed = json.loads(cell)
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise InvalidInput(
            f"{path}:{line}: column failures: expected a JSON object of kind to count"
        )
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in parsed.values()):
        raise InvalidInput(f"{path}:{line}: column failures: expected whole counts, got {cell!r}")
    return {str(k): v for k, v in parsed.items()}
