"""A file written whole replaces the old one only once it is complete, and a write that
fails (a full disk) leaves the old file and no temporary one."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from chaoskit._whole_files import write_whole


def test_the_new_file_replaces_the_old(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_text("old")
    assert write_whole(path, lambda tmp: tmp.write_text("new")) == path
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["journal.json"]


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text("old")

    def half_then_full(tmp: Path) -> None:
        tmp.write_text("half a rep")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_whole(path, half_then_full)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
