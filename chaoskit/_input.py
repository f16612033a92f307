"""Reading files people write: bounded, decoded strictly, every problem located.

Every loader (experiments, game-day plans, lab configs, zone files, run directories) reads
through :func:`read_text`, so each gets the same answers: a path with a NUL byte, a
directory, a FIFO, a file over :data:`MAX_BYTES`, bytes that are not UTF-8 (UTF-16 named as
such) and NUL bytes are each one :class:`Problem` at its line and column, never a traceback
or a hang. :class:`InputInvalid` carries the problems; the CLI prints one line each, exit 2.
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from chaoskit._errors import InvalidInput

__all__ = [
    "MAX_BYTES",
    "InputInvalid",
    "Problem",
    "line_col",
    "printable",
    "read_text",
    "unusable",
]

MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One problem in one file, as editors and CI annotate them."""

    file: str
    line: int
    col: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{printable(self.file)}:{self.line}:{self.col}"
        return f"{where}: {printable(self.field)}: {printable(self.message)}"


def printable(text: str) -> str:
    """``text`` safe for a terminal and one line: control characters, line breaks and lone
    surrogates written as escapes (a file's bytes never drive the user's terminal)."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape", "backslashreplace").decode()
        for char in text
    )


class InputInvalid(InvalidInput):
    """A file people wrote is wrong; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def line_col(text: str | bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    newline = "\n" if isinstance(text, str) else b"\n"
    line = text.count(newline, 0, offset) + 1  # type: ignore[arg-type]
    start = text.rfind(newline, 0, offset) + 1  # type: ignore[arg-type]
    return line, offset - start + 1


def _refuse(file: str, message: str, line: int = 1, col: int = 1) -> InputInvalid:
    return InputInvalid([Problem(file, line, col, "(file)", message)])


_BOMS = [
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
]  # fmt: skip


def unusable(path: Path, kind: Literal["file", "directory"]) -> str | None:
    """None if ``path`` is a ``kind`` (a regular file, a directory); else why not, to follow
    the path in a sentence: ``does not exist``, ``is a directory, not a file``, or the
    machine's reason (``cannot be used: File name too long``), where ``Path.is_file`` raised."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "does not exist"
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        return f"cannot be used: {getattr(exc, 'strerror', None) or exc}"
    if kind == "directory":
        return None if stat.S_ISDIR(mode) else "is not a directory"
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    return None if stat.S_ISREG(mode) else "is not a regular file"


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of ``path`` (a BOM dropped), or InputInvalid saying why not."""
    file = str(path)
    if "\x00" in file:
        raise _refuse(repr(file)[1:-1], "a path cannot contain a NUL byte")
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _refuse(file, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise _refuse(file, "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(file, "is not a regular file (a pipe or a device cannot be read safely)")
    if info.st_size > max_bytes:
        raise _refuse(file, f"is {info.st_size / 2**20:.1f} MiB; files up to "
                            f"{max_bytes / 2**20:.0f} MiB are read")  # fmt: skip
    try:
        with open(path, "rb") as source:
            data = source.read(max_bytes + 1)
    except OSError as exc:
        raise _refuse(file, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise _refuse(file, f"grew past {max_bytes / 2**20:.0f} MiB while being read")
    return decode(file, data)


def decode(file: str, data: bytes) -> str:
    """``data`` as UTF-8 text; anything else is a located problem."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise _refuse(file, f"is {name} text; save it as UTF-8")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = line_col(data, exc.start)
        byte = data[exc.start]
        raise _refuse(file, f"not UTF-8 text (byte 0x{byte:02x}); chaoskit reads UTF-8 files",
                      line, col) from None  # fmt: skip
    nul = text.find("\x00")
    if nul >= 0:
        line, col = line_col(text, nul)
        raise _refuse(file, "a NUL byte: this is not a text file", line, col)
    return text
