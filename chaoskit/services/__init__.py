"""The system under test: orders, fleet, gateway and status, each with resilience switches."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["SERVICE_MAINS"]


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


SERVICE_MAINS: dict[str, Callable[[], None]] = {
    "orders": _orders,
    "fleet": _fleet,
    "gateway": _gateway,
    "status": _status,
}
