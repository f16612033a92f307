"""``KEY=VALUE`` arguments, as the CLI takes them: values read as JSON when they parse."""

from __future__ import annotations

import json
from typing import Any

from chaoskit._errors import InvalidInput

__all__ = ["parse_key_values"]


def parse_key_values(pairs: list[str], option: str, example: str) -> dict[str, Any]:
    """``["ms=200", "name=x"]`` as ``{"ms": 200, "name": "x"}``; bad pairs name ``option``."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(f"{option} {pair!r}: expected KEY=VALUE, e.g. {example}")
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            values[key] = raw
    return values
