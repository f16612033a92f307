"""The lab file: what it builds, and a corpus of broken files, each with its line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit._input import InputInvalid
from chaoskit.lab import catalogue
from chaoskit.lab.config import ComposeSettings
from chaoskit.lab.labfile import compose_views, find_lab_file, lab_config_from_file
from chaoskit.lab.starter import STARTER
from tests.helpers import run_cli

BROKEN = Path(__file__).parent / "labfiles"
BYO = Path(__file__).resolve().parents[2] / "examples" / "byo" / "chaoskit.yaml"

# file -> (line, field, words the message must hold)
EXPECTED = {
    "unknown-reference.yaml": (9, "services.api.env.REDIS_ADDR", "${dependencies.rediss.port}"),
    "duplicate-name.yaml": (5, "services.api", "also dependencies.api"),
    "duplicate-address.yaml": (8, "services.api.listen", "also dependencies.redis.upstream"),
    "public-address.yaml": (3, "dependencies.redis.upstream.host", "neither loopback nor private"),
    "unspecified-address.yaml": (4, "services.api.listen.host", "unspecified address"),
    "no-upstream.yaml": (2, "dependencies.redis", "needs upstream"),
    "bad-name.yaml": (2, "dependencies.Redis_Cache", "not a component name"),
    "reserved-name.yaml": (2, "dependencies.dns", "lab's own components"),
    "unknown-key.yaml": (4, "dependencies.redis.helth", "unknown key 'helth'"),
    "bad-health.yaml": (
        5,
        "services.api.health",
        "expected tcp (the port accepts a connection) or http:/PATH",
    ),
    "bad-host-port.yaml": (3, "dependencies.redis.upstream", "expected HOST:PORT"),
    "proxy-on-service-address.yaml": (8, "services.api.listen", "also dependencies.redis's proxy"),
    "dynamodb-with-upstream.yaml": (5, "dependencies.ddb.upstream", "takes no upstream"),
    "top-level-zone.yaml": (1, "zone", "is a top-level domain"),
    "bad-zone.yaml": (1, "zone", "not a domain name of DNS labels"),
    "zone-file-overlaps.yaml": (4, "zone_files[0]", "overlaps the lab zone corp.test."),
    "compose-unknown-service.yaml": (6, "compose.services[0]", "no service 'web'"),
    "not-a-mapping.yaml": (1, "(file)", "a lab file is a mapping"),
    "empty-command.yaml": (3, "services.api.command", "at least 1 item"),
    "command-number.yaml": (3, "services.api.command[2]", "got the number 8080: quote it"),
    "bad-timeout.yaml": (5, "services.api.start_timeout", "expected a duration"),
    "duplicate-region.yaml": (6, "dependencies.east-again.dynamodb.region", "also dependency"),
    "duplicate-key.yaml": (5, "services.api", "given twice"),
    "dns-attach-with-zone-files.yaml": (4, "zone_files", "serves the zones it was started with"),
    "dns-attach-without-admin.yaml": (3, "dns", "missing required key 'admin'"),
    "lb-without-samples.yaml": (5, "load_balancer", "needs sample_services: true"),
    "lb-replica-name.yaml": (3, "dependencies.gateway-2", "lab's own components"),
    "lb-too-many-replicas.yaml": (2, "load_balancer.replicas", "less than or equal to 16"),
    "lb-on-taken-address.yaml": (4, "dependencies.redis.upstream", "load balancer node 0"),
    "compose-unknown-dependency.yaml": (9, "compose.dependencies.ddb", "no dependency 'ddb' with"),
    "compose-bad-service-port.yaml": (7, "compose.dependencies.redis", "expected SERVICE:PORT"),
    "subnet-out-of-range.yaml": (2, "subnet", "X and Y from 0 to 255"),
    "env-name-with-equals.yaml": (6, "services.api.env.REDIS=ADDR", "cannot name an environment"),
    "env-value-a-list.yaml": (7, "services.api.env.REDIS_HOSTS", "a string, a number or true"),
    "metrics-not-http.yaml": (5, "services.api.metrics", "expected an http:// or https:// URL"),
    "env-reference-unclosed.yaml": (6, "services.api.env.LISTEN", "'${' without its '}'"),
    "load-host-not-http.yaml": (6, "load.host", "URL such as http://127.0.10.70:8080, got '127"),
}
# Valid on the local backend, not on the compose backend.
EXPECTED_ON_COMPOSE = {
    "compose-service-not-listed.yaml": (5, "services.worker", "add 'worker' to compose.services"),
    "compose-loopback-upstream.yaml": (3, "dependencies.redis.upstream", "cannot reach"),
    "compose-proxy-port-taken.yaml": (2, "dependencies.cache", "also a DynamoDB region's proxy"),
    "compose-listen-on-published-port.yaml": (
        4,
        "services.api.listen",
        "also the lab DNS server's published port",
    ),
    "compose-zone-files.yaml": (2, "zone_files", "for the local backend"),
    "compose-region-missing.yaml": (
        4,
        "dependencies.ddb.dynamodb.region",
        "the compose backend has DynamoDB Local for",
    ),
}


def test_the_corpus_is_covered() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(
        [*EXPECTED, *EXPECTED_ON_COMPOSE]
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_broken_lab_file_is_one_problem_at_its_line(name: str) -> None:
    with pytest.raises(InputInvalid) as caught:
        lab_config_from_file(BROKEN / name)
    _assert_problem(caught.value, EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED_ON_COMPOSE))
def test_a_lab_file_the_compose_backend_cannot_hold_is_one_problem_at_its_line(
    name: str,
) -> None:
    lab_config_from_file(BROKEN / name)  # the local backend holds it
    with pytest.raises(InputInvalid) as caught:
        compose_views(BROKEN / name, ComposeSettings())
    _assert_problem(caught.value, EXPECTED_ON_COMPOSE[name])


def _assert_problem(error: InputInvalid, expected: tuple[int, str, str]) -> None:
    line, field, words = expected
    found = [p for p in error.problems if p.field == field]
    assert found, [str(p) for p in error.problems]
    assert found[0].line == line, str(found[0])
    assert words in found[0].message, str(found[0])


def test_the_cli_says_every_problem_and_exits_2_with_no_traceback(tmp_path: Path) -> None:
    done = run_cli("--state-dir", str(tmp_path), "--lab", str(BROKEN / "unknown-reference.yaml"),
                   "up", "--backend", "local")  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "unknown-reference.yaml:9:" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "state.json").exists()  # nothing started


def test_the_byo_lab_file_builds_the_catalogue() -> None:
    config = lab_config_from_file(BYO)
    assert not config.sample_services
    assert catalogue.service_names(config) == ["api"]
    assert [p.name for p in catalogue.proxies(config)] == ["dynamodb-us-east-1", "redis"]
    assert catalogue.lab_records(config) == [
        ("dynamodb.us-east-1.lab.test.", "127.0.10.11"),
        ("redis.lab.test.", "127.0.10.100"),
    ]
    assert catalogue.process_targets(config) == [
        "dns", "resolver", "toxiproxy", "dynamodb-us-east-1", "redis", "api",
    ]  # fmt: skip
    api = config.apps[0]
    assert api.env["REDIS_ADDR"] == "redis.lab.test:6390"
    assert api.env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://dynamodb.us-east-1.lab.test:8000"
    assert api.env["LISTEN"] == "127.0.10.70:8080"
    assert Path(api.cwd) == BYO.parent / "api"
    assert config.load_host == "http://127.0.10.70:8080"
    assert catalogue.probe_url(config, "/unused") == "http://127.0.10.70:8080/count"
    assert catalogue.metrics_urls(config) == {"api": "http://127.0.10.70:8080/metrics"}


def test_the_byo_lab_file_on_the_compose_backend_as_the_host_and_the_containers_see_it() -> None:
    settings = ComposeSettings(net="172.31.60", west_net="172.31.160", port_base=25000)
    host, stack = compose_views(BYO, settings)
    inside = stack.inside
    assert stack.files == [str(BYO.parent / "docker-compose.yml")]
    assert stack.containers == {"api": "api", "redis": "redis"}
    # the controller: the lab's own components published on 127.0.0.1, the API where the
    # lab file says it listens (published there), the load and the metrics through it
    assert host.dns.host == "127.0.0.1" and host.dns.port == 25053
    assert host.apps[0].listen.host == "127.0.10.70"
    assert host.load_host == "http://127.0.10.70:8080"
    assert catalogue.metrics_urls(host) == {"api": "http://127.0.10.70:8080/metrics"}
    assert catalogue.process_targets(host) == [
        "dns", "resolver", "toxiproxy", "dynamodb-us-east-1", "redis", "api",
    ]  # fmt: skip
    # the containers: the API at its fixed address, Redis behind Toxiproxy's lab address on
    # the port it has on the local backend, so the env is the same but for the addresses
    api = inside.apps[0]
    assert api.listen.host == "172.31.60.80"
    assert api.env["LISTEN"] == "172.31.60.80:8080"
    assert api.env["REDIS_ADDR"] == "redis.lab.test:6390"
    assert api.env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://dynamodb.us-east-1.lab.test:8000"
    (redis,) = inside.dependencies
    assert (str(redis.upstream), str(redis.proxy), redis.container) == (
        "172.31.60.100:6379", "172.31.60.2:6390", "redis",
    )  # fmt: skip
    assert catalogue.lab_records(inside) == [
        ("dynamodb.us-east-1.lab.test.", "172.31.60.2"),
        ("redis.lab.test.", "172.31.60.2"),
    ]
    assert [r.component for r in host.regions] == ["dynamodb-us-east-1"]


def test_a_lab_files_own_zone_on_the_compose_backend(tmp_path: Path) -> None:
    path = tmp_path / "chaoskit.yaml"
    path.write_text("zone: corp.test\n")
    host, stack = compose_views(path, ComposeSettings())
    assert host.zone == stack.inside.zone == "corp.test."
    assert [r.record for r in stack.inside.regions] == [
        "dynamodb.us-east-1.corp.test.", "dynamodb.us-west-2.corp.test.",
    ]  # fmt: skip
    assert stack.containers == {}


def test_a_subnet_moves_the_labs_own_components(tmp_path: Path) -> None:
    path = tmp_path / "chaoskit.yaml"
    path.write_text("subnet: 127.0.14\ndependencies:\n  cache:\n    upstream: 127.0.14.61:6390\n")
    config = lab_config_from_file(path)
    assert config.dns.host == "127.0.14.53"
    assert config.sample_services  # no services of its own: the sample stack too
    assert dict(catalogue.lab_records(config))["cache.lab.test."] == "127.0.14.100"
    assert config.services.gateway.host == "127.0.14.30"


def test_escaped_and_environment_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSKIT_TEST_TOKEN", "s3cret")
    path = tmp_path / "chaoskit.yaml"
    path.write_text(
        "services:\n  api:\n    command: [./api]\n    listen: 127.0.10.70:8080\n    env:\n"
        "      TOKEN: ${env.CHAOSKIT_TEST_TOKEN}\n      LITERAL: $${not.a.reference}\n"
        "      DNS: ${lab.resolver}\n"
    )
    env = lab_config_from_file(path).apps[0].env
    assert env == {"TOKEN": "s3cret", "LITERAL": "${not.a.reference}", "DNS": "127.0.10.54:53"}


def test_the_starter_is_a_valid_lab_file(tmp_path: Path) -> None:
    (tmp_path / "chaoskit.yaml").write_text(STARTER)
    config = lab_config_from_file(tmp_path / "chaoskit.yaml")
    assert config.sample_services
    assert [r.component for r in config.regions] == ["dynamodb-us-east-1", "dynamodb-us-west-2"]


def test_init_writes_the_starter_once(tmp_path: Path) -> None:
    assert run_cli("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "chaoskit.yaml").read_text() == STARTER
    again = run_cli("init", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["chaoskit.yaml"]  # no temporary file left


def test_init_into_a_directory_and_not_under_a_file_or_a_missing_one(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    assert run_cli("init", "team", cwd=tmp_path).returncode == 0  # was: "team exists"
    assert (tmp_path / "team" / "chaoskit.yaml").read_text() == STARTER
    (tmp_path / "afile").write_text("x")
    for path, expected in (
        ("afile/chaoskit.yaml", "afile is not a directory"),
        ("nodir/chaoskit.yaml", "nodir does not exist; create it first"),
    ):
        done = run_cli("init", path, cwd=tmp_path)
        assert done.returncode == 2, done.stderr  # was exit 1, the machine's words
        assert done.stderr.strip() == f"error: {path}: {expected}"
    assert not (tmp_path / "nodir").exists() and (tmp_path / "afile").read_text() == "x"


def test_init_of_a_directory_that_does_not_exist_makes_it(tmp_path: Path) -> None:
    """`chaoskit init team` wrote the starter to a file named `team`, as `git init team`
    would not: a name without .yaml or .yml is a directory, made like git makes it."""
    done = run_cli("init", "team", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "team" / "chaoskit.yaml").read_text() == STARTER
    (tmp_path / "afile").write_text("x")
    for path, expected in (
        ("afile", "afile: is a file, neither a lab file (*.yaml, *.yml) nor a directory to "
                  "write chaoskit.yaml into"),
        ("nodir/team", "nodir/team: nodir does not exist; create it first"),
    ):  # fmt: skip
        done = run_cli("init", path, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == f"error: {expected}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "team"]


def test_the_lab_file_is_found_in_the_working_directory(tmp_path: Path) -> None:
    assert find_lab_file(None, tmp_path) is None
    (tmp_path / "chaoskit.yaml").write_text(STARTER)
    assert find_lab_file(None, tmp_path) == tmp_path / "chaoskit.yaml"
    assert find_lab_file(Path("other.yaml"), tmp_path) == Path("other.yaml")


def test_a_directory_given_as_the_lab_is_the_lab_file_in_it(tmp_path: Path) -> None:
    """``chaoskit init DIR`` writes DIR/chaoskit.yaml; ``--lab DIR`` said "is a directory"."""
    (tmp_path / "mine").mkdir()
    assert run_cli("init", "mine", cwd=tmp_path).returncode == 0
    done = run_cli("--lab", "mine", "validate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{Path('mine') / 'chaoskit.yaml'}: ok (lab file)"
    (tmp_path / "empty").mkdir()
    empty = run_cli("--lab", "empty", "validate", cwd=tmp_path)
    assert empty.returncode == 2
    assert empty.stderr.strip() == (
        "error: --lab empty: a directory with no chaoskit.yaml (or chaoskit.yml) in it; "
        "`chaoskit init empty` writes one"
    )


def test_a_lab_file_spelt_yml_is_found_and_both_spellings_are_refused(tmp_path: Path) -> None:
    """``chaoskit.yml`` was not looked for: ``up`` brought up the sample stack instead of the
    team's own services, without a word."""
    (tmp_path / "chaoskit.yml").write_text(STARTER)
    assert find_lab_file(None, tmp_path) == tmp_path / "chaoskit.yml"
    done = run_cli("validate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{tmp_path / 'chaoskit.yml'}: ok (lab file)"
    refused = run_cli("init", cwd=tmp_path)
    assert refused.returncode == 2
    assert "error: chaoskit.yml is the lab file here already" in refused.stderr
    (tmp_path / "chaoskit.yaml").write_text(STARTER)
    both = run_cli("status", cwd=tmp_path)
    assert both.returncode == 2
    assert both.stderr.strip() == (
        f"error: {tmp_path / 'chaoskit.yaml'} and {tmp_path / 'chaoskit.yml'} are both here and "
        "either could be the lab file: keep one, or name it with --lab"
    )
    assert run_cli("--lab", "chaoskit.yml", "validate", cwd=tmp_path).returncode == 0


def test_schema_lab_is_a_json_schema_of_the_keys() -> None:
    import json

    done = run_cli("schema", "lab")
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert {"zone", "dependencies", "services", "compose", "load", "toxiproxy"} <= set(
        schema["properties"]
    )


def test_the_shipped_lab_files_are_valid_under_the_schema_editors_get(tmp_path: Path) -> None:
    """``HOST:PORT`` strings were typed as objects there: an editor flagged every address."""
    import json

    import jsonschema
    import yaml

    schema = json.loads(run_cli("schema", "lab").stdout)
    validator = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in validator.iter_errors(yaml.safe_load(BYO.read_text()))] == []
    wrong = {"services": {"api": {"command": ["./api"], "listen": "127.0.10.70"}}}
    assert [e.json_path for e in validator.iter_errors(wrong)] == ["$.services.api.listen"]


