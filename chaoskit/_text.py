"""Small text helpers shared across the package."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["http_url_problem", "slug"]


def slug(text: str, limit: int | None = 48, empty: str = "experiment") -> str:
    """Lower-case words joined by dashes, for file and test names: ``DNS blackout!`` →
    ``dns-blackout``; at most ``limit`` characters."""
    cleaned = "".join(c.lower() if c.isalnum() else "-" for c in text)
    joined = "-".join(part for part in cleaned.split("-") if part)
    return (joined[:limit] if limit else joined) or empty


def http_url_problem(url: str, example: str) -> str | None:
    """Why ``url`` is not an http(s) URL a client can ask (``example`` shows one), or None."""
    expected = f"expected an http:// or https:// URL such as {example}, got {url!r}"
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [ of an IPv6 address
        return expected
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        return expected
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return f"{expected} (its port is out of range)"
    return None
