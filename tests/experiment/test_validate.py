"""``chaoskit validate`` on the examples and on a corpus of broken files.

Each broken file's first line says the line it must produce: ``# expect: LINE:COL: ...``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chaoskit.experiment.load import ExperimentInvalid, load_experiment
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "experiments").rglob("*.yaml"))  # lessons/ too


def _validated(
    tmp_path: Path, name: str, text: str
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The experiment ``text`` written to ``tmp_path/name``, and ``chaoskit validate`` of it."""
    experiment = tmp_path / name
    experiment.write_text(text)
    return experiment, run_cli("--state-dir", str(tmp_path), "validate", str(experiment))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 3


def test_examples_validate(tmp_path: Path) -> None:
    done = run_cli("--state-dir", str(tmp_path), "validate", *map(str, EXAMPLES))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok") == len(EXAMPLES)


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_file_gives_its_line(path: Path, tmp_path: Path) -> None:
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    done = run_cli("--state-dir", str(tmp_path), "validate", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith(f"{path}:{expected}"), lines


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad, done = _validated(
        tmp_path, "many.yaml",
        "title: many problems\n"
        "method:\n"
        "  - fault: dns.nope\n    target: x\n    duration: 1s\n"
        "  - fault: toxiproxy.latency\n    target: nowhere\n    duration: 1s\n"
        "    params: {latency: 1}\n",
    )  # fmt: skip
    assert done.returncode == 2
    assert [line.split(": ")[0] for line in done.stderr.strip().splitlines()] == [
        f"{bad}:3:5", f"{bad}:7:5",
    ]  # fmt: skip


def test_run_rejects_an_invalid_file_before_touching_the_lab(tmp_path: Path) -> None:
    done = run_cli("--state-dir", str(tmp_path), "run", str(BROKEN[0]))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "state.json").exists()


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("resolver: sturdy", "3:3: stack.resolver: Input should be 'naive' or 'resilient', got"),
        ("services: {gateway: 5}", "3:14: stack.services.gateway: Input should be 'naive' or"),
        (
            "services:\n    gateway: {profile: resilient, bogus: 1}",
            "4:35: stack.services.gateway.bogus: unknown key 'bogus'",
        ),
        ("load_balancer: yes please", "3:3: stack.load_balancer: Input should be a valid boolean"),
    ],
    ids=["string", "number", "mapping", "neither"],
)
def test_a_value_no_branch_of_a_union_takes_is_one_problem(
    stack: str, expected: str, tmp_path: Path
) -> None:
    """It was two: each branch's complaint, one field named ``...literal['naive','resilient']``."""
    experiment, done = _validated(
        tmp_path, "union.yaml", f"title: union\nstack:\n  {stack}\nmethod:\n  - wait: 1s\n"
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"{experiment}:{expected}"), line


@pytest.mark.parametrize("dry_run", [(), ("--dry-run",)], ids=["run", "dry-run"])
@pytest.mark.parametrize("seconds", ["-5", "0", "nan", "inf", "1e30", "86401"])
def test_run_rejects_a_recovery_timeout_that_is_not_a_positive_number(
    seconds: str, dry_run: tuple[str, ...], tmp_path: Path
) -> None:
    """``nan`` was a traceback once the run had started; ``-5`` ran with no recovery wait;
    ``1e30`` failed the run at once as "Locust sent no results within 30s". A dry run
    printed a plan for each, as if the run would take it."""
    done = run_cli("--state-dir", str(tmp_path), "run", str(ROOT / "experiments" /
                   "dns-blackout.yaml"), "--recovery-timeout", seconds, *dry_run)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join(done.stderr.replace("│", " ").split())
    assert (
        "recovery timeout: expected a positive number of seconds" in said
        or "Invalid value for '--recovery-timeout': " in said
    ), said
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "state.json").exists()


def test_a_recovery_timeout_may_be_written_as_in_experiment_files(tmp_path: Path) -> None:
    done = run_cli("--state-dir", str(tmp_path), "run", str(ROOT / "experiments" /
                   "dns-blackout.yaml"), "--recovery-timeout", "2m", "--dry-run")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "(timeout 120s)" in done.stdout


