"""Where chaoskit keeps lab state and cached downloads."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["LAB_FILE_NAME", "cache_dir", "data_file", "find_lab_file", "state_dir"]

LAB_FILE_NAME = "chaoskit.yaml"


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


def find_lab_file(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """``--lab`` / ``CHAOSKIT_LAB`` when given, else ``chaoskit.yaml`` in the directory."""
    if explicit is not None:
        return explicit
    found = (cwd or Path.cwd()) / LAB_FILE_NAME
    return found if found.is_file() else None
