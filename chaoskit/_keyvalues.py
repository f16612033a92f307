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
        values[key] = _read(raw)
    return values


def _read(raw: str) -> Any:
    """``raw`` as JSON when it parses to something JSON can carry on (``1e999`` parses to an
    infinity, which it cannot), else the string itself, for whoever checks it to refuse."""
    try:
        value = json.loads(raw)
        json.dumps(value, allow_nan=False)
    except ValueError:  # json.JSONDecodeError is one
        return raw
    return value
