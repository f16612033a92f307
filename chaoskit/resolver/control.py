"""Unbound's remote control, spoken directly: ``UBCT1 <command>`` over TCP on loopback.

Without certificates (``control-use-cert: no``) the protocol is one line out and text back
until the server closes the connection; ``unbound-control`` speaks the same. A connection per
command costs well under a millisecond, so the recorder can sample at 20 Hz.
"""

from __future__ import annotations

import socket

from chaoskit._errors import ComponentError

__all__ = ["UnboundControl", "parse_stats"]

_VERSION = 1
MAX_REPLY_BYTES = 4 * 1024 * 1024


class UnboundControl:
    """One Unbound's remote-control port."""

    def __init__(self, host: str, port: int, timeout_s: float = 2.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s

    def command(self, line: str) -> str:
        """Send one command; its reply, or ComponentError with Unbound's own words."""
        if "\n" in line:
            raise ValueError("one command per line")
        try:
            with socket.create_connection((self.host, self.port), self.timeout_s) as conn:
                conn.settimeout(self.timeout_s)
                conn.sendall(f"UBCT{_VERSION} {line}\n".encode())
                chunks: list[bytes] = []
                size = 0
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_REPLY_BYTES:
                        break
        except OSError as exc:
            where = f"{self.host}:{self.port}"
            raise ComponentError("resolver", f"remote control at {where}: {exc}") from None
        reply = b"".join(chunks).decode(errors="replace")
        if reply.startswith("error"):
            raise ComponentError("resolver", f"`{line}`: {reply.strip()}")
        return reply

    def stats(self) -> dict[str, float]:
        """Every counter (``stats_noreset``), e.g. ``total.num.queries``."""
        return parse_stats(self.command("stats_noreset"))

    def flush(self, name: str | None = None, zone: bool = False) -> None:
        """Forget one name (every type), every name under ``name`` (``zone``), or everything."""
        if name is None:
            self.command("flush_zone .")
            self.command("flush_negative")
            self.command("flush_infra all")
        elif zone:
            self.command(f"flush_zone {name}")
        else:
            self.command(f"flush {name}")
            self.command(f"flush_type {name} A")

    def set_option(self, option: str, value: str) -> None:
        reply = self.command(f"set_option {option}: {value}")
        if "ok" not in reply:
            raise ComponentError("resolver", f"set_option {option}: {reply.strip()}")

    def get_option(self, option: str) -> str:
        return self.command(f"get_option {option}").strip()


def parse_stats(text: str) -> dict[str, float]:
    """``name=value`` lines as numbers; anything else is skipped."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if not sep:
            continue
        try:
            found[name.strip()] = float(value)
        except ValueError:
            continue
    return found
