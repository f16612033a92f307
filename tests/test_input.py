"""Every file chaoskit reads gives exactly one of two outcomes: it loads, or InvalidInput
whose every line starts ``file:line[:col]:`` — never a traceback, a hang or a blow-up.

Three parts: a corpus of broken files per loader (each class the outside corpus found, and
more), the CLI on a sample of them (exit 2, no traceback), and hypothesis feeding each
loader arbitrary bytes and arbitrary YAML documents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaoskit._errors import InvalidInput
from chaoskit._input import unusable
from chaoskit.dns.zone import load_zone_file
from chaoskit.experiment.load import load_experiment
from chaoskit.gameday.load import load_plan
from chaoskit.lab.config import load_lab_config
from chaoskit.report import load_run
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
JOURNAL = (ROOT / "tests/report/runs/resilient-blackout/journal.json").read_text()
TIMELINE = (ROOT / "tests/report/runs/resilient-blackout/timeline.csv").read_text()
OK_STEP = "{fault: dns.blank, target: dynamodb.us-east-1.lab.test, duration: 2s}"
SOA = "$ORIGIN lab.test.\n@ IN SOA ns1 host 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 127.0.10.53\n"
WINDOW = "{start: '2026-12-03 14:00', end: '2026-12-03 16:00', timezone: %s}"
PLAN = (
    "title: t\nwindow: "
    + WINDOW
    + "\nroles: {owner: {name: A}, coordinator: {name: B}, reporter: {name: C}}"
    + "\nsteps:\n  - {name: s, manual: m, timeout: %s}\n"
)


def _bomb() -> str:
    lines = ["a: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    return "title: t\nmethod: [{wait: 1s}]\n" + "\n".join(lines).replace("a: &a0", "a0: &a0") + "\n"


def _deep() -> str:
    return "title: t\nmethod: [{wait: 1s}]\nx: " + "[" * 200 + "]" * 200 + "\n"


def _steps(count: int) -> str:
    return "title: t\nmethod:\n" + "".join(f"  - {{wait: {i}s}}\n" for i in range(count))


# (loader, name, content, first problem: file:LOCATION: and a bit of the message)
EXPERIMENTS: list[tuple[str, bytes | str, str]] = [
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00", r"1:1: \(file\): not UTF-8"),
    ("utf16", "title: t\n".encode("utf-16"), r"1:1: \(file\): is UTF-16"),
    ("latin1", "title: caf\xe9\n".encode("latin-1"), r"1:11: \(file\): not UTF-8"),
    ("nul-on-line-6", "title: t\n#\n#\n#\n#\nmethod: \x00\n", r"6:9: \(file\): a NUL byte"),
    ("deeply-nested", _deep(), r"3:\d+: \(yaml\): nested more than 64"),
    ("alias-bomb", _bomb(), r"\d+:\d+: \(file\): more than 100,000 YAML nodes.*alias"),
    ("too-many-steps", _steps(40_000), r"\d+:\d+: \(file\): more than 100,000 YAML nodes"),
    (
        "nan-duration",
        f"title: t\nmethod: [{OK_STEP[:-13]}duration: .nan}}]\n",
        r"2:\d+: method\[0\]\.duration: .*finite",
    ),
    ("inf-wait", "title: t\nmethod: [{wait: .inf}]\n", r"2:\d+: method\[0\]\.wait: .*finite"),
    (
        "nan-string-threshold",
        f"title: t\nmethod: [{OK_STEP}]\nstop_conditions: [{{name: s, metric: rps, below: nan}}]\n",
        r"3:\d+: stop_conditions\[0\]\.below",
    ),
    (
        "inf-timeout",
        f"title: t\nmethod: [{OK_STEP}]\nrecovery: {{timeout: .inf}}\n",
        r"3:\d+: recovery\.timeout",
    ),
    (
        "slo-window-0",
        f"title: t\nmethod: [{OK_STEP}]\nsteady_state: {{slo: {{window: 0s}}}}\n",
        r"3:\d+: steady_state\.slo\.window",
    ),
    (
        "probability-0",
        f"title: t\nmethod: [{OK_STEP[:-1]}, probability: 0}}]\n",
        r"2:\d+: method\[0\]\.probability",
    ),
    (
        "dns-fault-over-24h",
        f"title: t\nmethod: [{OK_STEP.replace('2s', '86400s')}]\n",
        r"2:\d+: method\[0\]\.duration: a DNS fault lasts at most",
    ),
    (
        "failover-to-nothing",
        "title: t\nmethod:\n  - {fault: dns.failover, target: dynamodb.us-east-1.lab.test, duration: 2s, params: {to: nowhere.lab.test}}\n",
        r"3:\d+: method\[0\]\.params\.to: 'nowhere.lab.test' has no A record",
    ),
    (
        "variant-contradicts-steps",
        "title: t\nstack: {automation: safe}\nvariants: {off: {automation: 'off'}}\nmethod:\n  - {fault: dns.enactor_delay, target: enactor-1, duration: 2s}\n",
        r"3:\d+: variants\.off: variant 'off' makes",
    ),
    (
        "keys-1-and-quoted-1",
        "title: t\nmethod: [{wait: 1s}]\nvariants:\n  1: {}\n  '1': {}\n",
        r"5:3: variants.1: key '1' is given twice",
    ),
    (
        "escape-in-title",
        'title: "\\e[2J\\e[31mred"\nmethod: [{wait: 1s}]\n',
        r"1:8: \(yaml\): a control character \(U\+001B\)",
    ),
    (
        "bell-in-step-name",
        'title: t\nmethod: [{name: "a\\x07", wait: 1s}]\n',
        r"2:\d+: \(yaml\): a control character \(U\+0007\)",
    ),
    (
        "python-tag",
        "title: !!python/object/apply:os.system [ls]\nmethod: [{wait: 1s}]\n",
        r"1:8: \(yaml\): ",
    ),
    (
        "two-documents",
        "title: t\nmethod: [{wait: 1s}]\n---\ntitle: u\n",
        r"3:1: \(yaml\): more than one YAML document",
    ),
    ("a-list", "- title: t\n", r"1:1: \(file\): an experiment is a mapping"),
    ("empty", "", r"1:1: \(file\): an experiment is a mapping"),
    (
        "rollback-later-name",
        f"title: t\nmethod:\n  - {{rollback: x}}\n  - {{name: x, {OK_STEP[1:]}\n",
        r"3:\d+: method\[0\]\.rollback",
    ),
]
PLANS: list[tuple[str, bytes | str, str]] = [
    (
        "tz-directory",
        PLAN % ("America", "5m"),
        r"2:\d+: window\.timezone: .*unknown time zone 'America'",
    ),
    (
        "tz-with-nul-escape",
        PLAN % ('"Europe/Berlin\\0"', "5m"),
        r"2:\d+: \(yaml\): a control character",
    ),
    ("nan-timeout", PLAN % ("UTC", ".nan"), r"5:\d+: steps\[0\]\.timeout"),
    ("utf16-without-bom", (PLAN % ("UTC", "5m")).encode("utf-16-le"), r"1:2: \(file\): a NUL byte"),
]
LAB_CONFIGS: list[tuple[str, bytes | str, str]] = [
    (
        "unspecified-address",
        "dns: {host: 0.0.0.0, port: 5353}\n",
        r"1:\d+: dns\.host: 0\.0\.0\.0 is the unspecified",
    ),
    (
        "ipv6-unspecified",
        "toxiproxy: {host: '::', port: 8474}\n",
        r"1:\d+: toxiproxy\.host: :: is the unspecified",
    ),
    (
        "private-address-locally",
        "toxiproxy: {host: 10.1.2.3, port: 8474}\n",
        r"1:\d+: toxiproxy\.host: 10\.1\.2\.3 is not a loopback",
    ),
    (
        "public-address",
        "toxiproxy: {host: 8.8.8.8, port: 8474}\n",
        r"1:\d+: toxiproxy\.host: .*neither loopback nor private",
    ),
    (
        "same-address-twice",
        "dns: {host: 127.0.10.53, port: 5353}\ntoxiproxy: {host: 127.0.10.53, port: 5353}\n",
        r"2:\d+: toxiproxy\.port: 127\.0\.10\.53:5353 is also dns",
    ),
    (
        "duplicate-regions",
        "regions:\n  - {region: a, record: dynamodb.a.lab.test, server: {host: 127.0.10.21, port: 8000}, proxy: {host: 127.0.10.11, port: 8000}}\n  - {region: a, record: dynamodb.b.lab.test, server: {host: 127.0.10.22, port: 8000}, proxy: {host: 127.0.10.12, port: 8000}}\n",
        r"3:\d+: regions\[1\]\.region: region a is given twice",
    ),
    (
        "slash-in-region",
        "regions:\n  - {region: us/east, record: dynamodb.a.lab.test, server: {host: 127.0.10.21, port: 8000}, proxy: {host: 127.0.10.11, port: 8000}}\n",
        r"2:\d+: regions\[0\]\.region: String should match",
    ),
    (
        "record-outside-the-zone",
        "regions:\n  - {region: a, record: dynamodb.example.com, server: {host: 127.0.10.21, port: 8000}, proxy: {host: 127.0.10.11, port: 8000}}\n",
        r"2:\d+: regions\[0\]\.record: .*not a name in the lab zone",
    ),
    (
        "unknown-key",
        "dsn: {host: 127.0.10.53, port: 5353}\n",
        r"1:1: dsn: unknown key 'dsn' \(did you mean 'dns'\?\)",
    ),
    ("nan-fleet-setting", "fleet: {heartbeat_s: .nan}\n", r"1:\d+: fleet\.heartbeat_s"),
    ("binary", b"\xff\xd8\xff\xe0", r"1:1: \(file\): not UTF-8"),
]
ZONES: list[tuple[str, bytes | str, str]] = [
    ("empty", "", r"1: \(zone\): the zone file has no records"),
    ("cname-loop", SOA + "a IN CNAME b\nb IN CNAME a\n", r"5: \(zone\): CNAME loop"),
    ("two-soas", SOA + "@ IN SOA ns1 host 2 2 3 4 5\n", r"5: \(zone\): a second SOA"),
    (
        "outside-the-origin",
        SOA + "www.example.com. IN A 127.0.0.9\n",
        r"5: \(zone\): www\.example\.com\. is outside",
    ),
    (
        "cname-beside-data",
        SOA + "ns1 IN CNAME x\n",
        r"5: \(zone\): ns1\.lab\.test\. has a CNAME beside",
    ),
    (
        "origin-without-dot",
        "$ORIGIN lab.test\n@ IN SOA ns1 host 1 2 3 4 5\n",
        r"1: \(zone\): \$ORIGIN lab\.test needs the final dot",
    ),
    (
        "unsupported-type",
        SOA + "x IN HINFO a b\n",
        r"5: \(zone\): x\.lab\.test\. HINFO: type not served",
    ),
    (
        "name-over-255",
        SOA + ".".join(["a" * 60] * 5) + " IN A 127.0.0.9\n",
        r"5: \(zone\): the name is longer than 255",
    ),
    (
        "label-over-63",
        SOA + "a" * 64 + " IN A 127.0.0.9\n",
        r"5: \(zone\): a label is longer than 63",
    ),
    (
        "generate-100m",
        SOA + "$GENERATE 1-100000000 h$ A 127.0.0.1\n",
        r"5: \(zone\): \$GENERATE makes more than",
    ),
    ("nul", SOA + "x\x00 IN A 127.0.0.9\n", r"5:2: \(file\): a NUL byte"),
    ("utf16", SOA.encode("utf-16"), r"1:1: \(file\): is UTF-16"),
    ("syntax", SOA + "x IN A not-an-address\n", r"5: "),
]
RUN_DIRS: list[tuple[str, dict[str, bytes | str], str]] = [
    (
        "nan-cell",
        {"timeline.csv": TIMELINE.replace(",0.0,", ",nan,", 1)},
        r"timeline\.csv:\d+: column \w+: expected a finite number, got 'nan'",
    ),
    (
        "inf-cell",
        {"timeline.csv": TIMELINE.replace(",0.0,", ",inf,", 1)},
        r"timeline\.csv:\d+: column \w+: expected a finite",
    ),
    (
        "word-cell",
        {"timeline.csv": TIMELINE.replace(",0.0,", ",lots,", 1)},
        r"timeline\.csv:\d+: column \w+: expected a finite",
    ),
    (
        "zero-rows",
        {"timeline.csv": TIMELINE.splitlines()[0] + "\n"},
        r"timeline\.csv: no samples, yet the journal says the run completed",
    ),
    (
        "nan-in-journal",
        {
            "journal.json": JOURNAL.replace(
                '"method_started_t": ', '"method_started_t": NaN, "x": ', 1
            )
        },
        r"journal\.json:\d+:\d+: method_started_t: expected a finite number",
    ),
    (
        "lone-surrogate-title",
        {"journal.json": JOURNAL.replace('"title": "', '"title": "\\ud800', 1)},
        r"journal\.json:\d+:\d+: experiment\.title: a lone surrogate",
    ),
    (
        "field-error",
        {"journal.json": JOURNAL.replace('"status": "completed"', '"status": 3', 1)},
        r"journal\.json:\d+:\d+: status: Input should be a valid string",
    ),
    (
        "binary-journal",
        {"journal.json": b"\x00\x01\x02"},
        r"journal\.json:1:1: \(file\): a NUL byte",
    ),
    (
        "bad-failures-cell",
        {"timeline.csv": TIMELINE.replace(",{},", ',"{""dns"": ""x""}",', 1)},
        r"timeline\.csv:\d+: column failures: expected whole counts",
    ),
]


def _write(path: Path, content: bytes | str) -> Path:
    path.write_bytes(
        content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
    )
    return path


def _run_dir(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    _write(run / "journal.json", JOURNAL)
    _write(run / "timeline.csv", TIMELINE)
    for name, content in files.items():
        _write(run / name, content)
    return run


def assert_located(exc: InvalidInput, path: Path) -> None:
    for line in str(exc).splitlines():
        assert re.match(rf"^{re.escape(str(path))}(/[\w.]+)?:\d+(:\d+)?: ", line), line


LOADERS: dict[str, tuple[Callable[[Path], Any], str]] = {
    "experiment": (load_experiment, "x.yaml"),
    "plan": (load_plan, "plan.yaml"),
    "lab-config": (load_lab_config, "lab.yaml"),
    "zone": (load_zone_file, "lab.test.zone"),
}
CORPUS = (
    [("experiment", *c) for c in EXPERIMENTS]
    + [("plan", *c) for c in PLANS]
    + [("lab-config", *c) for c in LAB_CONFIGS]
    + [("zone", *c) for c in ZONES]
)


@pytest.mark.parametrize(("loader", "name", "content", "expected"), CORPUS,
                         ids=[f"{c[0]}-{c[1]}" for c in CORPUS])  # fmt: skip
def test_a_broken_file_is_one_located_problem(
    tmp_path: Path, loader: str, name: str, content: bytes | str, expected: str
) -> None:
    load, filename = LOADERS[loader]
    path = _write(tmp_path / filename, content)
    with pytest.raises(InvalidInput) as caught:
        load(path)
    assert_located(caught.value, path)
    first = str(caught.value).splitlines()[0]
    assert re.search(rf"^{re.escape(str(path))}:{expected}", first), first


@pytest.mark.parametrize(("name", "files", "expected"), RUN_DIRS, ids=[c[0] for c in RUN_DIRS])
def test_a_damaged_run_directory_is_one_located_problem(
    tmp_path: Path, name: str, files: dict[str, bytes | str], expected: str
) -> None:
    run = _run_dir(tmp_path, files)
    with pytest.raises(InvalidInput) as caught:
        load_run(run)
    first = str(caught.value).splitlines()[0]
    assert re.search(rf"^{re.escape(str(run))}/{expected}", first), first


def test_the_cli_says_it_in_one_line_with_exit_2(tmp_path: Path) -> None:
    """The user's view of a sample: every command exits 2, prints no traceback."""
    cases = [
        ("validate", _write(tmp_path / "bomb.yaml", _bomb())),
        ("validate", _write(tmp_path / "nul.yaml", "title: t\n\x00")),
        ("validate", _write(tmp_path / "esc.yaml", 'title: "\\e[31m"\nmethod: [{wait: 1s}]\n')),
        ("gameday plan", _write(tmp_path / "tz.yaml", PLAN % ("America", "5m"))),
        ("report", _run_dir(tmp_path, {"timeline.csv": TIMELINE.splitlines()[0] + "\n"})),
        (
            "up --backend local --no-services --config",
            _write(tmp_path / "lab.yaml", "dns: {host: 0.0.0.0, port: 53}\n"),
        ),
        ("dns serve --zone", _write(tmp_path / "e.zone", "")),
    ]
    for command, path in cases:
        done = run_cli(
            "--state-dir", str(tmp_path / "state"), *command.split(), str(path), timeout=60
        )
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and "\x1b[31m" not in done.stderr, done.stderr
        assert done.stderr.strip(), command