def test_missing_file(tmp_path: Path) -> None:
    done = run_cli("--state-dir", str(tmp_path), "validate", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2
    assert "cannot read" in done.stderr


def test_schema_is_json_schema_with_every_section(tmp_path: Path) -> None:
    import json

    done = run_cli("schema")
    document = json.loads(done.stdout)
    assert set(document["properties"]) >= {"title", "stack", "steady_state", "load", "method"}
    assert document["required"] == ["title", "method"]


def test_every_example_is_valid_under_the_schema_editors_get() -> None:
    import json

    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(json.loads(run_cli("schema").stdout))
    byo = sorted((ROOT / "examples" / "byo" / "experiments").glob("*.yaml"))
    for path in [*EXAMPLES, *byo]:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], path


def test_dry_run_prints_the_timeline_and_starts_nothing(tmp_path: Path) -> None:
    done = run_cli("--state-dir", str(tmp_path), "run", str(EXAMPLES[0]), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "dry run" in done.stdout
    assert not (tmp_path / "state.json").exists()


def test_run_checks_the_faults_against_the_backend_it_is_given(tmp_path: Path) -> None:
    """``run --backend compose`` of an experiment for any backend with a container fault
    was refused: "container.kill needs backend compose; set stack.backend: compose"."""
    experiment = Path(__file__).parent / "broken" / "container-on-local.yaml"
    state = ["--state-dir", str(tmp_path)]
    on_compose = run_cli(*state, "run", str(experiment), "--backend", "compose", "--dry-run")
    assert on_compose.returncode == 0, on_compose.stderr
    assert "container.kill on orders" in on_compose.stdout
    on_local = run_cli(*state, "run", str(experiment), "--backend", "local", "--dry-run")
    assert on_local.returncode == 2
    assert "container.kill needs backend compose; this stack is local" in on_local.stderr


def test_a_dns_probe_may_ask_any_domain_name_in_the_lab_zone(tmp_path: Path) -> None:
    _, done = _validated(
        tmp_path, "probe.yaml",
        "title: t\nsteady_state:\n  probes:\n"
        "    - {name: srv, type: dns, record: _orders._tcp.lab.test}\n"
        "    - {name: apex, type: dns, record: LAB.TEST.}\n"
        "method:\n  - wait: 1s\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_dns_fault_target_may_be_written_in_any_letter_case(tmp_path: Path) -> None:
    """DNS names are case-insensitive: the fault is on the name, held lower-cased; a proxy's
    name is not a DNS name and is matched as written."""
    _, done = _validated(
        tmp_path, "upper.yaml",
        "title: t\nmethod:\n"
        "  - {fault: dns.blank, target: DynamoDB.US-East-1.Lab.Test., duration: 5s}\n"
        "  - {fault: toxiproxy.latency, target: DynamoDB-us-east-1, duration: 5s,"
        " params: {latency: 100}}\n",
    )  # fmt: skip
    assert done.returncode == 2
    assert "DynamoDB.US-East-1" not in done.stderr
    assert "method[1].target: 'DynamoDB-us-east-1' is not a target of toxiproxy.latency" in (
        done.stderr
    )


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        (
            "  - {at: 1s, fault: process.pause, target: dns, duration: 3s}\n"
            "  - {at: 1s, fault: dns.blank, target: dynamodb.us-west-2.lab.test, duration: 1s}\n",
            True,
        ),
        (
            "  - {at: 1s, fault: dns.blank, target: dynamodb.us-west-2.lab.test, duration: 1s}\n"
            "  - {at: 1s, fault: process.pause, target: dns, duration: 3s}\n",
            False,
        ),
        (
            "  - {at: 1s, fault: process.pause, target: dns, duration: 3s, name: frozen}\n"
            "  - {at: 2s, rollback: frozen}\n"
            "  - {at: 2s, fault: dns.blank, target: dynamodb.us-west-2.lab.test, duration: 1s}\n",
            False,
        ),
        (
            "  - {fault: process.kill, target: dns, duration: 1s}\n"
            "  - {fault: dns.blank, target: dynamodb.us-west-2.lab.test, duration: 1s}\n",
            False,
        ),
        (
            "  - {at: 1s, fault: process.restart, target: dns, duration: 3s}\n"
            "  - {at: 2s, fault: dns.blank, target: dynamodb.us-west-2.lab.test, duration: 1s}\n",
            False,
        ),
        (
            "  - {at: 1s, fault: resolver.down, target: resolver, duration: 3s}\n"
            "  - {at: 2s, fault: resolver.flush, target: resolver, duration: 1s}\n",
            True,
        ),
    ],
    ids=["listed-after-at-one-instant", "listed-first", "rolled-back", "in-sequence", "restart",
         "flush-while-down"],
)  # fmt: skip
def test_a_fault_cannot_go_in_while_its_carrier_is_held_down(
    tmp_path: Path, steps: str, refused: bool
) -> None:
    """Two faults at one instant go in in the order listed; a rollback ends the hold; a
    fault in sequence goes in after the one before it ended; a restart holds nothing down."""
    _, done = _validated(tmp_path, "held.yaml", "title: held down\nmethod:\n" + steps)
    assert done.returncode == (2 if refused else 0), done.stderr
    assert (" down (1s to 4s)" in done.stderr) is refused, done.stderr


