"""``chaoskit.run_experiment``: one experiment run with every check ``chaoskit run`` makes.

The checks, in order, before anything is touched: the lab file and the experiment are read
and validated (every problem, exit 2); the ledger holds no fault a killed run left behind;
the lab is as it should be (no drift); every fault kind works on the lab's backend. Then the
run holds the lab lock (one run at a time, ``LabBusy`` otherwise) while it executes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from chaoskit._errors import InvalidInput
from chaoskit.experiment.durations import MAX_DURATION_S
from chaoskit.lab.backend import quiet
from chaoskit.paths import writable_directory

if TYPE_CHECKING:
    from chaoskit.experiment.events import RunEvent
    from chaoskit.experiment.model import Experiment, StopCondition
    from chaoskit.experiment.runner import RunResult
    from chaoskit.lab.backend import LabBackend
    from chaoskit.lab.config import LabConfig

__all__ = ["PROFILES", "check_backend", "checked_experiment", "lab_for_a_run", "run_experiment"]

PROFILES = ("naive", "resilient")


def run_experiment(
    path: str | Path,
    *,
    profile: str | None = None,
    out: str | Path = "reports",
    lab_file: str | Path | None = None,
    state_dir: str | Path | None = None,
    backend: str | None = None,
    fresh: bool = True,
    recovery_timeout_s: float | None = None,
    load_workers: int | None = None,
    echo: Callable[[str], None] = quiet,
    on_event: Callable[[RunEvent], None] | None = None,
    interactive: bool = False,
    variant: str | None = None,
    stop_conditions: Sequence[StopCondition] = (),
    manual_poll: Callable[[], bool] | None = None,
    abort_when: Callable[[], str | None] | None = None,
    trigger: str | None = None,
) -> RunResult:
    """Run the experiment at ``path`` against the lab in ``state_dir`` (default:
    ``CHAOSKIT_STATE_DIR``, else ``./.chaoskit``; the lab ``lab_file`` describes, found as
    every command finds it, when none is up). ``profile`` runs every service naive or
    resilient. The result says whether the hypothesis held; its ``exit_code`` is what
    ``chaoskit run`` exits with.

    ``on_event`` sees each of the run's events (``chaoskit.experiment.events``: phases,
    faults in and out, samples, probe results, a stop condition tripped, the end).
    ``variant`` runs one of the experiment's variants; ``stop_conditions`` are added to its
    own (a game day's); ``manual_poll`` confirms manual steps and ``abort_when`` ends the
    run with a reason (a game day's console); ``trigger`` says who started it, for history.
    A caller that already holds the lab lock in this thread (a suite, a game day) keeps it."""
    from chaoskit.experiment.runner import ExperimentRun, RunOptions
    from chaoskit.lab.lock import LabLock
    from chaoskit.lab.open import wanted_lab

    source = Path(path)
    directory, config = wanted_lab(lab_file, state_dir)
    experiment = checked_experiment(
        source, config, variant=variant, stop_conditions=stop_conditions, profile=profile,
        recovery_timeout_s=recovery_timeout_s, load_workers=load_workers, backend=backend,
    )  # fmt: skip
    out_dir = writable_directory(out, "out directory")
    # the lock before the lab is looked at: another run's faults are not drift to repair
    with LabLock(directory).held(f"chaoskit run {source}"):
        lab = lab_for_a_run(directory, backend or experiment.stack.backend, config, echo)
        check_backend(experiment, lab.backend, source)
        options = RunOptions(
            out_dir=out_dir, profile=profile, interactive=interactive, echo=echo,
            on_event=on_event, abort_when=abort_when, recovery_timeout_s=recovery_timeout_s,
            fresh_services=fresh, manual_poll=manual_poll,
        )  # fmt: skip
        if trigger is not None:
            options.trigger = trigger
        return ExperimentRun(experiment, source, lab, options).execute()


def checked_experiment(
    source: Path,
    config: LabConfig | None,
    *,
    variant: str | None = None,
    stop_conditions: Sequence[StopCondition] = (),
    profile: str | None = None,
    recovery_timeout_s: float | None = None,
    load_workers: int | None = None,
    backend: str | None = None,
) -> Experiment:
    """The experiment at ``source`` as a run would run it, with the run's options checked
    (InvalidInput, exit 2): what ``run_experiment`` runs and ``run --dry-run`` prints."""
    from chaoskit.experiment.load import load_experiment

    experiment = load_experiment(source, config, backend)
    if variant is not None:
        if variant not in experiment.variants:
            known = ", ".join(experiment.variants) or "none"
            raise InvalidInput(f"variant: {source} has no variant {variant!r} (it has: {known})")
        experiment = experiment.variant(variant)
    experiment.stop_conditions = [*experiment.stop_conditions, *stop_conditions]
    if profile is not None and profile not in PROFILES:
        raise InvalidInput(f"profile: expected naive or resilient, got {profile!r}")
    if recovery_timeout_s is not None and not 0 < recovery_timeout_s <= MAX_DURATION_S:
        raise InvalidInput(
            "recovery timeout: expected a positive number of seconds, at most 86400 (24h), "
            f"got {recovery_timeout_s:g}"
        )
    if load_workers is not None:
        if experiment.load is None:
            raise InvalidInput(f"load workers: {source} has no load section")
        experiment.load.workers = load_workers
    return experiment


def lab_for_a_run(
    state_dir: Path,
    backend: str = "any",
    config: LabConfig | None = None,
    echo: Callable[[str], None] = quiet,
) -> LabBackend:
    """The lab that is up (or a new one, described by ``config``, on ``backend``; ``any``
    means local), refusing (exit 2) while the ledger holds faults a killed run left behind
    that may still be in force (those past their expiry that the lab shows ended are
    cleared) or the lab has drifted from what it should be."""
    from chaoskit.experiment.drift import find_drift
    from chaoskit.experiment.ledger import describe_entry, held_by_the_run_in_progress
    from chaoskit.experiment.orphans import clear_or_refuse_orphans
    from chaoskit.lab.open import open_lab

    choice = "auto" if backend == "any" else backend
    lab = open_lab(state_dir, choice, auto_default="local", config=config, echo=echo)
    cleared = clear_or_refuse_orphans(
        lab, lambda entries: held_by_the_run_in_progress(state_dir, entries)
    )
    now = time.time()
    for entry in cleared:
        echo(f"cleared from the ledger, ended as the lab shows: {describe_entry(entry, now)}")
    found = find_drift(lab, []) if lab.state.components else []
    drift = [d for d in found if d.level != "absent"]  # the run's `up` starts what is absent
    if drift:
        listed = "; ".join(d.describe() for d in drift)
        raise InvalidInput(
            f"the lab is not as it should be: {listed}. Run `chaoskit recover` to repair it."
        )
    return lab


def check_backend(experiment: Experiment, backend: str, file: Path) -> None:
    """Every fault kind of the method must work on the lab's backend: nothing is injected
    before that is known."""
    from chaoskit.experiment.faults import REGISTRY

    unfit = sorted(
        {
            step.fault
            for step in experiment.method
            if step.fault and backend not in REGISTRY[step.fault].backends
        }
    )
    if unfit:
        raise InvalidInput(
            f"{file}: {', '.join(unfit)} cannot run on the {backend} backend this lab is up on"
        )
