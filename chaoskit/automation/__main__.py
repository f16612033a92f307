"""``python -m chaoskit.automation STATE_DIR --mode legacy|safe [--until EPOCH]``: the DNS
automation as a process. It restores the record as the zone has it when it ends, whether
by SIGTERM, at ``--until``, or because its parent died (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from pathlib import Path
from types import FrameType

from chaoskit.automation.live import LiveAutomation
from chaoskit.lab.state import LabState


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m chaoskit.automation")
    parser.add_argument("state_dir", type=Path)
    parser.add_argument("--mode", choices=("legacy", "safe"), required=True)
    parser.add_argument("--until", type=float, default=None, help="Epoch seconds to stop at.")
    parser.add_argument("--plan-interval", type=float, default=1.0)
    parser.add_argument("--cleanup-wait", type=float, default=0.05)
    args = parser.parse_args()
    saved = LabState.load(args.state_dir)
    if saved is None:
        raise SystemExit(f"no lab in {args.state_dir}")
    automation = LiveAutomation(
        args.state_dir, saved.config, args.mode,
        plan_interval_s=args.plan_interval, cleanup_wait_s=args.cleanup_wait,
    )  # fmt: skip

    def stop(_signum: int, _frame: FrameType | None) -> None:
        automation.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.until is not None:
        remaining = max(0.0, args.until - time.time())
        timer = threading.Timer(remaining, automation.stop.set)
        timer.daemon = True
        timer.start()
    try:
        automation.run()
    finally:
        automation.restore()
        automation.admin.close()


if __name__ == "__main__":
    main()
