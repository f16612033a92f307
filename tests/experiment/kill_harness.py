"""A controller reduced to one fault, for the kill tests: injects it exactly as a run does
(``inject_fault``), then reverts it (``revert_fault``), dying wherever ``CHAOSKIT_KILL_AT``
says.

    python -m tests.experiment.kill_harness STATE_DIR KIND TARGET PARAMS_JSON DURATION GRACE
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from chaoskit.experiment.injection import inject_fault, revert_fault
from chaoskit.experiment.ledger import Ledger, LedgerEntry
from chaoskit.lab.open import open_lab

RUN = "kill-test"


def main(argv: list[str]) -> int:
    state_dir, kind, target, params, duration, grace = argv
    lab = open_lab(Path(state_dir), auto_default="local")
    ledger = Ledger(lab.state_dir)
    now = time.time()
    entry = LedgerEntry(
        run=RUN, kind=kind, target=target, params=json.loads(params),
        duration_s=float(duration), written_at=now,
        expires_at=now + float(duration) + float(grace),
    )  # fmt: skip
    entry = inject_fault(lab, ledger, entry)
    print(f"injected {entry.id}", flush=True)
    outcome = revert_fault(lab, ledger, entry)
    return 0 if outcome.verified else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
