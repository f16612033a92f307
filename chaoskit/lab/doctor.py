"""What the lab needs, whether this machine has it, and the command that installs what is not."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from chaoskit.install import DYNAMODB_LOCAL_VERSION, TOXIPROXY_VERSION, dynamodb_local, toxiproxy

__all__ = ["Finding", "diagnose"]

PYTHON_DEPS = (
    "typer", "rich", "dnslib", "dnspython", "uvloop", "aiohttp", "httpx", "pydantic",
    "ruamel.yaml", "psutil", "toxiproxy-python", "boto3",
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One row of the doctor's report."""

    component: str
    found: bool
    required: bool
    version: str = ""
    detail: str = ""
    install: str = ""


def _command_version(argv: list[str], timeout_s: float = 10.0) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    if done.returncode != 0:
        return ""
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def _python_deps() -> Finding:
    missing, versions = [], []
    for dist in PYTHON_DEPS:
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            missing.append(dist)
    return Finding(
        "python packages",
        not missing,
        True,
        version=f"{len(versions)}/{len(PYTHON_DEPS)}",
        detail=("missing: " + ", ".join(missing)) if missing else "",
        install="pip install -e ." if missing else "",
    )


def _tool(binary: str, version_argv: list[str], purpose: str, package: str) -> Finding:
    """An optional tool on PATH, with its version, or the Debian package that provides it."""
    found = shutil.which(binary) is not None
    return Finding(
        binary,
        found,
        required=False,
        version=_command_version(version_argv) if found else "",
        detail=purpose,
        install="" if found else f"apt-get install {package}",
    )


def _resolver_tier() -> list[Finding]:
    """Unbound (the lab resolver, required) and whether system-resolver mode can work here."""
    from chaoskit.lab.config import LabConfig
    from chaoskit.lab.system_resolver import SystemResolver
    from chaoskit.resolver.unbound import unbound_binary

    binary = unbound_binary()
    version = _command_version([binary, "-V"]).splitlines()[0] if binary else ""
    unbound = Finding(
        "unbound",
        binary is not None,
        required=True,
        version=version.removeprefix("Version "),
        detail=binary or "the lab resolver between every client and the lab authority",
        install="" if binary else "apt-get install unbound",
    )
    why = SystemResolver.for_lab(LabConfig().resolver, Path(".")).unavailable
    mode = Finding(
        "system-resolver mode",
        why is None,
        required=False,
        detail="chaoskit exec and dns.resolver=system: a process's own /etc/resolv.conf"
        + ("" if why is None else f"; unavailable: {why}"),
    )
    return [unbound, mode]


def _haproxy() -> Finding:
    """HAProxy: the sample load balancer's data plane (only a lab with one needs it)."""
    from chaoskit.lb.haproxy import haproxy_binary, haproxy_version

    binary = haproxy_binary()
    return Finding(
        "haproxy",
        binary is not None,
        required=False,
        version=haproxy_version(binary).removeprefix("HAProxy ") if binary else "",
        detail="the sample load balancer's data plane (load_balancer: in a lab file)",
        install="" if binary else "apt-get install haproxy",
    )


def _docker() -> list[Finding]:
    client = shutil.which("docker")
    engine = ""
    if client:
        engine = _command_version(["docker", "version", "--format", "{{.Server.Version}}"], 5)
        engine = "" if "error" in engine.lower() or "cannot" in engine.lower() else engine
    compose = _command_version(["docker", "compose", "version", "--short"], 5) if client else ""
    if not compose and shutil.which("docker-compose"):
        compose = _command_version(["docker-compose", "version", "--short"], 5)
    return [
        Finding(
            "docker engine",
            bool(engine),
            False,
            version=engine,
            detail="for the compose backend" + ("" if client else "; no docker client"),
            install="" if engine else "apt-get install docker.io && dockerd &",
        ),
        Finding(
            "docker compose",
            bool(compose),
            False,
            version=compose,
            detail="for the compose backend",
            install="" if compose else "apt-get install docker-compose",
        ),
    ]


def diagnose() -> list[Finding]:
    """Check every component; ``required`` rows that are not ``found`` make the lab unusable."""
    findings = [_python_deps()]
    toxi = toxiproxy.find_toxiproxy()
    findings.append(
        Finding(
            "toxiproxy-server",
            toxi is not None,
            True,
            version=TOXIPROXY_VERSION if toxi else "",
            detail=str(toxi)
            if toxi
            else "not on PATH, not in the cache, or $CHAOSKIT_TOXIPROXY_BIN points nowhere",
            install="" if toxi else toxiproxy.INSTALL_COMMAND,
        )
    )
    findings.extend(_resolver_tier())
    findings.append(_haproxy())
    findings.append(_tool("go", ["go", "version"], "builds toxiproxy-server", "golang-go"))
    java = shutil.which("java")
    findings.append(
        _tool(
            "java",
            ["java", "-version"],
            "runs DynamoDB Local; without it the lab falls back to moto",
            "openjdk-17-jre-headless",
        )
    )
    ddb = dynamodb_local.find_dynamodb_local()
    detail = "jar, sqlite4java native library and launcher"
    if ddb is not None:
        shared = java is not None and ddb.class_sharing(java).archive.is_file()
        detail = f"{ddb.home}; " + (
            "starts from its CDS archive" if shared
            else f"no CDS archive for this java: slower starts ({dynamodb_local.INSTALL_COMMAND})"
        )  # fmt: skip
    findings.append(
        Finding(
            "DynamoDB Local",
            ddb is not None,
            bool(java),
            DYNAMODB_LOCAL_VERSION if ddb else "",
            detail,
            "" if ddb else dynamodb_local.INSTALL_COMMAND,
        )
    )
    try:
        moto = metadata.version("moto")
    except metadata.PackageNotFoundError:
        moto = ""
    findings.append(
        Finding(
            "moto (server mode)",
            bool(moto),
            required=not java,
            version=moto,
            detail="fallback DynamoDB when java is missing",
            install="" if moto else "pip install 'moto[server]'",
        )
    )
    findings.extend(_docker())
    findings.append(_tool("dnsperf", ["dnsperf", "-h"], "DNS benchmark", "dnsperf"))
    findings.append(_tool("dig", ["dig", "-v"], "DNS tests", "dnsutils"))
    findings.append(_tool("kdig", ["kdig", "--version"], "DNS tests", "knot-dnsutils"))
    findings.append(
        _tool("dnsmasq", ["dnsmasq", "--version"], "DNS benchmark reference", "dnsmasq-base")
    )
    return findings
