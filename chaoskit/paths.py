"""Where chaoskit keeps lab state and cached downloads."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "data_file", "state_dir"]


def state_dir(override: str | Path | None = None) -> Path:
    """The lab's state directory: pids, ports, tokens, logs.

    ``override`` wins, then ``CHAOSKIT_STATE_DIR``, then ``.chaoskit`` in the working directory.
    """
    chosen = override or os.environ.get("CHAOSKIT_STATE_DIR") or ".chaoskit"
    return Path(chosen).resolve()


def cache_dir() -> Path:
    """Where installed binaries and jars are cached between runs."""
    env = os.environ.get("CHAOSKIT_CACHE_DIR")
    if env:
        return Path(env).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chaoskit"


def data_file(name: str) -> Path:
    """A file shipped inside the package (zone template, launcher source)."""
    return Path(__file__).parent / "data" / name
