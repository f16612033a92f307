"""DynamoDB Local's CDS archive: the manifest rewrite, and a real JVM that maps the archive
(its classes come from the shared objects file) or, with an archive it cannot use, starts
without it."""

from __future__ import annotations

import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoskit.install.dynamodb_cds import answers, strip_class_path
from chaoskit.install.dynamodb_local import (
    DynamoDBLocalInstall,
    find_dynamodb_local,
    install_dynamodb_local,
    prepare_class_sharing,
)
from tests.helpers import free_port

# xdist: DynamoDB Local's CDS archive in the cache, one worker at a time
pytestmark = pytest.mark.xdist_group("cds-archive")

MANIFEST = (
    "Manifest-Version: 1.0\r\n"
    "Class-Path: . log4j2.xml DynamoDBLocal_lib/a.jar DynamoDBLocal_lib/b\r\n"
    " .jar DynamoDBLocal_lib/c.jar\r\n"
    "Main-Class: com.example.Main\r\n"
    "\r\n"
)


def test_the_copy_loses_its_class_path_and_keeps_every_other_byte(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jar", tmp_path / "out.jar"
    with zipfile.ZipFile(source, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", MANIFEST)
        jar.writestr("com/example/Main.class", b"\xca\xfe\xba\xbe" + bytes(range(256)))
        jar.writestr("log4j2.xml", "<Configuration/>")
    strip_class_path(source, target)
    with zipfile.ZipFile(source) as before, zipfile.ZipFile(target) as after:
        assert after.namelist() == before.namelist()
        manifest = after.read("META-INF/MANIFEST.MF").decode()
        assert manifest == "Manifest-Version: 1.0\r\nMain-Class: com.example.Main\r\n\r\n"
        for name in ("com/example/Main.class", "log4j2.xml"):
            assert after.read(name) == before.read(name)


@pytest.fixture(scope="module")
def install() -> DynamoDBLocalInstall:
    found = find_dynamodb_local() or install_dynamodb_local()
    java = shutil.which("java")
    assert java is not None
    said = prepare_class_sharing(found, java)
    assert "CDS archive" in said and "no CDS" not in said, said
    return found


@pytest.fixture
def serving() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        proc.terminate()
        proc.wait(30)


def _serve(argv: list[str], host: str, port: int, started: list[subprocess.Popen[bytes]]) -> None:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(proc)
    deadline = time.monotonic() + 60
    while not answers(host, port):
        assert proc.poll() is None, f"DynamoDB Local exited ({proc.returncode}): {argv}"
        assert time.monotonic() < deadline, "DynamoDB Local did not answer within 60 s"
        time.sleep(0.05)


def test_dynamodb_local_loads_its_classes_from_the_archive(
    install: DynamoDBLocalInstall, serving: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    java = shutil.which("java") or "java"
    host, port = "127.0.0.1", free_port()
    argv = install.command(java, host, port)
    archive = install.class_sharing(java).archive
    assert f"-XX:SharedArchiveFile={archive}" in argv
    log = tmp_path / "classes.log"
    argv.insert(1, f"-Xlog:class+load=info:file={log}")
    _serve(argv, host, port, serving)
    loaded = log.read_text()
    server = "com.amazonaws.services.dynamodbv2.local.main.ServerRunner"
    line = next(line for line in loaded.splitlines() if f" {server} " in line)
    assert "source: shared objects file (top)" in line, line


def test_an_archive_the_jvm_cannot_use_only_costs_the_speed(
    install: DynamoDBLocalInstall, serving: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    java = shutil.which("java") or "java"
    host, port = "127.0.0.1", free_port()
    garbage = tmp_path / "garbage.jsa"
    garbage.write_bytes(b"not an archive" * 1000)
    argv = [
        f"-XX:SharedArchiveFile={garbage}" if part.startswith("-XX:SharedArchiveFile=") else part
        for part in install.command(java, host, port)
    ]
    _serve(argv, host, port, serving)
