"""Durations as people write them in experiment files: ``500ms``, ``10s``, ``2m``, ``1h``, or
a number of seconds."""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

__all__ = ["MAX_DURATION_S", "Duration", "parse_duration"]

MAX_DURATION_S = 24 * 3600.0
"""The longest duration any field takes: a day. Past that a fault would outlive any run's
report (its timeline holds hours, not days) and a killed controller's fault would stay in
force until its expiry; the DNS server ends every fault within the same day."""

_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: object) -> float:
    """Seconds, from ``"1.5s"``, ``"250ms"``, ``"2m"``, ``"1h"`` or a number."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 10s, 500ms or 2m")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _PATTERN.match(value)):
        seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    else:
        raise ValueError(f"expected a duration such as 10s, 500ms or 2m, got {value!r}")
    if not math.isfinite(seconds):
        raise ValueError(f"a duration must be a finite number of seconds, got {value!r}")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"a duration is at most 24h, got {value!r}")
    return seconds


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda s: s, return_type=float),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_DURATION_S},
                {"type": "string", "pattern": r"^\d+(\.\d+)?(ms|s|m|h)?$"},
            ],
            "description": "seconds, or a string such as 500ms, 10s, 2m (at most 24h)",
        }
    ),
]
