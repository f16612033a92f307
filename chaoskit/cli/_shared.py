"""What the commands that run things against a lab share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from chaoskit.cli._console import console

if TYPE_CHECKING:
    from chaoskit.lab import LocalLab
    from chaoskit.lab.config import LabConfig

__all__ = ["lab_for_a_run", "plain_printer", "saved_config"]


def saved_config(state_dir: Path) -> LabConfig | None:
    from chaoskit.lab.state import LabState

    saved = LabState.load(state_dir)
    return saved.config if saved else None


def lab_for_a_run(state_dir: Path, backend: str = "any") -> LocalLab:
    """The lab that is up (or a new one on ``backend``; ``any`` means local), refusing
    (exit 2) while the ledger holds faults a killed run left behind."""
    from chaoskit._errors import InvalidInput
    from chaoskit.experiment.drift import find_drift
    from chaoskit.experiment.recover import ledger_notice
    from chaoskit.lab.open import open_lab

    notice = ledger_notice(state_dir)
    if notice:
        raise InvalidInput(notice)
    err = console(stderr=True)
    choice = "auto" if backend == "any" else backend
    lab = open_lab(state_dir, choice, auto_default="local", echo=lambda m: err.print(m))
    found = find_drift(lab, []) if lab.state.components else []
    drift = [d for d in found if d.level != "absent"]  # the run's `up` starts what is absent
    if drift:
        listed = "; ".join(d.describe() for d in drift)
        raise InvalidInput(
            f"the lab is not as it should be: {listed}. Run `chaoskit recover` to repair it."
        )
    return lab


def plain_printer(console: Console) -> Callable[[str], None]:
    """Print lines as they are: no markup, no highlighting, long lines kept whole."""

    def echo(message: str) -> None:
        console.print(message, highlight=False, markup=False, soft_wrap=True)

    return echo
