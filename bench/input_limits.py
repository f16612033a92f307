"""Worst-case inputs up to the 10 MiB limit: how long each loader takes, and its peak memory.

    python bench/input_limits.py

Each case is loaded in a fresh interpreter that reports the load's wall time and the
process's peak RSS; the reference, measured in the same run, is the same interpreter after
the same imports, loading nothing. Targets (issue 15): under 2 s and 200 MB for any file up
to 10 MiB, whatever it holds; a bigger file is refused by its size.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
SOA = "$ORIGIN lab.test.\n@ IN SOA ns1 host 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 127.0.10.53\n"
LOADERS = {
    "experiment": "from chaoskit.experiment.load import load_experiment as load",
    "zone": "from chaoskit.dns.zone import load_zone_file as load",
    "lab-config": "from chaoskit.lab.config import load_lab_config as load",
    "run-dir": "from chaoskit.report import load_run as load",
}
PROBE = """
import json, resource, sys, time
from pathlib import Path
{imports}
from chaoskit._errors import InvalidInput
path = Path(sys.argv[1])
started = time.perf_counter()
outcome = "loaded"
if sys.argv[2] == "load":
    try:
        load(path)
    except InvalidInput as exc:
        outcome = "refused: " + str(exc).splitlines()[0].split(": ", 2)[-1][:90]
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"s": seconds, "rss_mb": peak, "outcome": outcome}}))
"""


def cases(work: Path) -> list[tuple[str, str, Path]]:
    """(loader, name, path) for each worst case, written under ``work``."""
    made: list[tuple[str, str, Path]] = []

    def write(loader: str, name: str, content: str, filename: str = "f") -> None:
        path = work / f"{name}.{filename}"
        path.write_text(content)
        made.append((loader, name, path))

    body = 10 * MIB - 64 * 1024  # just under the limit, with room for the rest of the file
    write("experiment", "one 10 MiB title", f"title: {'a' * body}\nmethod: [{{wait: 1s}}]\n")
    step = "  - {wait: 1s}\n"
    write("experiment", "10 MiB of steps", "title: t\nmethod:\n" + step * (body // len(step)))
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    write(
        "experiment",
        "alias bomb (10^9 nodes)",
        "title: t\nmethod: [{wait: 1s}]\n" + "\n".join(bomb),
    )
    write("experiment", "1000-deep flow nesting", "title: t\nx: " + "[" * 999 + "]" * 999 + "\n")
    record = "h{:07d} IN A 127.0.0.9\n"
    lines = "".join(record.format(i) for i in range(body // len(record.format(99999))))
    write("zone", "10 MiB of A records", SOA + lines, "zone")
    below = "".join(record.format(i) for i in range(9_900))
    write("zone", "9,900 A records (under the cap)", SOA + below, "zone")
    write("zone", "$GENERATE of 10^8 names", SOA + "$GENERATE 1-100000000 h$ A 127.0.0.1\n", "zone")
    write("lab-config", "10 MiB of comment", "# " + "x" * body + "\nrecord_ttl: 5\n", "yaml")
    write("experiment", "11 MiB (over the limit)", "title: t\n#" + "x" * (11 * MIB) + "\n")
    run = work / "run"
    run.mkdir()
    source = ROOT / "tests/report/runs/resilient-blackout"
    journal = json.loads((source / "journal.json").read_text())
    journal["description"] = "d" * body
    (run / "journal.json").write_text(json.dumps(journal))
    timeline = (source / "timeline.csv").read_text().splitlines()
    rows = timeline[1:] * (body // sum(len(r) + 1 for r in timeline[1:]))
    (run / "timeline.csv").write_text("\n".join([timeline[0], *rows]) + "\n")
    made.append(("run-dir", "10 MiB journal + 10 MiB timeline", run))
    return made


def measure(loader: str, path: Path, mode: str) -> dict[str, object]:
    code = PROBE.format(imports=LOADERS[loader])
    done = subprocess.run([sys.executable, "-c", code, str(path), mode], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, check=True)  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="chaoskit-input-limits-"))
    print(f"{'loader':<11} {'case':<34} {'load s':>7} {'peak MB':>8} {'ref MB':>7}  outcome")
    for loader, name, path in cases(work):
        reference = measure(loader, path, "nothing")
        result = measure(loader, path, "load")
        print(f"{loader:<11} {name:<34} {result['s']:>7.2f} {result['rss_mb']:>8.0f} "
              f"{reference['rss_mb']:>7.0f}  {result['outcome']}")  # fmt: skip
    print(
        "targets: under 2 s and 200 MB for any file up to 10 MiB (ref: the same imports, no load)"
    )


if __name__ == "__main__":
    main()
