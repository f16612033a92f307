"""What the commands that run things against a lab share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from chaoskit._errors import InvalidInput
from chaoskit.cli._console import console

if TYPE_CHECKING:
    from chaoskit.lab import LocalLab
    from chaoskit.lab.config import LabConfig

__all__ = ["lab_config", "lab_for_a_run", "plain_printer"]


def lab_config(obj: dict[str, Any]) -> LabConfig | None:
    """The lab a command works with: the one that is up, else the one asked for. Asking for
    another lab than the one that is up is an input error."""
    from chaoskit.lab.open import lab_config_for

    return lab_config_for(obj["state_dir"], obj.get("lab_file"))


def lab_for_a_run(
    state_dir: Path, backend: str = "any", config: LabConfig | None = None
) -> LocalLab:
    """The lab that is up (or a new one, described by ``config``, on ``backend``; ``any``
    means local), refusing (exit 2) while the ledger holds faults a killed run left behind."""
    from chaoskit.experiment.drift import find_drift
    from chaoskit.experiment.recover import ledger_notice
    from chaoskit.lab.open import open_lab

    notice = ledger_notice(state_dir)
    if notice:
        raise InvalidInput(notice)
    err = console(stderr=True)
    choice = "auto" if backend == "any" else backend
    lab = open_lab(
        state_dir, choice, auto_default="local", config=config, echo=lambda m: err.print(m)
    )
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
