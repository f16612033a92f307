"""What the pytest plugin costs: a fault context manager's enter and exit, and a test that
uses no faults.

    python bench/pytest_overhead.py [--cycles 100] [--tests 300]

A lab without sample services is brought up on 127.0.24.0/24 (not counted). Then, over
``--cycles`` cycles each, for ``dns.blank`` and for a ``toxiproxy.latency`` toxic:

- enter: ``with lab.fault(...)`` until the block starts (validated, lab lock and target claim
  taken, the ledger entry fsync'd, the fault made, and verified in force);
- exit: until the block has ended (reverted, verified, the entry removed);
- reference, in the same run: the bare calls that make and end the same fault (the DNS
  admin API's add and lift; Toxiproxy's add and remove of the toxic), with nothing else.

And the plugin's cost on tests that use no faults: ``--tests`` trivial tests run by pytest
with the plugin and with ``-p no:chaoskit`` (its reference), the difference per test.

Targets (issue 18): enter and exit <= 20 ms each (median and p95); <= 1 ms per test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaoskit.api import Lab

LAB_FILE = """subnet: 127.0.24
sample_services: false
dependencies:
  cache:
    upstream: 127.0.24.61:6390
"""


def _figures(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{label:<34} median {statistics.median(values) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"
    )


def _cycles(
    n: int, enter: Callable[[], object], leave: Callable[[object], None]
) -> tuple[list[float], list[float]]:
    ins, outs = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        handle = enter()
        t1 = time.perf_counter()
        leave(handle)
        t2 = time.perf_counter()
        ins.append(t1 - t0)
        outs.append(t2 - t1)
    return ins, outs


def fault_cycles(lab: Lab, n: int) -> None:
    record = "cache.lab.test"

    def bare_blank() -> object:
        with lab.backend_lab.dns_admin() as admin:
            return admin.add_fault("blank", record, duration_s=60)["id"]

    def bare_lift(fault_id: object) -> None:
        with lab.backend_lab.dns_admin() as admin:
            admin.lift_fault(str(fault_id))

    toxi = lab.backend_lab.toxiproxy()

    def bare_toxic() -> object:
        toxi.add_toxic("cache", "latency", "bench", {"latency": 100})
        return "bench"

    def bare_untoxic(name: object) -> None:
        toxi.remove_toxic("cache", str(name))

    def entered(kind: str, target: str, **params: object) -> Callable[[], object]:
        def enter() -> object:
            fault = lab.fault(kind, target, duration="60s", **params)
            fault.__enter__()
            return fault

        return enter

    def left(fault: object) -> None:
        fault.__exit__(None, None, None)  # type: ignore[attr-defined]

    cases = [
        ("dns.blank", entered("dns.blank", record), left, bare_blank, bare_lift),
        ("toxiproxy.latency", entered("toxiproxy.latency", "cache", latency=100), left,
         bare_toxic, bare_untoxic),
    ]  # fmt: skip
    for name, enter, leave, ref_enter, ref_leave in cases:
        ins, outs = _cycles(n, enter, leave)
        ref_ins, ref_outs = _cycles(n, ref_enter, ref_leave)
        print(_figures(f"{name} fault enter", ins))
        print(_figures("  reference: bare make", ref_ins))
        print(_figures(f"{name} fault exit", outs))
        print(_figures("  reference: bare end", ref_outs))


def plugin_cost(tests: int) -> None:
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / "test_plain.py"
        path.write_text("".join(f"def test_{i}():\n    pass\n\n" for i in range(tests)))

        def session(*extra: str) -> float:
            argv = [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *extra,
                str(path),
            ]
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                subprocess.run(argv, cwd=where, check=True, capture_output=True)
                best = min(best, time.perf_counter() - t0)
            return best

        with_plugin = session()
        without = session("-p", "no:chaoskit")
    per_test = (with_plugin - without) / tests * 1000
    print(f"{tests} tests without faults: {with_plugin:.3f} s with the plugin, {without:.3f} s "
          f"with -p no:chaoskit (reference): {per_test:+.3f} ms per test (best of 3)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--tests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as where:
        lab_file = Path(where) / "chaoskit.yaml"
        lab_file.write_text(LAB_FILE)
        lab = Lab.open(lab_file, state_dir=Path(where) / "state")
        try:
            fault_cycles(lab, args.cycles)
        finally:
            lab.close()
    plugin_cost(args.tests)


if __name__ == "__main__":
    main()
