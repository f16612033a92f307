"""The lab resolver as one process's system resolver, leaving the host's untouched.

The process runs in its own mount namespace in which ``/etc/resolv.conf`` is a bind mount of
a file naming the lab resolver (``unshare --mount`` and ``mount --bind``, as root). glibc's
``getaddrinfo``, Go's pure resolver and anything else that reads ``/etc/resolv.conf`` then
ask the lab resolver, unchanged; every other process on the host still asks the host's own.
The namespace ends with the process, so nothing is left to undo.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from chaoskit._errors import MissingDependency
from chaoskit.lab.config import Endpoint

__all__ = ["RESOLV_OPTIONS", "SystemResolver"]

RESOLV_OPTIONS = "options timeout:1 attempts:2"
"""glibc's defaults (5 s, 2 attempts) would make one lost answer cost a client 5 s."""
_BIND_THEN_EXEC = 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"'


@dataclass(frozen=True)
class SystemResolver:
    """How to start a process whose system resolver is the lab resolver, or why it cannot be."""

    resolver: Endpoint
    resolv_conf: Path
    unavailable: str | None

    @classmethod
    def for_lab(cls, resolver: Endpoint, state_dir: Path) -> SystemResolver:
        return cls(resolver, state_dir / "resolver" / "resolv.conf", _why_unavailable(resolver))

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run with the lab resolver as its system resolver."""
        if self.unavailable is not None:
            raise MissingDependency(f"system-resolver mode is unavailable: {self.unavailable}")
        self.resolv_conf.parent.mkdir(parents=True, exist_ok=True)
        text = f"# the chaoskit lab resolver\nnameserver {self.resolver.host}\n{RESOLV_OPTIONS}\n"
        if not self.resolv_conf.exists() or self.resolv_conf.read_text() != text:
            tmp = self.resolv_conf.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(self.resolv_conf)
        unshare = shutil.which("unshare") or "unshare"
        return [
            unshare, "--mount", "--propagation", "private", "--",
            "sh", "-c", _BIND_THEN_EXEC, "chaoskit-resolv", str(self.resolv_conf), *argv,
        ]  # fmt: skip


def _why_unavailable(resolver: Endpoint) -> str | None:
    if not sys.platform.startswith("linux"):
        return "it needs Linux mount namespaces"
    if os.geteuid() != 0:
        return (
            "it needs root (a mount namespace with /etc/resolv.conf bind-mounted); "
            "run chaoskit as root, or use the services' authority mode"
        )
    missing = [tool for tool in ("unshare", "mount") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found (Debian: apt-get install util-linux mount)"
    if resolver.port != 53:
        return (
            f"the lab resolver listens on port {resolver.port}, and /etc/resolv.conf can "
            "only name port 53"
        )
    if not Path("/etc/resolv.conf").exists():
        return "/etc/resolv.conf does not exist to be bind-mounted over"
    return None
