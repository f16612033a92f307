"""A Locust load shape that chaoskit's ``load.surge`` fault steers while the load runs.

Loaded beside the locustfile when an experiment surges its load. Each second it reads the
control file named by ``CHAOSKIT_LOAD_CONTROL``: while it holds ``{"users": N,
"spawn_rate": R}`` the load runs N users (started or stopped at R per second), otherwise
the command line's ``-u``/``-r``; a surge ends as fast as it began (the clients leave at
the surge's rate, not at ``-r``). It ends the load at ``-t`` (a shape replaces Locust's own
run-time limit). As Locust documents, a change waits for the ramp before it to finish.
"""

from __future__ import annotations

import os
from pathlib import Path

from locust import LoadTestShape

from chaoskit.load.control import CONTROL_ENV, wanted_load

__all__ = ["SurgeableShape"]


class SurgeableShape(LoadTestShape):
    use_common_options = True
    fastest_rate = 0.0
    """The highest spawn rate asked so far: the rate a surge's users leave at."""

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options if self.runner else None
        run_time = getattr(options, "run_time", None)
        if run_time and self.get_run_time() > run_time:  # type: ignore[no-untyped-call]
            return None
        control = os.environ.get(CONTROL_ENV)
        users, rate = wanted_load(
            Path(control) if control else None,
            int(getattr(options, "num_users", None) or 1),
            float(getattr(options, "spawn_rate", None) or 1.0),
        )
        self.fastest_rate = max(self.fastest_rate, rate)
        return users, self.fastest_rate
