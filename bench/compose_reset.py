"""The compose backend's service reset: what every run does first, beside compose's own way.

    python bench/compose_reset.py [--resets 5]

Brings the compose lab up (project ``chaoskit-bench``, 172.31.57.0/24, ports from 27000;
images from ``scripts/compose-images``) and resets the four sample services ``--resets``
times each way, the two alternating: as a run does it (``stop_services`` then ``up``: each
container stopped, started again, healthy), and, as the reference, as compose does it when
each is made anew (``docker compose rm -s -f`` then ``up``, what a run did before). Each
figure runs from the first stop to every service healthy. Then it brings the lab down.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaoskit.lab.compose import ComposeLab
from chaoskit.lab.config import ComposeSettings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ComposeSettings(
    project="chaoskit-bench", net="172.31.57", west_net="172.31.157", port_base=27000
)


def use_local_images() -> None:
    """The images ``scripts/compose-images`` builds (or finds up to date)."""
    built = subprocess.run(
        ["bash", str(ROOT / "scripts" / "compose-images")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    for line in built.stdout.splitlines():
        key, _, value = line.partition("=")
        os.environ[key] = value


def kept(lab: ComposeLab) -> None:
    lab.stop_services()
    lab.up()


def made_anew(lab: ComposeLab) -> None:
    lab.refresh()
    lab.compose("rm", "-s", "-f", *lab.services())
    for name in lab.services():
        lab.state.components.pop(name, None)
    lab.up()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resets", type=int, default=5)
    args = parser.parse_args()
    use_local_images()
    lab = ComposeLab(Path(tempfile.mkdtemp(prefix="chaoskit-compose-reset-")), SETTINGS)
    figures: dict[str, list[float]] = {"reset (kept containers)": [], "reference (made anew)": []}
    lab.up()
    try:
        for _ in range(args.resets):
            for values, reset in zip(figures.values(), (kept, made_anew), strict=True):
                started = time.monotonic()
                reset(lab)
                values.append(time.monotonic() - started)
    finally:
        lab.down()
    print(f"compose service reset, 4 sample services, {args.resets} each (median, then each)")
    for name, values in figures.items():
        each = "  ".join(f"{v:5.2f}" for v in values)
        print(f"{name:<26}{statistics.median(values):6.2f} s   [{each}]")


if __name__ == "__main__":
    main()
