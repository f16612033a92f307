"""``examples/pytest`` runs as a team would run it, on the session lab: plainly, and on two
xdist workers; every fault it put in is gone afterwards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chaoskit.experiment.ledger import Ledger
from chaoskit.lab import LocalLab

pytestmark = pytest.mark.lab

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pytest"


@pytest.mark.parametrize(
    "workers", [[], ["-n", "2", "--dist", "loadgroup"]], ids=["plain", "xdist"]
)
def test_the_example_passes_and_leaves_the_lab_clean(
    lab: LocalLab, tmp_path: Path, workers: list[str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLE), "-q", "-p", "no:cacheprovider",
         f"--chaoskit-state-dir={lab.state_dir}", f"--junitxml={tmp_path / 'junit.xml'}",
         *workers],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout
    assert 'name="chaoskit.faults"' in (tmp_path / "junit.xml").read_text()
    assert lab.toxiproxy().toxics("dynamodb-us-east-1") == []
    assert Ledger(lab.state_dir).entries() == []
