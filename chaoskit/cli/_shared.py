"""What the commands that run things against a lab share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from chaoskit.cli._console import console, warning

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend
    from chaoskit.lab.config import LabConfig

__all__ = ["duration_option", "lab_config", "lab_for_a_run", "plain_printer", "warn_of_ledger"]


def duration_option(text: str) -> float:
    """A duration on the command line as in experiment files (10s, 500ms, 2m) or seconds;
    anything else is Typer's usage error (exit 2) saying what was expected."""
    import typer

    from chaoskit.experiment.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def lab_config(obj: dict[str, Any]) -> LabConfig | None:
    """The lab a command works with: the one that is up, else the one asked for. Asking for
    another lab than the one that is up is an input error."""
    from chaoskit.lab.open import lab_config_for

    return lab_config_for(obj["state_dir"], obj.get("lab_file"))


def lab_for_a_run(
    state_dir: Path, backend: str = "any", config: LabConfig | None = None
) -> LabBackend:
    """``chaoskit.runs.lab_for_a_run``, saying what it does on stderr."""
    from chaoskit.runs import lab_for_a_run as checked_lab

    err = console(stderr=True)
    return checked_lab(state_dir, backend, config, echo=lambda m: err.print(m))


def plain_printer(console: Console) -> Callable[[str], None]:
    """Print lines as they are: no markup, no highlighting, long lines kept whole."""

    def echo(message: str) -> None:
        console.print(message, highlight=False, soft_wrap=True)

    return echo


def warn_of_ledger(state_dir: Path) -> None:
    """Warn on stderr of the faults the ledger holds (a killed controller's), if any."""
    if not (state_dir / "ledger.json").exists():
        return
    from chaoskit.experiment.ledger import ledger_notice

    notice = ledger_notice(state_dir)
    if notice:
        console(stderr=True).print(warning(notice), soft_wrap=True)
