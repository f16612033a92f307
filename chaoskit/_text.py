"""Small text helpers shared across the package."""

from __future__ import annotations

__all__ = ["slug"]


def slug(text: str, limit: int | None = 48, empty: str = "experiment") -> str:
    """Lower-case words joined by dashes, for file and test names: ``DNS blackout!`` →
    ``dns-blackout``; at most ``limit`` characters."""
    cleaned = "".join(c.lower() if c.isalnum() else "-" for c in text)
    joined = "-".join(part for part in cleaned.split("-") if part)
    return (joined[:limit] if limit else joined) or empty
