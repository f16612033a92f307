"""The lab stack: DNS server, Toxiproxy and DynamoDB Local, started and stopped together.

The names below are imported when first used: a command that reads only the lab's
configuration (``validate``, the DNS server, the watchdog) does not pay for importing the
backends, their process handling and their clients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaoskit._lazy import lazy_names

if TYPE_CHECKING:
    from chaoskit.lab.backend import LabBackend
    from chaoskit.lab.config import DynamoRegion, Endpoint, LabConfig, load_lab_config
    from chaoskit.lab.local import LocalLab
    from chaoskit.lab.state import ComponentRecord, LabState

__all__ = [
    "ComponentRecord",
    "DynamoRegion",
    "Endpoint",
    "LabBackend",
    "LabConfig",
    "LabState",
    "LocalLab",
    "load_lab_config",
]

_HOMES = {
    "ComponentRecord": "chaoskit.lab.state",
    "DynamoRegion": "chaoskit.lab.config",
    "Endpoint": "chaoskit.lab.config",
    "LabBackend": "chaoskit.lab.backend",
    "LabConfig": "chaoskit.lab.config",
    "LabState": "chaoskit.lab.state",
    "LocalLab": "chaoskit.lab.local",
    "load_lab_config": "chaoskit.lab.config",
}


__getattr__ = lazy_names(__name__, _HOMES, globals())
