"""Recovery-time accuracy: a scripted DNS outage of exactly N seconds, measured by the engine.

    python bench/recovery_accuracy.py [--seconds 5] [--runs 3]

The lab (on 127.0.22.0/24, TTL 0 on the DynamoDB records) runs every service naive, so the
client (the recorder's probe client at 50 Hz, through gateway -> orders -> DynamoDB by name)
fails the moment the record is blank and succeeds the moment it is back. The engine's
``client_outage_s`` (request resolution) and ``outage_s`` (sample resolution) are printed
beside N and the fault's own injected->reverted time. Target: within +-100 ms of N.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaoskit.lab import LabConfig, LocalLab

EXPERIMENT = """title: recovery accuracy
steady_state:
  slo: {{error_rate_below: 0.01, p95_below_ms: null, window: 200ms}}
sample_hz: 50
method:
  - at: 2s
    fault: dns.blank
    target: dynamodb.us-east-1.lab.test
    duration: {seconds}s
  - at: {after}s
    wait: 1s
recovery: {{consecutive_samples: 10, timeout: 20s}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chaoskit-bench-recovery-"))
    config = LabConfig.on_subnet("127.0.22").model_copy(update={"record_ttl": 0})
    lab = LocalLab(work / "state", config)
    lab.up()
    experiment = work / "accuracy.yaml"
    experiment.write_text(EXPERIMENT.format(seconds=args.seconds, after=2 + args.seconds))
    rows = []
    try:
        for i in range(args.runs):
            out = work / f"reports-{i}"
            subprocess.run(
                [sys.executable, "-m", "chaoskit", "--state-dir", str(work / "state"), "run",
                 str(experiment), "--out", str(out)],
                check=False, capture_output=True, timeout=180,
            )  # fmt: skip
            (run_dir,) = out.iterdir()
            journal = json.loads((run_dir / "journal.json").read_text())
            fault = journal["faults"][0]
            metrics = journal["metrics"]
            rows.append(
                (fault["reverted_t"] - fault["injected_t"], metrics["client_outage_s"],
                 metrics["outage_s"], metrics["time_to_recover_from_revert_s"])
            )  # fmt: skip
    finally:
        lab.down()
    print(f"scripted outage N = {args.seconds:.3f} s (dns.blank, TTL 0, naive client at 50 Hz)")
    print(f"{'run':>3} {'fault held s':>13} {'client outage s':>16} {'error':>8} "
          f"{'sampled outage s':>17} {'recover after revert s':>23}")  # fmt: skip
    for i, (held, client, sampled, recover) in enumerate(rows):
        error = "n/a" if client is None else f"{(client - args.seconds) * 1000:+.0f} ms"
        print(f"{i:>3} {held:>13.3f} {client!s:>16} {error:>8} {sampled:>17.3f} {recover!s:>23}")


if __name__ == "__main__":
    main()
