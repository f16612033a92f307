"""Import what rendering a run's reports needs ahead of time, in a background thread.

A run renders its reports when it ends; importing matplotlib (for the PNG chart) and the
report modules then adds about a second to the run's wall time on two cores. A run warms
them while its load warms up, when the controller is only waiting. Nothing is rendered
here and nothing is shared but the modules, so a failure here changes nothing: the
renderer imports them itself.
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["warm_report_imports"]


def warm_report_imports() -> threading.Thread:
    thread = threading.Thread(target=_import, name="warm-report-imports", daemon=True)
    thread.start()
    return thread


def _import() -> None:
    with contextlib.suppress(Exception):
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot  # noqa: F401

        import chaoskit.report.html
        import chaoskit.report.junit
        import chaoskit.report.markdown
        import chaoskit.report.png  # noqa: F401
