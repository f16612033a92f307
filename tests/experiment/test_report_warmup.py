"""The run warms the report's imports in the background; the controller's own start does not
pay for them."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import chaoskit.experiment.runner
cold = [m for m in ("matplotlib", "chaoskit.report.html") if m in sys.modules]
from chaoskit.experiment.report_warmup import warm_report_imports
warm_report_imports().join(60)
warm = [m for m in ("matplotlib.pyplot", "chaoskit.report.html", "chaoskit.report.png")
        if m in sys.modules]
print(cold, warm)
"""


def test_the_runner_imports_no_renderer_and_the_warmup_imports_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert (
        done.stdout.split("\n")[0] == "[] ['matplotlib.pyplot', 'chaoskit.report.html', "
        "'chaoskit.report.png']"
    ), done.stdout + done.stderr