def test_experiments_are_validated_against_the_lab_file(tmp_path: Path) -> None:
    experiment = tmp_path / "e.yaml"
    experiment.write_text(
        "title: t\nmethod:\n  - {at: 0s, fault: toxiproxy.latency, target: redsi, duration: 1s,"
        " params: {latency: 10}}\n  - {at: 0s, fault: process.kill, target: api, duration: 1s}\n"
    )
    done = run_cli(
        "--state-dir", str(tmp_path / "s"), "--lab", str(BYO), "validate", str(experiment)
    )
    assert done.returncode == 2
    assert "e.yaml:3:" in done.stderr and "'redsi' is not a target" in done.stderr
    assert "did you mean 'redis'" in done.stderr
    assert "process.kill" not in done.stderr  # api is a target of this lab


def test_more_dependencies_than_the_subnet_has_addresses_for_is_one_problem(
    tmp_path: Path,
) -> None:
    """156 dependencies was a traceback: the 156th proxy's default address is SUBNET.256."""
    many = "".join(
        f"  d{i}:\n    upstream: 127.0.20.{i % 250 + 1}:{9000 + i}\n" for i in range(156)
    )
    lab_file = tmp_path / "chaoskit.yaml"
    lab_file.write_text("dependencies:\n" + many)
    with pytest.raises(InputInvalid) as caught:
        lab_config_from_file(lab_file)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (1, "dependencies")
    assert "at most 100 items" in problem.message
