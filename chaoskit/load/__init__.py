"""Load for the lab: Locust locustfiles for the gateway's traffic mix.

``chaoskit/load/locustfile.py`` runs with plain Locust too::

    locust -f chaoskit/load/locustfile.py --headless -u 20 -r 10 -t 30s \
        --host http://127.0.10.30:8080

Set ``CHAOSKIT_MIX`` (e.g. ``read=6,list=1,write=2,launch=1``) to change the mix, and
``CHAOSKIT_PACING_S`` to pace each user (one request started every that many seconds).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_MIX", "GATE_ENV", "LOCUSTFILE", "MAX_WEIGHT", "PACING_ENV", "parse_mix"]

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
PACING_ENV = "CHAOSKIT_PACING_S"
"""Seconds between the starts of one user's requests (unset: a pause after each answer)."""
GATE_ENV = "CHAOSKIT_LOAD_GATE"
"""A file's path: Locust starts no user until it exists (``stream.py``)."""
DEFAULT_MIX = {"read": 6, "list": 1, "write": 2, "launch": 1}
MAX_WEIGHT = 1000
"""Locust lists a task once per unit of its weight, in every user class: a weight of 10⁹
would be a list of 10⁹ entries before the first request."""


def parse_mix(text: str | None) -> dict[str, int]:
    """``"read=6,write=2"`` as weights; unknown tasks or non-integers are errors."""
    if not text:
        return dict(DEFAULT_MIX)
    mix: dict[str, int] = {}
    for part in text.split(","):
        name, sep, weight = part.partition("=")
        name = name.strip()
        if not sep or name not in DEFAULT_MIX or not weight.strip().isdigit():
            known = ", ".join(DEFAULT_MIX)
            raise ValueError(f"traffic mix {part!r}: expected TASK=WEIGHT with TASK one of {known}")
        if int(weight) > MAX_WEIGHT:
            raise ValueError(f"traffic mix {part!r}: a weight is at most {MAX_WEIGHT}")
        mix[name] = int(weight)
    return mix
