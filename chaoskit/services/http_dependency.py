"""Calls from one sample service to another over HTTP, as DownstreamErrors on failure."""

from __future__ import annotations

from typing import Any

import aiohttp

from chaoskit.services.resilience.downstream import DownstreamError

__all__ = ["UpstreamError", "http_call"]


class UpstreamError(DownstreamError):
    """The other service answered with a 5xx; its status and body go back to the caller."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__("server", f"upstream answered {status}")
        self.status = status
        self.body = body


async def http_call(
    session: aiohttp.ClientSession, method: str, url: str, json: Any = None
) -> tuple[int, bytes]:
    """(status, body) for any answer below 500; raises DownstreamError otherwise."""
    try:
        async with session.request(method, url, json=json) as response:
            body = await response.read()
    except aiohttp.ClientConnectorError as exc:
        raise DownstreamError("connect", str(exc)) from None
    except (aiohttp.ClientError, OSError) as exc:
        raise DownstreamError("connect", f"{type(exc).__name__}: {exc}") from None
    if response.status >= 500:
        raise UpstreamError(response.status, body)
    return response.status, body