def test_a_lab_file_and_a_game_day_plan_are_each_checked_as_what_they_are(tmp_path: Path) -> None:
    """Both were read as experiments: `validate chaoskit.yaml` said `missing required key
    'title'`, `unknown key 'zone'` and a dozen more lines, exit 2. A lab file among the files
    is the lab the experiments are checked against (the byo API is no target of the sample
    stack)."""
    byo = ROOT / "examples" / "byo"
    lab_file, plan = byo / "chaoskit.yaml", byo / "gamedays" / "byo-drill.yaml"
    experiment = byo / "experiments" / "api-killed.yaml"
    done = run_cli(
        "--state-dir", str(tmp_path), "validate", str(plan), str(experiment), str(lab_file)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{lab_file}: ok (lab file)",
        f"{plan}: ok (game-day plan)",
        f"{experiment}: ok",
    ]
    broken = tmp_path / "chaoskit.yml"
    broken.write_text("zone: lab.test\nservices:\n  api: {port: nope}\n")
    done = run_cli("--state-dir", str(tmp_path), "validate", str(broken))
    assert done.returncode == 2
    assert done.stderr.startswith(f"{broken}:3:"), done.stderr


def test_a_directory_is_every_yaml_file_in_it_but_compose_files(tmp_path: Path) -> None:
    """`validate DIR` said `is a directory, not a file`; in a lab's directory its compose
    file is passed over, saying so."""
    byo = ROOT / "examples" / "byo"
    done = run_cli("--state-dir", str(tmp_path), "validate", str(byo), str(byo / "experiments"))
    assert done.returncode == 0, done.stderr
    assert f"{byo / 'docker-compose.yml'}: skipped (a Docker Compose file)" in done.stdout
    assert f"{byo / 'experiments' / 'api-killed.yaml'}: ok" in done.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_cli("--state-dir", str(tmp_path), "validate", str(empty))
    assert done.returncode == 2
    assert done.stderr == f"{empty}:1:1: (directory): no YAML files (*.yaml, *.yml) in it\n"


def test_a_file_that_is_not_an_experiment_is_named_as_what_it_is(tmp_path: Path) -> None:
    """`chaoskit run chaoskit.yaml` (or a game-day step naming a plan) said `missing required
    key 'title'`, `unknown key 'zone'` and more: a line each, none saying what to do."""
    byo = ROOT / "examples" / "byo"
    lab_file, plan = byo / "chaoskit.yaml", byo / "gamedays" / "byo-drill.yaml"
    said = {
        lab_file: f"is a lab file, not an experiment: give it with --lab: chaoskit --lab "
        f"{lab_file} run EXPERIMENT",
        plan: f"is a game-day plan, not an experiment: walk it with chaoskit gameday run {plan}",
        byo / "docker-compose.yml": "is a Docker Compose file, not an experiment: a lab file "
        "names it under compose.files",
    }
    for path, message in said.items():
        with pytest.raises(ExperimentInvalid) as caught:
            load_experiment(path)
        assert [str(p) for p in caught.value.problems] == [f"{path}:1:1: (file): {message}"]
    done = run_cli("--state-dir", str(tmp_path), "run", str(lab_file))
    assert done.returncode == 2
    assert done.stderr.strip() == f"{lab_file}:1:1: (file): {said[lab_file]}"
