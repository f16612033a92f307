"""A class-data-sharing archive for DynamoDB Local's JVM, so the lab's DynamoDB starts fast.

A DynamoDB Local start spends most of its time, and about 2 s of CPU, loading, parsing and
verifying the classes it needs before it answers; the lab starts two at once on two cores.
A dynamic CDS archive (JDK 13 and later) holds those classes already parsed and verified,
and every later start maps it. It is made once per java (a training run at install that
serves a few requests of each kind the lab sends, then exits) and cached beside the jars.

The JVM uses the archive only if it was made by the same java for the same class path; a
start that cannot (a JDK upgraded under it) simply loads its classes as before. CDS refuses a
class path holding a non-empty directory, so the launcher is packed into a jar, and DynamoDB
Local's jar, whose manifest puts its own directory on the class path (``Class-Path: .``,
which holds nothing but jars), is used through a copy without that attribute.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CdsLayout", "answers", "strip_class_path", "train_archive"]

TRAINING_TIMEOUT_S = 120.0
_TARGET = "DynamoDB_20120810"
_AUTH = (
    "AWS4-HMAC-SHA256 Credential=chaoskit/20250101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0"
)


@dataclass(frozen=True)
class CdsLayout:
    """Where the archive and the jars it was made for live, for one install and one java."""

    directory: Path
    version: str
    java: str

    @property
    def launcher_jar(self) -> Path:
        return self.directory / "LoopbackDynamoDBLocal.jar"

    @property
    def main_jar(self) -> Path:
        return self.directory / f"DynamoDBLocal-{self.version}.jar"

    @property
    def archive(self) -> Path:
        return self.directory / f"dynamodb-local-{java_identity(self.java)}.jsa"

    def jars_ready(self) -> bool:
        return self.launcher_jar.is_file() and self.main_jar.is_file()

    def class_path(self, lib: Path) -> list[Path]:
        """The launcher, DynamoDB Local, then every other jar of ``lib`` by name: an
        explicit, stable order (the archive is valid only for the class path it was made
        with)."""
        others = sorted(p for p in lib.glob("*.jar") if p.name != self.main_jar.name)
        return [self.launcher_jar, self.main_jar, *others]

    def prepare_jars(self, lib: Path, launcher_class: Path) -> None:
        """The launcher's jar and DynamoDB Local's jar without its ``Class-Path``."""
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.launcher_jar, lambda path: _jar_of(launcher_class, path))
        source = lib / self.main_jar.name
        _write_atomically(self.main_jar, lambda path: strip_class_path(source, path))


def java_identity(java: str) -> str:
    """A short digest of the java binary (its real path, size and time), so a JDK changed
    under the cache gets an archive of its own instead of one it would refuse."""
    real = os.path.realpath(shutil.which(java) or java)
    try:
        stat = os.stat(real)
        key = f"{real}:{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        key = real
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    partial = target.with_name(target.name + ".partial")
    write(partial)
    partial.replace(target)


def _jar_of(class_file: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
        jar.write(class_file, class_file.name)


def strip_class_path(source: Path, target: Path) -> None:
    """Copy the jar ``source`` to ``target`` with its manifest's ``Class-Path`` removed
    (continuation lines included); every other entry is copied byte for byte."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "META-INF/MANIFEST.MF":
                data = _without_class_path(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)


def _without_class_path(manifest: str) -> str:
    kept: list[str] = []
    skipping = False
    for line in manifest.replace("\r\n", "\n").split("\n"):
        if line.startswith("Class-Path:"):
            skipping = True
            continue
        if skipping and line.startswith(" "):
            continue
        skipping = False
        kept.append(line)
    return "\r\n".join(kept)


def train_archive(
    command: Callable[[str, int], list[str]], archive: Path, host: str = "127.0.0.1"
) -> None:
    """Run DynamoDB Local once (``command(host, port)``, without an archive of its own) with
    ``-XX:ArchiveClassesAtExit``: serve a few requests of each kind the lab sends, stop it,
    and keep the archive it wrote on exit. Raises OSError (with the JVM's last words) when
    it did not write one."""
    port = _free_port(host)
    partial = archive.with_name(archive.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    argv = command(host, port)
    argv.insert(1, f"-XX:ArchiveClassesAtExit={partial}")
    log = archive.with_name("training.log")
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
        try:
            _serve_the_lab_requests(host, port, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(TRAINING_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if not partial.is_file() or partial.stat().st_size == 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise OSError(f"the JVM wrote no CDS archive; its log ends: {' | '.join(tail)}")
    partial.replace(archive)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _serve_the_lab_requests(host: str, port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + TRAINING_TIMEOUT_S
    while not answers(host, port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise OSError("DynamoDB Local did not answer during the CDS training run")
        time.sleep(0.05)
    key = {"AttributeName": "id", "KeyType": "HASH"}
    _call(host, port, "CreateTable", {
        "TableName": "training", "KeySchema": [key], "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    })  # fmt: skip
    for i in range(20):
        item = {"id": {"S": f"item-{i}"}, "n": {"N": str(i)}}
        _call(host, port, "PutItem", {"TableName": "training", "Item": item})
        _call(host, port, "GetItem", {"TableName": "training", "Key": {"id": item["id"]}})
    writes = [{"PutRequest": {"Item": {"id": {"S": f"batch-{i}"}}}} for i in range(25)]
    _call(host, port, "BatchWriteItem", {"RequestItems": {"training": writes}})
    _call(host, port, "Scan", {"TableName": "training"})
    _call(host, port, "DescribeTable", {"TableName": "training"})
    _call(host, port, "DescribeTable", {"TableName": "missing"})
    _call(host, port, "ListTables", {})


def answers(host: str, port: int) -> bool:
    """DynamoDB Local at ``host:port`` answers a ListTables."""
    try:
        _call(host, port, "ListTables", {})
        return True
    except OSError:
        return False


def _call(host: str, port: int, operation: str, body: dict[str, object]) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("POST", "/", json.dumps(body), {
            "X-Amz-Target": f"{_TARGET}.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Date": "20250101T000000Z",
            "Authorization": _AUTH,
        })  # fmt: skip
        conn.getresponse().read()
    except (http.client.HTTPException, OSError) as exc:
        raise OSError(f"{operation}: {exc}") from None
    finally:
        conn.close()