_KEYS = st.sampled_from(
    [
        "title",
        "method",
        "fault",
        "target",
        "duration",
        "at",
        "wait",
        "params",
        "variants",
        "steps",
        "window",
        "timezone",
        "roles",
        "owner",
        "name",
        "dns",
        "host",
        "port",
        "regions",
        "region",
        "record",
        "steady_state",
        "slo",
        "stop_conditions",
        "probability",
        "manual",
    ]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "1s",
            "10ms",
            "dns.blank",
            "dynamodb.us-east-1.lab.test",
            "127.0.10.53",
            "UTC",
            "America",
            ".nan",
        ]
    )
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_KEYS | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _only_two_outcomes(load: Callable[[Path], Any], path: Path) -> None:
    try:
        load(path)
    except InvalidInput as exc:
        assert_located(exc, path)


@pytest.mark.parametrize("loader", LOADERS)
@FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_load_or_are_located(tmp_path: Path, loader: str, data: bytes) -> None:
    load, filename = LOADERS[loader]
    _only_two_outcomes(load, _write(tmp_path / filename, data))


@pytest.mark.parametrize("loader", ["experiment", "plan", "lab-config"])
@FUZZ
@given(document=_DOCUMENTS)
def test_arbitrary_yaml_documents_load_or_are_located(
    tmp_path: Path, loader: str, document: Any
) -> None:
    load, filename = LOADERS[loader]
    text = yaml.safe_dump(document, allow_unicode=True)
    _only_two_outcomes(load, _write(tmp_path / filename, text))


