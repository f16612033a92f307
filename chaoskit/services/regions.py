"""Multi-region for a service: which region is active, health-checked failover, replication."""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import Gauge

from chaoskit.services.base import Service
from chaoskit.services.resilience.downstream import DownstreamError

__all__ = ["RegionFailover", "Replicator"]


class RegionFailover:
    """Checks the primary region's table; fails over after ``fail_after`` failed checks in a
    row and back after ``recover_after`` good ones. Without multi-region, always the primary."""

    def __init__(self, service: Service, table: str) -> None:
        self.service = service
        self.table = table
        self.settings = service.resilience.multi_region
        self.active = self.settings.primary
        self.failovers = 0
        self._fails = 0
        self._goods = 0
        self._gauge = Gauge(
            "chaoskit_active_region",
            "1 for the region serving reads and writes",
            ["region"],
            registry=service.metrics.registry,
        )
        self._publish()

    @property
    def regions(self) -> list[str]:
        if not self.settings.enabled:
            return [self.settings.primary]
        return [self.settings.primary, self.settings.secondary]

    async def check_once(self) -> bool:
        dynamo = self.service.dynamo(self.settings.primary)
        try:
            async with asyncio.timeout(self.settings.check_interval_s * 2):
                await dynamo.call("describe_table", TableName=self.table)
        except (DownstreamError, TimeoutError):
            self._fails, self._goods = self._fails + 1, 0
        else:
            self._fails, self._goods = 0, self._goods + 1
        primary, secondary = self.settings.primary, self.settings.secondary
        if self.active == primary and self._fails >= self.settings.fail_after:
            self.active = secondary
            self.failovers += 1
        elif self.active == secondary and self._goods >= self.settings.recover_after:
            self.active = primary
        self._publish()
        return self._fails == 0

    def start(self) -> asyncio.Task[None] | None:
        return asyncio.create_task(self._loop()) if self.settings.enabled else None

    async def _loop(self) -> None:
        while True:
            await self.check_once()
            await asyncio.sleep(self.settings.check_interval_s)

    def _publish(self) -> None:
        for region in {self.settings.primary, self.settings.secondary}:
            self._gauge.labels(region).set(1 if region == self.active else 0)


@dataclass
class _Pending:
    item: dict[str, Any]
    target: str
    written_at: float


class Replicator:
    """Copies each write asynchronously to the other regions; lag is the oldest copy's age."""

    def __init__(self, service: Service, table: str) -> None:
        self.service = service
        self.table = table
        self._pending: collections.deque[_Pending] = collections.deque()
        self._wake = asyncio.Event()
        registry = service.metrics.registry
        self._lag = Gauge(
            "chaoskit_replication_lag_seconds",
            "Age of the oldest unreplicated write",
            registry=registry,
        )
        self._backlog = Gauge(
            "chaoskit_replication_backlog", "Writes waiting to be replicated", registry=registry
        )
        self._lag.set_function(self.lag_s)
        self._backlog.set_function(lambda: len(self._pending))

    def lag_s(self) -> float:
        return time.time() - self._pending[0].written_at if self._pending else 0.0

    def replicate(self, item: dict[str, Any], written_in: str, regions: list[str]) -> None:
        for region in regions:
            if region != written_in:
                self._pending.append(_Pending(item, region, time.time()))
        self._wake.set()

    def start(self) -> asyncio.Task[None]:
        return asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            head = self._pending[0]
            dynamo = self.service.dynamo(head.target)
            try:
                async with asyncio.timeout(self.service.resilience.timeout_s):
                    await dynamo.call("put_item", TableName=self.table, Item=head.item)
            except (DownstreamError, TimeoutError):
                await asyncio.sleep(0.2)  # the other region is down: keep the copy, try later
                continue
            self._pending.popleft()
