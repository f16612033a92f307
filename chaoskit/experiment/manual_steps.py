"""A manual step of the method: a person confirms it (Enter on a terminal, ``done`` in a
game day's console), or an unattended run does what the person would have
(``automation.repair``), or it times out and the run goes on or fails. The end of the
input (Ctrl-D) is no confirmation: the step ends there as if its time were up."""

from __future__ import annotations

import select
import sys
from collections.abc import Callable

from chaoskit.experiment.model import ManualStep

__all__ = ["ManualStepFailed", "confirm_manual"]


class ManualStepFailed(Exception):
    """Not confirmed within its timeout, with ``on_timeout: fail``."""


def confirm_manual(
    manual: ManualStep,
    *,
    now: Callable[[], float],
    sleep_until: Callable[[float], None],
    echo: Callable[[str], None],
    interactive: bool,
    poll: Callable[[], bool] | None,
    unattended: Callable[[str], str],
) -> str:
    """The step's outcome: confirmed, automated, automated_unverified, skipped or
    timed_out_continued. ``sleep_until`` keeps the run's own work going while it waits."""
    echo(f"MANUAL STEP: {manual.prompt}")
    if manual.runbook:
        echo(manual.runbook.rstrip())
    deadline = now() + manual.timeout
    if manual.unattended is not None and poll is None and not interactive:
        return unattended(manual.unattended)
    if poll is not None or interactive:
        how = "type done" if poll is not None else "press Enter"
        echo(f"{how} when done (timeout {manual.timeout:g}s)")
        while now() < deadline:
            sleep_until(now() + 0.1)
            if poll is not None:
                if poll():
                    return "confirmed"
                continue
            ready, _, _ = select.select([sys.stdin], [], [], 0)
            if ready:
                if sys.stdin.readline():  # a line: Enter
                    return "confirmed"
                echo("the input ended (Ctrl-D): the step is not confirmed")
                break
    else:
        sleep_until(deadline)
    if manual.unattended is not None:
        return unattended(manual.unattended)
    if manual.on_timeout == "fail":
        raise ManualStepFailed(
            f"manual step not confirmed within {manual.timeout:g}s: {manual.prompt}"
        )
    return "timed_out_continued"
