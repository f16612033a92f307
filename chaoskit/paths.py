"""Where chaoskit keeps lab state and cached downloads."""

from __future__ import annotations

import os
from pathlib import Path

from chaoskit._errors import InvalidInput

__all__ = [
    "LAB_FILE_NAME",
    "cache_dir",
    "data_file",
    "directory_problem",
    "find_lab_file",
    "state_dir",
    "writable_directory",
    "writable_file",
]

LAB_FILE_NAME = "chaoskit.yaml"
LAB_FILE_NAMES = (LAB_FILE_NAME, "chaoskit.yml")
"""The names a lab file is found by in the working directory (the first is what init writes)."""


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
    """``--lab`` / ``CHAOSKIT_LAB`` when given (a directory: the lab file in it, as ``init
    DIR`` writes it), else ``chaoskit.yaml`` (or ``chaoskit.yml``) in the working directory;
    both in one directory is an input error, since either could be the lab."""
    if explicit is not None and not explicit.is_dir():
        return explicit
    folder = explicit if explicit is not None else cwd or Path.cwd()
    found = [folder / name for name in LAB_FILE_NAMES if (folder / name).is_file()]
    if explicit is not None and not found:
        raise InvalidInput(
            f"--lab {explicit}: a directory with no {LAB_FILE_NAME} (or {LAB_FILE_NAMES[1]}) "
            f"in it; `chaoskit init {explicit}` writes one"
        )
    if len(found) > 1:
        raise InvalidInput(
            f"{found[0]} and {found[1]} are both here and either could be the lab file: "
            "keep one, or name it with --lab"
        )
    return found[0] if found else None


def directory_problem(path: Path) -> str | None:
    """Why ``path`` can be no directory chaoskit makes or uses (a file is in the way), or
    None; nothing is made."""
    if path.exists():
        return None if path.is_dir() else "is a file; expected a directory"
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else f"cannot be made: {parent} is a file"
    return None


def writable_directory(path: str | Path, what: str) -> Path:
    """``path`` as a directory chaoskit can write in, made if it is not there yet.

    Called before a command does anything else, so an output path that cannot be one is
    input error (exit 2) naming ``what`` (``--out``), not a traceback half-way through.
    """
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InvalidInput(f"{what} {directory}: is a file; expected a directory") from None
    except OSError as exc:
        raise InvalidInput(f"{what} {directory}: cannot make it: {exc.strerror}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InvalidInput(f"{what} {directory}: not writable")
    return directory


def writable_file(path: str | Path, what: str) -> Path:
    """``path`` as a file chaoskit can write: not a directory, in a directory that is there
    and writable. Checked before a command prints or writes anything, as input error
    (exit 2) naming ``what`` (``--ics``)."""
    file = Path(path)
    if file.is_dir():
        raise InvalidInput(f"{what} {file}: is a directory; expected a file")
    folder = file.parent
    if not folder.is_dir():
        raise InvalidInput(f"{what} {file}: {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK) or (file.exists() and not os.access(file, os.W_OK)):
        raise InvalidInput(f"{what} {file}: not writable")
    return file
