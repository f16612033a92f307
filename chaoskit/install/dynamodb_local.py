"""DynamoDB Local from Maven Central, with its sqlite4java native library and a launcher.

DynamoDB Local listens on every interface and has no option to choose one; the launcher
(``data/LoopbackDynamoDBLocal.java``) starts it bound to the one address the lab gives it.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from chaoskit._errors import MissingDependency
from chaoskit.install._run import run_step
from chaoskit.install.dynamodb_cds import CdsLayout, train_archive
from chaoskit.paths import cache_dir, data_file

__all__ = [
    "DYNAMODB_LOCAL_VERSION",
    "INSTALL_COMMAND",
    "DynamoDBLocalInstall",
    "find_dynamodb_local",
    "install_dynamodb_local",
    "prepare_class_sharing",
]

DYNAMODB_LOCAL_VERSION = "2.6.1"
INSTALL_COMMAND = "chaoskit install dynamodb-local"
LAUNCHER = "LoopbackDynamoDBLocal"
_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.chaoskit</groupId><artifactId>dynamodb-local-fetch</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>com.amazonaws</groupId><artifactId>DynamoDBLocal</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


@dataclass(frozen=True)
class DynamoDBLocalInstall:
    """A complete install: jars, the native library directory and the compiled launcher."""

    home: Path
    version: str = DYNAMODB_LOCAL_VERSION

    @property
    def lib(self) -> Path:
        return self.home / "lib"

    @property
    def native(self) -> Path:
        return self.home / "native"

    @property
    def launcher(self) -> Path:
        return self.home / "launcher"

    def complete(self) -> bool:
        return (
            (self.lib / f"DynamoDBLocal-{self.version}.jar").is_file()
            and any(self.native.glob("libsqlite4java-linux-*.so"))
            and (self.launcher / f"{LAUNCHER}.class").is_file()
        )

    def class_sharing(self, java: str) -> CdsLayout:
        """Where this install keeps its CDS archive for ``java`` (``dynamodb_cds``)."""
        return CdsLayout(self.home / "cds", self.version, java)

    def command(self, java: str, host: str, port: int, archive: bool = True) -> list[str]:
        """The command that serves an in-memory DynamoDB Local on ``host:port`` only; with
        the CDS archive made for ``java`` when there is one (``archive``)."""
        cds = self.class_sharing(java)
        sharing: list[str] = []
        class_path = f"{self.launcher}:{self.lib}/*"
        if cds.jars_ready():
            class_path = ":".join(str(jar) for jar in cds.class_path(self.lib))
            if archive and cds.archive.is_file():
                sharing = [f"-XX:SharedArchiveFile={cds.archive}", "-Xlog:cds=off"]
        return [
            java,
            *sharing,
            f"-Dchaoskit.host={host}",
            f"-Dsqlite4java.library.path={self.native}",
            "-XX:TieredStopAtLevel=1",  # faster JVM start; the lab is not a throughput test
            "-XX:+UseSerialGC",
            "-Xss512k",
            "-cp",
            class_path,
            LAUNCHER,
            "-inMemory",
            "-sharedDb",  # one database whatever region a request is signed for: a DNS
            # failover from one region's endpoint to another finds the same tables
            "-disableTelemetry",
            "-port",
            str(port),
        ]


def _home() -> Path:
    return cache_dir() / "dynamodb-local" / DYNAMODB_LOCAL_VERSION


def find_dynamodb_local() -> DynamoDBLocalInstall | None:
    install = DynamoDBLocalInstall(_home())
    return install if install.complete() else None


def install_dynamodb_local() -> DynamoDBLocalInstall:
    """Fetch the jar and its dependencies with Maven, then compile the launcher with javac."""
    for tool in ("mvn", "javac"):
        if shutil.which(tool) is None:
            raise MissingDependency(
                f"installing DynamoDB Local needs {tool}: "
                "apt-get install maven openjdk-17-jdk-headless"
            )
    install = DynamoDBLocalInstall(_home())
    install.home.mkdir(parents=True, exist_ok=True)
    (install.home / "pom.xml").write_text(_POM.format(version=DYNAMODB_LOCAL_VERSION))
    run_step(
        ["mvn", "-q", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={install.lib}"],
        "fetching DynamoDB Local from Maven Central",
        900,
        cwd=install.home,
    )
    install.native.mkdir(exist_ok=True)
    for native in install.lib.glob("libsqlite4java-linux-*.so"):
        # sqlite4java looks for the plain name first; keep both.
        shutil.copy2(native, install.native / native.name)
        plain = native.name.rsplit("-", 1)[0] + ".so"
        shutil.copy2(native, install.native / plain)
    install.launcher.mkdir(exist_ok=True)
    java_file = install.launcher / f"{LAUNCHER}.java"
    shutil.copy2(data_file(f"{LAUNCHER}.java"), java_file)
    run_step(
        ["javac", "-cp", f"{install.lib}/*", "-d", str(install.launcher), str(java_file)],
        "compiling the DynamoDB Local launcher",
        300,
    )
    if not install.complete():
        raise MissingDependency(f"DynamoDB Local install in {install.home} is incomplete")
    prepare_class_sharing(install, shutil.which("java") or "java")
    return install


def prepare_class_sharing(install: DynamoDBLocalInstall, java: str) -> str:
    """Make the CDS archive for ``java`` unless it exists; what was done, in a few words.
    A failure is not fatal: DynamoDB Local then starts without the archive, as before."""
    cds = install.class_sharing(java)
    if cds.jars_ready() and cds.archive.is_file():
        return f"CDS archive {cds.archive.name}"
    try:
        cds.prepare_jars(install.lib, install.launcher / f"{LAUNCHER}.class")
        train_archive(lambda host, port: install.command(java, host, port, False), cds.archive)
    except (OSError, zipfile.BadZipFile) as exc:
        return f"no CDS archive ({exc}); DynamoDB Local starts without one"
    return f"CDS archive {cds.archive.name} (made now)"
