"""DynamoDB reached the way the incident's clients reached it: by name, through the lab DNS.

Every call first resolves the region's name with the service's resolver (so a blanked
record fails the call, or not, as the DNS profile says), then runs boto3 on a worker
thread against the address it got.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from chaoskit.lab.clients import dynamodb_client
from chaoskit.lab.config import DynamoRegion
from chaoskit.services.resilience.downstream import DownstreamError
from chaoskit.services.resilience.resolver import DnsFailure, StaleServingResolver

__all__ = ["RegionalDynamo", "classify"]

CLIENT_ERRORS = frozenset(
    {
        "ConditionalCheckFailedException",
        "ResourceNotFoundException",
        "ValidationException",
        "ResourceInUseException",
        "TransactionCanceledException",
    }
)
THROTTLE_ERRORS = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


def classify(exc: BaseException) -> DownstreamError:
    """A boto3/botocore failure as a DownstreamError kind."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in CLIENT_ERRORS:
            return DownstreamError("client", code)
        if code in THROTTLE_ERRORS:
            return DownstreamError("throttled", code)
        return DownstreamError("server", code or str(exc))
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return DownstreamError("timeout", str(exc))
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError):
        return DownstreamError("connect", str(exc))
    if isinstance(exc, BotoCoreError | OSError):
        return DownstreamError("connect", f"{type(exc).__name__}: {exc}")
    raise exc


class RegionalDynamo:
    """One region's DynamoDB: ``await dynamo.call("put_item", TableName=..., Item=...)``."""

    def __init__(
        self,
        region: DynamoRegion,
        resolver: StaleServingResolver,
        executor: ThreadPoolExecutor,
        timeout_s: float,
    ) -> None:
        self.region = region
        self._resolver = resolver
        self._executor = executor
        self._timeout_s = timeout_s
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.last_address: str | None = None

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        try:
            address = await self._resolver.address(self.region.record)
        except DnsFailure as exc:
            raise DownstreamError("dns", exc.reason) from None
        self.last_address = address
        client = self._client(address)
        method: Callable[..., dict[str, Any]] = getattr(client, operation)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(method, **params))
        except (BotoCoreError, ClientError, OSError) as exc:
            raise classify(exc) from None

    def _client(self, address: str) -> Any:
        with self._lock:
            client = self._clients.get(address)
            if client is None:
                url = f"http://{address}:{self.region.proxy.port}"
                client = dynamodb_client(url, self.region.region, self._timeout_s)
                self._clients[address] = client
            return client

    async def ensure_table(self, table: str, key: str = "id") -> None:
        """Create ``table`` with a string hash key if it does not exist yet."""
        try:
            await self.call("describe_table", TableName=table)
            return
        except DownstreamError as exc:
            if exc.detail != "ResourceNotFoundException":
                raise
        try:
            await self.call(
                "create_table",
                TableName=table,
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except DownstreamError as exc:
            if exc.detail != "ResourceInUseException":  # another service made it first
                raise
