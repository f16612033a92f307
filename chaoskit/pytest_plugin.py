"""chaoskit in a team's own pytest tests: faults with cleanup guaranteed.

Registered under the ``pytest11`` entry point as ``chaoskit``, so installing chaoskit
enables it (``-p no:chaoskit`` turns it off). It imports nothing heavy until a test asks
for a fixture, so a test that uses no faults pays only for the marker check.

- ``chaos_lab`` (session): the lab (``--chaoskit-lab FILE``, else ``chaoskit.yaml`` in the
  rootdir, else ``CHAOSKIT_LAB`` / ``./chaoskit.yaml`` / the sample stack), brought up once
  or the one already up; stopped at the end if this session started it and no other test
  process still uses it (``--chaoskit-keep`` leaves it up).
- ``chaos`` (function): ``chaos.fault(kind, target, duration=..., **params)`` (a context
  manager, see ``chaoskit.Lab.fault``), ``chaos.url(service)``, ``chaos.endpoint(name)``,
  ``chaos.measure(probe, hz=20)``, ``chaos.run(experiment, profile=...)`` (a whole run,
  through ``chaoskit.run_experiment``, on the session's lab).
- ``@pytest.mark.chaos(fault=..., target=..., duration=..., **params)``: the whole test under
  that fault (marked more than once: under each).

A test that used faults gets JUnit ``<property>`` elements (``chaoskit.faults`` and each
measurement's metrics) and, under ``--chaoskit-report DIR``, its timelines and HTML reports.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from chaoskit.api import ActiveFault, Lab, LabEndpoint
    from chaoskit.experiment.events import FaultInjected, FaultReverted
    from chaoskit.experiment.run_result import RunResult
    from chaoskit.measure import Measurement, Probe

__all__ = ["Chaos"]

MARKER = "chaos"
RUN_METRICS = ("time_to_impact_s", "time_to_recover_from_revert_s", "availability_during_fault",
               "retry_amplification")  # fmt: skip


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaoskit", "chaoskit: faults in your own tests")
    group.addoption("--chaoskit-lab", metavar="FILE", default=None,
                    help="the lab file (default: chaoskit.yaml in the rootdir, else the "
                    "sample stack)")  # fmt: skip
    group.addoption("--chaoskit-keep", action="store_true", default=False,
                    help="leave the lab up at the end of the session")  # fmt: skip
    group.addoption("--chaoskit-report", metavar="DIR", default=None,
                    help="each faulted test's timeline and HTML report, under DIR")  # fmt: skip
    group.addoption("--chaoskit-state-dir", metavar="DIR", default=None,
                    help="the lab's state directory (default: CHAOSKIT_STATE_DIR, else "
                    "./.chaoskit)")  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fault, target, duration=None, **params): run the whole test under that "
        "chaoskit fault (reverted and verified afterwards)",
    )
    _check_options(config)


def _check_options(config: pytest.Config) -> None:
    """A lab file or state directory that cannot be used is a usage error before any test
    runs, not an error in the setup of every test that asks for the lab; so is an empty one
    (an unset variable: ``--chaoskit-state-dir=""`` was the default, ``--chaoskit-lab=""`` the
    working directory)."""
    for option, expected in (("state_dir", "a directory"), ("lab", "a lab file")):
        if config.getoption(f"chaoskit_{option}", None) == "":
            name = "--chaoskit-" + option.replace("_", "-")
            raise pytest.UsageError(
                f"{name}: expected {expected}, got an empty string (an unset variable?)"
            )
    state_dir = config.getoption("chaoskit_state_dir", None)
    if state_dir is not None:
        from chaoskit.paths import directory_problem

        problem = directory_problem(Path(state_dir).resolve())
        if problem:
            raise pytest.UsageError(f"--chaoskit-state-dir {state_dir}: {problem}")
    lab_file = config.getoption("chaoskit_lab", None)
    if lab_file is not None:
        from chaoskit._input import InputInvalid
        from chaoskit.lab.labfile import lab_config_from_file

        try:
            lab_config_from_file(Path(lab_file))
        except InputInvalid as exc:
            lines = "\n".join(str(problem) for problem in exc.problems)
            raise pytest.UsageError(f"--chaoskit-lab {lab_file}:\n{lines}") from None


class Chaos:
    """What the ``chaos`` fixture gives a test; everything it put in is taken out after."""

    def __init__(self, lab: Lab, runs_dir: Path | None = None) -> None:
        from chaoskit.experiment.events import FaultInjected, FaultReverted

        self.lab = lab
        self.runs_dir = runs_dir or lab.state_dir / "pytest-runs"
        self.faults: list[ActiveFault] = []
        self.measurements: list[Measurement] = []
        self.runs: list[RunResult] = []
        self.fault_events: list[FaultInjected | FaultReverted] = []
        """What the lab's events said of this test's faults, in order."""
        self.stop_listening = lab.events.subscribe(
            self.fault_events.append, FaultInjected, FaultReverted
        )

    def fault(
        self, kind: str, target: str, duration: str | float | None = None, **params: Any
    ) -> ActiveFault:
        found = self.lab.fault(kind, target, duration, **params)
        self.faults.append(found)
        return found

    def url(self, service: str) -> str:
        return self.lab.url(service)

    def endpoint(self, name: str) -> LabEndpoint:
        return self.lab.endpoint(name)

    def measure(self, probe: Probe, hz: float = 20.0, consecutive: int = 3) -> Measurement:
        found = self.lab.measure(probe, hz=hz, consecutive=consecutive)
        self.measurements.append(found)
        return found

    def run(self, experiment: str | Path, profile: str | None = None, **options: Any) -> RunResult:
        """The experiment run on this session's lab, with every check ``chaoskit run``
        makes (``chaoskit.run_experiment``; ``options`` are its keywords). Its run directory
        goes under ``--chaoskit-report DIR`` (else the state directory's ``pytest-runs``)."""
        from chaoskit.runs import run_experiment

        options.setdefault("out", self.runs_dir)
        options.setdefault("lab_file", self.lab.config.lab_file)
        result = run_experiment(experiment, profile=profile, state_dir=self.lab.state_dir,
                                **options)  # fmt: skip
        self.runs.append(result)
        return result

    def cleanup(self) -> list[str]:
        """Take out any fault still in (one entered by hand and never left); what failed."""
        problems = []
        for fault in self.faults:
            if fault.entry is not None and not fault.revert(raising=False):
                problems.append(f"{fault.kind} on {fault.target}")
        return problems

    def injected(self) -> list[FaultInjected]:
        from chaoskit.experiment.events import FaultInjected

        return [e for e in self.fault_events if isinstance(e, FaultInjected)]

    def properties(self) -> list[tuple[str, object]]:
        """The JUnit properties of the test: each run's outcome and headline metrics, its
        faults and each measurement's metrics."""
        found: list[tuple[str, object]] = []
        for i, result in enumerate(self.runs, start=1):
            prefix = "chaoskit.run." if len(self.runs) == 1 else f"chaoskit.run{i}."
            found += [(prefix + "status", result.status), (prefix + "held", result.held),
                      (prefix + "run_dir", str(result.run_dir))]  # fmt: skip
            found += [(prefix + key, result.metrics[key]) for key in RUN_METRICS
                      if key in result.metrics]  # fmt: skip
        used = self.injected()
        if not used:
            return found
        found.append(("chaoskit.faults", "; ".join(e.label for e in used)))
        for i, measurement in enumerate(self.measurements, start=1):
            prefix = "chaoskit." if len(self.measurements) == 1 else f"chaoskit.m{i}."
            found += [(prefix + key, value) for key, value in measurement.metrics.items()]
        return found


@pytest.fixture(scope="session")
def chaos_lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The lab, up for the whole session."""
    from chaoskit.api import Lab

    config = request.config
    lab_file = config.getoption("chaoskit_lab")
    if lab_file is None:
        from chaoskit.paths import find_lab_file

        in_rootdir = find_lab_file(None, config.rootpath)
        lab_file = None if in_rootdir is None else str(in_rootdir)
    lab = Lab.open(lab_file, state_dir=config.getoption("chaoskit_state_dir"))
    try:
        yield lab
    finally:
        lab.close(keep=config.getoption("chaoskit_keep"))


@pytest.fixture
def chaos(chaos_lab: Lab, request: pytest.FixtureRequest) -> Iterator[Chaos]:
    """Faults, addresses, measurements and runs for one test."""
    report_dir = request.config.getoption("chaoskit_report")
    runs_dir = _test_dir(Path(report_dir), request.node.nodeid) / "runs" if report_dir else None
    found = Chaos(chaos_lab, runs_dir)
    try:
        yield found
    finally:
        left = found.cleanup()
        found.stop_listening()
        request.node.user_properties.extend(found.properties())
        if report_dir is not None:
            _write_reports(Path(report_dir), request.node.nodeid, found)
        if left:
            pytest.fail(f"chaoskit could not verify the revert of {', '.join(left)}; run "
                        "`chaoskit recover`", pytrace=False)  # fmt: skip


@pytest.fixture(autouse=True)
def _chaoskit_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """``@pytest.mark.chaos``: the test runs inside that fault; marked more than once (on
    the test, its class, its module), inside every one of them, each checked before any is
    put in, and put in in the reverse of the order they are reverted in (a pause of the DNS
    server after a DNS fault, so that it ends before that fault's revert needs the server)."""
    faults = [_marked_fault(marker) for marker in request.node.iter_markers(MARKER)]
    if not faults:
        yield
        return
    from chaoskit.experiment.faults import in_revert_order

    chaos_fixture: Chaos = request.getfixturevalue("chaos")
    checked = [chaos_fixture.fault(k, target, d, **params) for k, target, d, params in faults]
    reverted_in_order = in_revert_order(checked)
    with contextlib.ExitStack() as stack:  # put in in reverse, so taken out in that order
        for fault in reversed(reverted_in_order):
            stack.enter_context(fault)
        yield


def _marked_fault(marker: pytest.Mark) -> tuple[str, str, Any, dict[str, Any]]:
    """The fault one ``@pytest.mark.chaos`` asks for: kind, target, duration, params."""
    kwargs = dict(marker.kwargs)
    args = list(marker.args)
    kind = kwargs.pop("fault", args[0] if args else None)
    target = kwargs.pop("target", args[1] if len(args) > 1 else None)
    duration = kwargs.pop("duration", args[2] if len(args) > 2 else None)
    if not kind or not target:
        pytest.fail("@pytest.mark.chaos needs fault= and target=, e.g. "
                    "@pytest.mark.chaos(fault='dns.blank', target='redis.lab.test')",
                    pytrace=False)  # fmt: skip
    return kind, target, duration, kwargs


def _write_reports(root: Path, nodeid: str, found: Chaos) -> None:
    from chaoskit.experiment.events import event_json

    used = found.injected()
    if not used:
        return
    directory = _test_dir(root, nodeid)
    directory.mkdir(parents=True, exist_ok=True)
    record = {"test": nodeid, "faults": [event_json(e) for e in found.fault_events]}
    (directory / "faults.json").write_text(json.dumps(record, indent=1, default=str))
    for i, measurement in enumerate(found.measurements, start=1):
        where = directory if len(found.measurements) == 1 else directory / f"m{i}"
        measurement.write(where, f"{nodeid}: {used[0].label}", source=nodeid)


def _test_dir(root: Path, nodeid: str) -> Path:
    return root / re.sub(r"[^A-Za-z0-9._-]+", "_", nodeid).strip("_")
