"""The lab stack: DNS server, Toxiproxy and DynamoDB Local, started and stopped together."""

from __future__ import annotations

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
