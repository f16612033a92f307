"""The system under test: orders, fleet, gateway and status, each with resilience switches,
and the load balancer's control plane (lb)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["DNS_TOKEN_ENV", "FLEET_START_ENV", "REPLICA_ENV", "SERVICE_MAINS"]

REPLICA_ENV = "CHAOSKIT_SERVICE_NAME"
"""The name a gateway replica runs under (``gateway-2``...); unset, ``gateway``."""
DNS_TOKEN_ENV = "CHAOSKIT_DNS_TOKEN_FILE"
"""The DNS admin token the load balancer's control plane changes its name with."""
FLEET_START_ENV = "CHAOSKIT_FLEET_START"
"""How fleet starts: ``cold`` (every lease established through its queue) or ``leased``."""


def _orders() -> None:
    from chaoskit.services.orders import main

    main()


def _fleet() -> None:
    from chaoskit.services.fleet import main

    main()


def _gateway() -> None:
    from chaoskit.services.gateway import main

    main()


def _status() -> None:
    from chaoskit.services.status import main

    main()


def _lb() -> None:
    from chaoskit.services.lb import main

    main()


SERVICE_MAINS: dict[str, Callable[[], None]] = {
    "orders": _orders,
    "fleet": _fleet,
    "gateway": _gateway,
    "status": _status,
    "lb": _lb,
}
