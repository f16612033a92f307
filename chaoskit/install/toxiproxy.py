"""The real Toxiproxy server binary: found on PATH, named by an env var, or go-installed."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from chaoskit.install._run import run_step
from chaoskit.paths import cache_dir

__all__ = ["INSTALL_COMMAND", "TOXIPROXY_VERSION", "find_toxiproxy", "install_toxiproxy"]

TOXIPROXY_VERSION = "v2.12.0"
MODULE = f"github.com/Shopify/toxiproxy/v2/cmd/server@{TOXIPROXY_VERSION}"
INSTALL_COMMAND = "chaoskit install toxiproxy"
ENV_VAR = "CHAOSKIT_TOXIPROXY_BIN"


def _cached_binary() -> Path:
    return cache_dir() / "bin" / "toxiproxy-server"


def find_toxiproxy() -> Path | None:
    """``$CHAOSKIT_TOXIPROXY_BIN`` when set (even if it points nowhere), then PATH, then cache."""
    named = os.environ.get(ENV_VAR)
    if named:
        path = Path(named)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    on_path = shutil.which("toxiproxy-server")
    if on_path:
        return Path(on_path)
    cached = _cached_binary()
    return cached if cached.is_file() else None


def install_toxiproxy() -> Path:
    """``go install`` Toxiproxy's server and keep it as ``toxiproxy-server`` in the cache."""
    target = _cached_binary()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chaoskit-gobin-") as gobin:
        env = {**os.environ, "GOBIN": gobin, "GOFLAGS": "-buildvcs=false"}
        run_step(["go", "install", MODULE], "installing toxiproxy", 900, env=env)
        shutil.move(str(Path(gobin) / "server"), target)
    target.chmod(0o755)
    return target
