"""One run at a time per lab: the lock, its note, and handing it to a child."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaoskit.lab.lock import LOCK_FD_ENV, LabBusy, LabLock

CHILD = """
import sys
from pathlib import Path
from chaoskit.lab.lock import LabLock
inherited = LabLock.inherited(Path(sys.argv[1]))
print("inherited" if inherited else "not inherited")
"""


def test_a_second_claim_is_refused_with_who_holds_it(tmp_path: Path) -> None:
    first = LabLock(tmp_path).claim("chaoskit run a.yaml")
    with pytest.raises(LabBusy, match=r"the lab is busy: chaoskit run a.yaml \(pid \d+, since"):
        LabLock(tmp_path).claim("chaoskit run b.yaml")
    first.release()
    LabLock(tmp_path).claim("chaoskit run b.yaml").release()


def test_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from chaoskit.lab.lock import LabLock; "
         "LabLock(Path(sys.argv[1])).claim('child'); print('held', flush=True); time.sleep(60)",
         str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(LabBusy):
        LabLock(tmp_path).claim("me")
    holder.kill()
    holder.wait()
    LabLock(tmp_path).claim("me").release()


def test_a_child_can_inherit_the_lock_but_not_forge_it(tmp_path: Path) -> None:
    lock = LabLock(tmp_path).claim("scheduler")
    assert lock.fd is not None
    run = [sys.executable, "-c", CHILD, str(tmp_path)]
    env = {**os.environ, LOCK_FD_ENV: str(lock.fd)}
    handed = subprocess.run(run, env=env, pass_fds=(lock.fd,), capture_output=True, text=True)
    assert handed.stdout.strip() == "inherited"
    not_passed = subprocess.run(run, env=env, capture_output=True, text=True)
    assert not_passed.stdout.strip() == "not inherited"
    lock.release()
