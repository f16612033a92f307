"""The one way chaoskit talks to Toxiproxy: the toxiproxy-python client, made safe.

The client alone has no timeouts, keeps its server address in class attributes, and lets 5xx
answers through. This adapter swaps in an API consumer that puts a timeout on every call and
turns every non-2xx answer (and every connection failure) into a ToxiproxyError.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
import toxiproxy.proxy
import toxiproxy.server
from toxiproxy.api import APIConsumer
from toxiproxy.proxy import Proxy
from toxiproxy.server import Toxiproxy

from chaoskit._errors import ToxiproxyError

__all__ = ["TOXIC_TYPES", "ToxiproxyAdapter"]

TOXIC_TYPES = (
    "latency",
    "bandwidth",
    "timeout",
    "reset_peer",
    "slow_close",
    "slicer",
    "limit_data",
)
_lock = threading.RLock()
_session = requests.Session()
_session.trust_env = False  # lab addresses only: no HTTP(S)_PROXY, no .netrc
"""One keep-alive connection for every call, made under ``_lock``."""


class _TimedConsumer(APIConsumer):  # type: ignore[misc]
    """APIConsumer with a timeout on every call and an error for every non-2xx answer."""

    timeout_s = 5.0

    @classmethod
    def _send(cls, method: str, url: str, **kwargs: Any) -> requests.Response:
        endpoint = f"http://{cls.host}:{cls.port}{url}"
        try:
            response = _session.request(method, endpoint, timeout=cls.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise ToxiproxyError(f"{method} {endpoint}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise ToxiproxyError(
                f"{method} {endpoint}: HTTP {response.status_code}: {response.text.strip()}"
            )
        return response

    @classmethod
    def get(cls, url: str, params: Any = None, **kwargs: Any) -> requests.Response:
        return cls._send("GET", url, params=params, **kwargs)

    @classmethod
    def post(cls, url: str, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:
        return cls._send("POST", url, data=data, json=json, **kwargs)

    @classmethod
    def delete(cls, url: str, **kwargs: Any) -> requests.Response:
        return cls._send("DELETE", url, **kwargs)


# The client's modules look the consumer up by name at call time; point them at ours.
toxiproxy.server.APIConsumer = _TimedConsumer
toxiproxy.proxy.APIConsumer = _TimedConsumer


class ToxiproxyAdapter:
    """A Toxiproxy server at ``host:port``: proxies, toxics, enable/disable, with timeouts."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8474, timeout_s: float = 5.0):
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._client = Toxiproxy()

    @contextmanager
    def _bound(self) -> Iterator[Toxiproxy]:
        with _lock:
            _TimedConsumer.host, _TimedConsumer.port = self.host, self.port
            _TimedConsumer.timeout_s = self.timeout_s
            yield self._client

    def version(self) -> str:
        with self._bound():
            return _TimedConsumer.get("/version").text.strip()

    def proxies(self) -> dict[str, Proxy]:
        with self._bound() as client:
            result: dict[str, Proxy] = client.proxies()
            return result

    def ensure_proxy(self, name: str, listen: str, upstream: str) -> Proxy:
        """Create the proxy, or recreate it when it exists with other addresses; enable it."""
        with self._bound() as client:
            client.populate([{"name": name, "listen": listen, "upstream": upstream}])
            proxy: Proxy = client.get_proxy(name)
            if not proxy.enabled:
                proxy.enable()
            return proxy

    def set_enabled(self, name: str, enabled: bool) -> None:
        with self._bound():
            _TimedConsumer.post(f"/proxies/{name}", json={"enabled": enabled})

    def add_toxic(
        self,
        proxy: str,
        toxic_type: str,
        name: str,
        attributes: dict[str, Any],
        stream: str = "downstream",
        toxicity: float = 1.0,
    ) -> None:
        if toxic_type not in TOXIC_TYPES:
            raise ToxiproxyError(
                f"unknown toxic type {toxic_type!r}; known types: {', '.join(TOXIC_TYPES)}"
            )
        toxic = {"type": toxic_type, "name": name, "stream": stream, "toxicity": toxicity,
                 "attributes": attributes}  # fmt: skip
        with self._bound():
            try:
                _TimedConsumer.post(f"/proxies/{proxy}/toxics", json=toxic)
            except ToxiproxyError as exc:
                if "HTTP 404" in str(exc):
                    raise ToxiproxyError(f"no proxy named {proxy!r}") from None
                raise

    def toxics(self, proxy: str) -> list[dict[str, Any]]:
        with self._bound():
            result: list[dict[str, Any]] = _TimedConsumer.get(f"/proxies/{proxy}/toxics").json()
            return result

    def remove_toxic(self, proxy: str, name: str, missing_ok: bool = True) -> bool:
        """Remove a toxic; True when it was there. Idempotent unless ``missing_ok`` is False."""
        with self._bound():
            try:
                _TimedConsumer.delete(f"/proxies/{proxy}/toxics/{name}")
            except ToxiproxyError as exc:
                if missing_ok and "HTTP 404" in str(exc):
                    return False
                raise
            return True

    def clear(self, proxies: Iterable[str]) -> None:
        """Enable ``proxies`` and remove their toxics, leaving every other proxy alone (a
        Toxiproxy chaoskit attached to, not its own)."""
        present = self.proxies()
        for name in proxies:
            if name not in present:
                continue
            for toxic in self.toxics(name):
                self.remove_toxic(name, toxic["name"])
            self.set_enabled(name, True)

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        with self._bound():
            _TimedConsumer.post("/reset")
