"""``python -m chaoskit.services NAME``: run one sample service (settings from the environment)."""

from __future__ import annotations

import sys

from chaoskit.services import SERVICE_MAINS


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in SERVICE_MAINS:
        print(f"usage: python -m chaoskit.services {{{','.join(SERVICE_MAINS)}}}", file=sys.stderr)
        raise SystemExit(2)
    SERVICE_MAINS[sys.argv[1]]()


if __name__ == "__main__":
    main()
