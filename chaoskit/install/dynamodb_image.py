"""The build context of a DynamoDB Local image made from the Maven Central jars.

Laid out like ``amazon/dynamodb-local``: ``DynamoDBLocal_lib/`` with every jar and the
sqlite4java native libraries, and a ``DynamoDBLocal.jar`` whose manifest names the main class
and the jars beside it, so ``java -jar DynamoDBLocal.jar -inMemory`` works in both images.

    python -m chaoskit.install.dynamodb_image CONTEXT_DIR
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

from chaoskit.install.dynamodb_local import find_dynamodb_local, install_dynamodb_local

__all__ = ["manifest", "write_context", "write_launcher"]

MAIN_CLASS = "com.amazonaws.services.dynamodbv2.local.main.ServerRunner"
LIB = "DynamoDBLocal_lib"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry


def _wrapped(header: str) -> str:
    """One manifest header in lines of at most 72 bytes, continued with a leading space."""
    lines = [header[:72]]
    rest = header[72:]
    while rest:
        lines.append(" " + rest[:71])
        rest = rest[71:]
    return "\r\n".join(lines) + "\r\n"


def manifest(jars: list[str]) -> str:
    class_path = " ".join(f"{LIB}/{jar}" for jar in sorted(jars))
    return (
        _wrapped("Manifest-Version: 1.0")
        + _wrapped(f"Main-Class: {MAIN_CLASS}")
        + _wrapped(f"Class-Path: {class_path}")
        + "\r\n"
    )


def write_context(context: Path) -> Path:
    install = find_dynamodb_local() or install_dynamodb_local()
    lib = context / LIB
    if context.exists():
        shutil.rmtree(context)
    lib.mkdir(parents=True)
    jars = [jar.name for jar in install.lib.glob("*.jar")]
    for jar in install.lib.glob("*.jar"):
        shutil.copy2(jar, lib / jar.name)
    for native in install.native.glob("*.so"):
        shutil.copy2(native, lib / native.name)
    write_launcher(context / "DynamoDBLocal.jar", jars)
    return context


def write_launcher(path: Path, jars: list[str]) -> None:
    """A jar of only a manifest; the same jars give the same bytes (a fixed date), so
    Docker's layer cache keeps the image rather than building it again on every call."""
    with zipfile.ZipFile(path, "w") as launcher:
        launcher.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", FIXED_DATE), manifest(jars))


if __name__ == "__main__":
    print(write_context(Path(sys.argv[1])))
