"""A container's health check: exit 0 when its service answers /health.

Run inside the chaoskit image, where the image has no curl: ``python3 -m
chaoskit.services.healthcheck``. It asks ``CHAOSKIT_HEALTH_URL`` (the compose file gives each
service its own) and imports nothing heavy: Docker runs it every second, and a check that
spends its timeout importing the services' dependencies on two busy cores marks a serving
container unhealthy (``docker compose up`` then refuses to start what depends on it).
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    url = os.environ.get("CHAOSKIT_HEALTH_URL")
    if not url:
        print("unhealthy: CHAOSKIT_HEALTH_URL is not set", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
