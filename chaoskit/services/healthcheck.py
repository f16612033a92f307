"""A container's health check: exit 0 when its service (``CHAOSKIT_SERVICE``) answers /health.

Run inside the chaoskit image, where the image has no curl: ``python3 -m
chaoskit.services.healthcheck``.
"""

from __future__ import annotations

import os
import sys
import urllib.request

from chaoskit.services.base import lab_config_from_env


def main() -> int:
    endpoint = lab_config_from_env().services.of(os.environ["CHAOSKIT_SERVICE"])
    try:
        with urllib.request.urlopen(f"http://{endpoint}/health", timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
