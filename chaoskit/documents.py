"""What a YAML file people wrote is meant to be, from its top-level keys: an experiment, a
lab file or a game-day plan, so that ``chaoskit validate`` checks each as what it is."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from chaoskit._errors import ChaoskitError
from chaoskit._input import read_text
from chaoskit._yaml import YamlMap, load_yaml
from chaoskit.paths import LAB_FILE_NAMES

__all__ = [
    "DocumentKind", "compose_file", "document_kind", "evident_kind", "given_as",
    "what_else", "yaml_files_in",
]  # fmt: skip

DocumentKind = Literal["experiment", "lab file", "game-day plan"]


def document_kind(path: Path) -> DocumentKind:
    """A lab file or a game-day plan when it has keys only they have and none only an
    experiment has (or, for a lab file, is named as one: an empty one is the sample stack);
    else, and for a file that cannot be read, an experiment, whose own check says what is
    wrong."""
    return evident_kind(path) or "experiment"


def evident_kind(path: Path) -> DocumentKind | None:
    """What ``path`` is by the keys only that kind has (a lab file also by its name); None
    when it cannot be read or its keys do not say (only shared or unknown ones)."""
    from chaoskit.experiment.model import Experiment
    from chaoskit.gameday.model import GameDayPlan
    from chaoskit.lab.labfile import LabFile

    try:
        root = load_yaml(read_text(path), str(path))
    except (ChaoskitError, OSError):
        return None
    keys = set(root) if isinstance(root, YamlMap) else set()
    experiment, lab = set(Experiment.model_fields), set(LabFile.model_fields)
    plan = set(GameDayPlan.model_fields)
    if keys & (experiment - lab - plan):
        return "experiment"
    if keys & (plan - experiment - lab):
        return "game-day plan"
    if keys & (lab - experiment - plan) or path.name in LAB_FILE_NAMES:
        return "lab file"
    return None


def yaml_files_in(directory: Path) -> list[Path]:
    """Every ``*.yaml`` and ``*.yml`` in ``directory`` (not below it), sorted: each is read,
    or named as a problem; one passed over in silence (a dangling link, a pipe, the other
    spelling) would leave a check green without it."""
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def compose_file(path: Path) -> bool:
    """Whether ``path`` is named as Docker Compose names its files (``compose.yaml``,
    ``docker-compose.yml``, an override such as ``docker-compose.override.yml``): a lab's
    directory holds one beside its lab file (its ``compose.files``)."""
    first_part = path.name.split(".", 1)[0]
    return path.suffix in (".yaml", ".yml") and first_part in ("compose", "docker-compose")


def what_else(path: Path, wanted: DocumentKind) -> str | None:
    """What ``path`` is (``a lab file``, ``a Docker Compose file``...) when it is not what
    was ``wanted``; None when it is, or when its keys do not say (its own check will)."""
    if compose_file(path):
        return "a Docker Compose file"
    kind = evident_kind(path)
    if kind is None or kind == wanted:
        return None
    return "an experiment" if kind == "experiment" else f"a {kind}"


_USE = {
    "an experiment": "run it with chaoskit run {path}",
    "a lab file": "give it with --lab: chaoskit --lab {path} {command}",
    "a game-day plan": "walk it with chaoskit gameday run {path}",
    "a Docker Compose file": "a lab file names it under compose.files",
}


def given_as(path: Path, wanted: DocumentKind) -> str | None:
    """A file given where a ``wanted`` was, said as what it is and what to do with it
    (``is a lab file, not an experiment: give it with --lab: …``); None when it is one."""
    other = what_else(path, wanted)
    if other is None:
        return None
    command = "run EXPERIMENT" if wanted == "experiment" else "gameday run PLAN"
    use = _USE[other].format(path=path, command=command)
    return f"is {other}, not {'an' if wanted == 'experiment' else 'a'} {wanted}: {use}"
