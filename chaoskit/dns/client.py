"""A client for the lab DNS server's admin API, with a timeout on every call."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaoskit._errors import DnsAdminError

if TYPE_CHECKING:
    import httpx

__all__ = ["DnsAdminClient", "header_safe"]

_PRINTABLE_BUT_PERCENT = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def header_safe(text: str) -> str:
    """``text`` as an HTTP header value: printable ASCII as it is, anything else (a run
    named in another script, a control character) percent-encoded as UTF-8; the admin API
    decodes it (``urllib.parse.unquote``)."""
    from urllib.parse import quote

    return quote(text, safe=_PRINTABLE_BUT_PERCENT)


class DnsAdminClient:
    """Talks to one DNS server's admin API; every non-2xx answer raises DnsAdminError."""

    def __init__(self, base_url: str, token: str, actor: str = "chaoskit", timeout: float = 5.0):
        import httpx  # on first use: a command that talks to no server does not load it

        self.base_url = base_url.rstrip("/")
        self._transport_error: type[httpx.HTTPError] = httpx.HTTPError
        self._http: httpx.Client = httpx.Client(
            verify=False,  # plain HTTP on loopback: skip loading CA certificates (~40 ms)
            base_url=self.base_url,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "X-Chaoskit-Actor": header_safe(actor)},
        )

    @classmethod
    def from_token_file(cls, base_url: str, token_file: Path, **kwargs: Any) -> DnsAdminClient:
        try:
            token = token_file.read_text().strip()
        except OSError as exc:
            raise DnsAdminError(
                f"cannot read the admin token {token_file}: {exc.strerror}"
            ) from exc
        return cls(base_url, token, **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DnsAdminClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except self._transport_error as exc:
            raise DnsAdminError(
                f"{method} {self.base_url}{path}: {exc or type(exc).__name__}"
            ) from exc
        if response.status_code >= 300:
            try:
                message = response.json().get("error", response.text)
            except ValueError:
                message = response.text
            raise DnsAdminError(
                f"{method} {path}: HTTP {response.status_code}: {message}", response.status_code
            )
        return response.json()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/health")
        return result

    def stats(self) -> dict[str, Any]:
        """Queries received since the server started: ``queries`` and ``by_source`` address."""
        found: dict[str, Any] = self._call("GET", "/stats")
        return found

    def zones(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/zones")
        return result

    def reload(self) -> list[str]:
        result: list[str] = self._call("POST", "/zones/reload")["zones"]
        return result

    def records(self, name: str | None = None) -> list[dict[str, Any]]:
        params = {"name": name} if name else None
        result: list[dict[str, Any]] = self._call("GET", "/records", params=params)
        return result

    def set_record(self, name: str, rtype: str, values: list[str], ttl: int = 60) -> dict[str, Any]:
        body = {"name": name, "type": rtype, "ttl": ttl, "values": values}
        result: dict[str, Any] = self._call("PUT", "/records", json=body)
        return result

    def delete_record(self, name: str, rtype: str | None = None) -> int:
        path = f"/records/{name}" + (f"/{rtype}" if rtype else "")
        result: int = self._call("DELETE", path)["removed"]
        return result

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/faults")
        return result

    def add_fault(
        self,
        kind: str,
        name: str,
        duration_s: float,
        probability: float = 1.0,
        fault_id: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": kind,
            "name": name,
            "duration_s": duration_s,
            "probability": probability,
            "params": params,
        }
        if fault_id is not None:
            body["id"] = fault_id
        result: dict[str, Any] = self._call("POST", "/faults", json=body)
        return result

    def lift_fault(self, fault_id: str) -> None:
        self._call("DELETE", f"/faults/{fault_id}")

    def lift_all(self) -> list[str]:
        result: list[str] = self._call("DELETE", "/faults")["lifted"]
        return result

    def events(self, since: int = 0) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/events", params={"since": since})
        return result
