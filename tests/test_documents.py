"""What a YAML file is meant to be, from its keys: ``chaoskit validate`` checks it as that."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.documents import compose_file, document_kind


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("x.yaml", "title: t\nmethod: []\n", "experiment"),
        ("x.yaml", "load: {users: 1}\n", "experiment"),  # a key both have: an experiment's
        ("x.yaml", "zone: lab.test\nload: {users: 1}\n", "lab file"),
        ("x.yaml", "title: t\nsteps: []\n", "game-day plan"),
        ("x.yaml", "zone: lab.test\nmethod: []\n", "experiment"),  # its check names 'zone'
        ("chaoskit.yml", "# only comments: the sample stack\n", "lab file"),
        ("chaoskit.yaml", "load: {host: 'http://127.0.0.1:8080'}\n", "lab file"),
        ("x.yaml", "# only comments\n", "experiment"),
        ("x.yaml", "[1, 2]\n", "experiment"),
        ("x.yaml", "title: [unclosed\n", "experiment"),  # its check says where
    ],
)
def test_a_file_is_what_its_keys_say(tmp_path: Path, name: str, text: str, kind: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert document_kind(path) == kind


def test_a_file_that_cannot_be_read_is_left_to_the_experiment_check(tmp_path: Path) -> None:
    assert document_kind(tmp_path / "missing.yaml") == "experiment"
    assert document_kind(tmp_path) == "experiment"


@pytest.mark.parametrize(
    ("name", "compose"),
    [
        ("docker-compose.yml", True), ("compose.yaml", True),
        ("docker-compose.override.yml", True), ("compose-experiment.yaml", False),
        ("chaoskit.yaml", False), ("docker-compose.txt", False),
    ],
)  # fmt: skip
def test_compose_files_are_known_by_name(name: str, compose: bool) -> None:
    assert compose_file(Path(name)) is compose
