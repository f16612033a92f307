"""Which backend a command gets: the lab that is up keeps its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit._errors import InvalidInput
from chaoskit.lab.compose import IMAGE_VARIABLES, ComposeLab
from chaoskit.lab.config import ComposeSettings
from chaoskit.lab.labfile import lab_config_from_file
from chaoskit.lab.local import LocalLab
from chaoskit.lab.open import open_lab
from chaoskit.lab.state import ComponentRecord, LabState


def _saved_compose_lab(state_dir: Path) -> None:
    settings = ComposeSettings(project="saved")
    state = LabState(backend="compose", config=settings.host_config(), compose=settings)
    state.components["dns"] = ComponentRecord(name="dns", endpoint="udp://127.0.0.1:18053")
    state.save(state_dir)


def test_a_lab_that_is_up_keeps_its_backend(tmp_path: Path) -> None:
    _saved_compose_lab(tmp_path)
    lab = open_lab(tmp_path, auto_default="local")
    assert isinstance(lab, ComposeLab) and lab.settings.project == "saved"
    assert isinstance(open_lab(tmp_path, "compose"), ComposeLab)
    with pytest.raises(InvalidInput, match="up on the compose backend"):
        open_lab(tmp_path, "local")


def test_a_start_cut_short_keeps_its_backend(tmp_path: Path) -> None:
    """``up --backend compose`` killed after compose made containers, before it recorded one:
    ``status`` and ``down`` took the state for no lab and opened a local one, so the
    containers ran on, published, with ``down`` saying "nothing was running"."""
    settings = ComposeSettings(project="cut-short")
    LabState(backend="compose", config=settings.host_config(), compose=settings).save(tmp_path)
    lab = open_lab(tmp_path, auto_default="local")
    assert isinstance(lab, ComposeLab) and lab.settings.project == "cut-short"
    assert type(open_lab(tmp_path, "local")) is LocalLab  # asked for: nothing is up to keep


def test_with_nothing_up_the_choice_or_the_default_decides(tmp_path: Path) -> None:
    assert type(open_lab(tmp_path, "local")) is LocalLab
    assert isinstance(open_lab(tmp_path, "compose"), ComposeLab)
    assert type(open_lab(tmp_path, auto_default="local")) is LocalLab


def test_a_compose_lab_remembers_the_images_it_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in IMAGE_VARIABLES:  # only what this test gives, whatever the caller's shell has
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CHAOSKIT_IMAGE", "chaoskit-local/chaoskit:dev")
    lab = ComposeLab(tmp_path, ComposeSettings())
    assert lab.settings.images == {"CHAOSKIT_IMAGE": "chaoskit-local/chaoskit:dev"}


def test_a_lab_files_load_balancer_is_the_compose_labs_too(tmp_path: Path) -> None:
    lab_file = tmp_path / "chaoskit.yaml"
    lab_file.write_text("load_balancer: {replicas: 2}\n")
    lab = open_lab(tmp_path / "state", "compose", config=lab_config_from_file(lab_file))
    assert isinstance(lab, ComposeLab)
    assert lab.config.load_balanced and lab.config.lb.targets() == ["gateway", "gateway-2"]
    assert lab.state.lb_configured == 2  # a run that asks for none puts it back after
    assert str(lab.config.lb.nodes[0]) == "127.0.0.1:18040"  # the published node
    assert lab.inside.lb.replicas[0].host == "172.31.53.60"
    assert lab.config.lab_file == str(lab_file.resolve())  # later commands name the same lab
    lab.set_load_balancer(None)  # as a run that asks for none does, then puts it back
    assert not lab.config.load_balanced and lab.config.lab_file == str(lab_file.resolve())
