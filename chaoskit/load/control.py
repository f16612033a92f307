"""The surge control file: what the controller writes and the load shape reads (apart
from ``shape.py`` so that reading it never imports Locust, whose gevent patches the process).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["CONTROL_ENV", "wanted_load"]

CONTROL_ENV = "CHAOSKIT_LOAD_CONTROL"
"""The file the surgeable load shape reads (``chaoskit/load/shape.py``)."""


def wanted_load(control: Path | None, users: int, spawn_rate: float) -> tuple[int, float]:
    """The control file's users and spawn rate, or the given ones without a readable file."""
    if control is None:
        return users, spawn_rate
    try:
        wanted: Any = json.loads(control.read_text())
        return int(wanted["users"]), float(wanted["spawn_rate"])
    except (OSError, ValueError, KeyError, TypeError):
        return users, spawn_rate
