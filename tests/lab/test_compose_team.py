"""A lab file's own compose services: the checks on the team's merged configuration and
the services that put them on the lab network (pure logic; the real thing is in
tests/byo/test_byo_compose.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit._errors import InvalidInput
from chaoskit.lab.compose_team import normalized, team_overrides, team_services
from chaoskit.lab.config import ComposeSettings
from chaoskit.lab.labfile import compose_views
from tests.helpers import run_cli

# xdist: the Docker engine, its images and compose projects, one worker at a time
pytestmark = pytest.mark.xdist_group("docker")

BYO = Path(__file__).resolve().parents[2] / "examples" / "byo" / "chaoskit.yaml"
CONFIG_OUTPUT = """\
services:
  api:
    build: {context: /work/byo/api}
    image: byo/api:dev
  redis:
    image: redis:7
  worker:
    image: byo/worker:dev
version: '3.9'
"""


def test_the_merged_configuration_loses_only_its_version() -> None:
    team = normalized(CONFIG_OUTPUT)
    assert "version" not in team
    assert team["services"]["api"]["build"] == {"context": "/work/byo/api"}


def test_the_teams_services_are_checked_against_chaoskits_and_the_lab_file() -> None:
    team = normalized(CONFIG_OUTPUT)
    wanted = {"api": "api", "cache": "redis"}
    assert team_services(team, {"dns", "toxiproxy"}, wanted) == {"api", "redis", "worker"}
    with pytest.raises(InvalidInput, match="redis, which chaoskit's own compose file"):
        team_services(team, {"dns", "redis"}, wanted)
    with pytest.raises(InvalidInput) as caught:
        team_services(team, set(), {"cache": "valkey"})
    assert str(caught.value) == (
        "cache: the lab file's compose.files define no service 'valkey'; "
        "they define api, redis, worker"
    )


def test_the_lab_files_services_join_the_lab_network_at_their_addresses() -> None:
    settings = ComposeSettings(net="172.31.60", west_net="172.31.160", port_base=25000)
    host, stack = compose_views(BYO, settings)
    found = team_overrides(stack.inside, host, {"api", "redis", "worker"})
    api = found["api"]
    assert api["networks"] == {"lab": {"ipv4_address": "172.31.60.80"}}
    assert api["dns"] == ["172.31.60.54"]
    assert api["ports"] == ["127.0.10.70:8080:8080"]  # published where the lab file says
    assert api["environment"]["LISTEN"] == "172.31.60.80:8080"
    assert found["redis"] == {"networks": {"lab": {"ipv4_address": "172.31.60.100"}}}
    # a service the lab file does not name still reaches the others by their compose names
    assert found["worker"] == {"networks": {"lab": {}}}


LAB_FILE = """\
sample_services: false
services:
  api:
    command: [./api]
    listen: 127.0.33.70:8080
compose:
  files: [docker-compose.yml]
  services: [api]
"""


@pytest.mark.parametrize(
    ("compose_file", "words"),
    [
        ("services:\n  api:\n    image: [oops\n", 'docker-compose.yml", line 3'),
        ("services:\n  api:\n    image: x\n  dns:\n    image: y\n", "define dns, which"),
    ],
    ids=["unreadable", "a-service-named-like-chaoskits"],
)
def test_team_files_compose_refuses_are_an_input_error_before_anything_starts(
    tmp_path: Path, compose_file: str, words: str
) -> None:
    (tmp_path / "chaoskit.yaml").write_text(LAB_FILE)
    (tmp_path / "docker-compose.yml").write_text(compose_file)
    done = run_cli("--state-dir", str(tmp_path / "state"), "up", "--backend", "compose",
                   "--project", "chaoskit-refused", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "state" / "state.json").exists()  # nothing started