@FUZZ
@given(journal=_DOCUMENTS, timeline=st.binary(max_size=200))
def test_arbitrary_run_directories_load_or_are_located(
    tmp_path: Path, journal: Any, timeline: bytes
) -> None:
    run = _run_dir(tmp_path, {"journal.json": json.dumps(journal), "timeline.csv": timeline})
    try:
        load_run(run)
    except InvalidInput as exc:
        for line in str(exc).splitlines():
            assert re.match(rf"^{re.escape(str(run))}(/[\w.]+)?(:\d+)*: ", line), line


def test_a_fifo_or_a_directory_is_refused_without_reading(tmp_path: Path) -> None:
    import os

    from chaoskit._input import read_text

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInput, match="not a regular file"):
        read_text(fifo)  # opening it would block until a writer came
    with pytest.raises(InvalidInput, match="is a directory"):
        read_text(tmp_path)


def test_problems_print_control_characters_as_escapes() -> None:
    from chaoskit._input import Problem

    shown = str(Problem("f\x1b.yaml", 1, 2, "title\r", "bad \x1b[2J \ud800 text"))
    assert shown == "f\\x1b.yaml:1:2: title\\r: bad \\x1b[2J \\ud800 text"


def test_unusable_says_why_a_path_is_not_the_file_or_directory_wanted(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert unusable(tmp_path / "f", "file") is None
    assert unusable(tmp_path, "directory") is None
    assert unusable(tmp_path, "file") == "is a directory, not a file"
    assert unusable(tmp_path / "f", "directory") == "is not a directory"
    assert unusable(tmp_path / "nope", "file") == "does not exist"
    assert unusable(tmp_path / "f" / "under", "file") == "cannot be used: Not a directory"
    assert unusable(tmp_path / ("x" * 300), "directory") == "cannot be used: File name too long"
    assert unusable(Path("/dev/null"), "file") == "is not a regular file"
    assert unusable(Path("a\x00b"), "file") == "cannot be used: embedded null byte"
