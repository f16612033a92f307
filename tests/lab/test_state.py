"""The lab's state file read back: what chaoskit wrote, else one error naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaoskit._errors import InvalidInput
from chaoskit.lab.state import ComponentRecord, LabState
from tests.helpers import run_cli


def _saved_with(tmp_path: Path, **record: object) -> Path:
    dns = ComponentRecord(name="dns", pid=4242, create_time=1.5, endpoint="127.0.10.53:5353")
    LabState(components={"dns": dns}).save(tmp_path)
    path = LabState.path(tmp_path)
    document = json.loads(path.read_text())
    document["components"]["dns"].update(record)
    path.write_text(json.dumps(document))
    return path


def test_a_state_file_read_back_is_the_state_saved(tmp_path: Path) -> None:
    _saved_with(tmp_path)
    loaded = LabState.load(tmp_path)
    assert loaded is not None and loaded.components["dns"].pid == 4242


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"pid": -1}, "components.dns.pid"),  # was psutil's ValueError, a traceback
        ({"pid": 0}, "components.dns.pid"),
        ({"create_time": 1e400}, "components.dns.create_time"),  # JSON's Infinity
        ({"stop_timeout_s": 1e308}, "components.dns.stop_timeout_s"),  # down would wait on
    ],
)
def test_a_damaged_component_record_is_one_error_naming_it(
    tmp_path: Path, record: dict[str, object], field: str
) -> None:
    path = _saved_with(tmp_path, **record)
    with pytest.raises(InvalidInput, match=f"the lab's state file is damaged \\({field}: "):
        LabState.load(tmp_path)
    done = run_cli("--state-dir", str(tmp_path), "status")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"error: {path}: the lab's state file is damaged ({field}:")
