"""What a run returns, and the record it keeps of each fault it put in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaoskit.experiment.ledger import LedgerEntry

__all__ = ["EXIT_CODES", "FaultRecord", "RunResult", "exit_code_for"]

EXIT_CODES = {"held": 0, "not_held": 1, "aborted": 3, "interrupted": 3}


@dataclass
class FaultRecord:
    step: int
    name: str | None
    kind: str
    target: str
    params: dict[str, Any]
    entry: LedgerEntry
    injected_t: float | None = None
    revert_due_t: float | None = None
    reverted_t: float | None = None
    verified: bool = False
    outcome: str = "pending"
    error: str | None = None

    def journal(self) -> dict[str, Any]:
        return {
            "step": self.step, "name": self.name, "kind": self.kind, "target": self.target,
            "params": self.params, "ledger_id": self.entry.id, "injected_t": self.injected_t,
            "revert_due_t": self.revert_due_t, "reverted_t": self.reverted_t,
            "verified": self.verified, "outcome": self.outcome, "error": self.error,
            "expires_at": self.entry.expires_at,
        }  # fmt: skip


@dataclass
class RunResult:
    status: str
    verdict: str
    held: bool
    exit_code: int
    run_dir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    faults: list[FaultRecord] = field(default_factory=list)
    """Each fault step: what it targeted, when it was in, how it ended."""


def exit_code_for(status: str, held: bool) -> int:
    """0 held, 1 not held (or failed), 3 aborted by a stop condition or interrupted."""
    if held:
        return EXIT_CODES["held"]
    return EXIT_CODES.get(status, EXIT_CODES["not_held"])
