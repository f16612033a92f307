"""``chaoskit suite run`` on a path that holds no suite: said so, before any lab is touched."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli


def test_a_suite_directory_that_is_none_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.yaml").write_text("title: x\n")
    for name, expected in (
        ("missing", "no such directory"),  # it said "no experiments (*.yaml) in it"
        ("file.yaml", "not a directory"),
        ("empty", "no experiments (*.yaml, *.yml) in it"),
    ):
        directory = tmp_path / name
        done = run_cli("--state-dir", str(tmp_path / "state"), "suite", "run", str(directory))
        assert done.returncode == 2
        assert done.stderr.strip() == f"{directory}:1:1: (directory): {expected}"
