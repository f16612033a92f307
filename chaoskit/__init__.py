"""chaoskit: rehearse the October 2025 DNS failure on one machine, and measure recovery.

The public API. Heavier parts load on first use, so ``python -m chaoskit dns serve`` stays lean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaoskit._errors import (
    ChaoskitError,
    ComponentError,
    DnsAdminError,
    InvalidInput,
    MissingDependency,
    PortInUse,
    ToxiproxyError,
    ZoneFileError,
)
from chaoskit._lazy import lazy_names

if TYPE_CHECKING:
    from chaoskit.api import ActiveFault, FaultConflict, FaultNotReverted, Lab, LabEndpoint
    from chaoskit.dns.client import DnsAdminClient
    from chaoskit.lab.config import LabConfig
    from chaoskit.lab.local import LocalLab
    from chaoskit.measure import Measurement
    from chaoskit.runs import run_experiment
    from chaoskit.toxiproxy import ToxiproxyAdapter

__version__ = "0.1.0"

__all__ = [
    "ActiveFault",
    "ChaoskitError",
    "ComponentError",
    "DnsAdminClient",
    "DnsAdminError",
    "FaultConflict",
    "FaultNotReverted",
    "InvalidInput",
    "Lab",
    "LabConfig",
    "LabEndpoint",
    "LocalLab",
    "Measurement",
    "MissingDependency",
    "PortInUse",
    "ToxiproxyAdapter",
    "ToxiproxyError",
    "ZoneFileError",
    "__version__",
    "run_experiment",
]

_LAZY = {
    "ActiveFault": "chaoskit.api",
    "FaultConflict": "chaoskit.api",
    "FaultNotReverted": "chaoskit.api",
    "Lab": "chaoskit.api",
    "LabEndpoint": "chaoskit.api",
    "Measurement": "chaoskit.measure",
    "run_experiment": "chaoskit.runs",
    "DnsAdminClient": "chaoskit.dns.client",
    "LabConfig": "chaoskit.lab.config",
    "LocalLab": "chaoskit.lab.local",
    "ToxiproxyAdapter": "chaoskit.toxiproxy",
}


__getattr__ = lazy_names(__name__, _LAZY, globals())
