"""The DynamoDB Local image's launcher: a manifest of valid line lengths with every jar on
the path, and the same bytes every time it is written."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

from chaoskit.install.dynamodb_image import MAIN_CLASS, manifest, write_launcher


def _headers(text: str) -> dict[str, str]:
    joined = text.replace("\r\n ", "")  # continuation lines
    return dict(line.split(": ", 1) for line in joined.split("\r\n") if line)


def test_manifest_lines_fit_72_bytes_and_name_every_jar() -> None:
    jars = [f"some-long-library-name-{i}-2.25.50.jar" for i in range(40)]
    text = manifest(jars)
    assert all(len(line.encode()) <= 72 for line in text.split("\r\n"))
    headers = _headers(text)
    assert headers["Main-Class"] == MAIN_CLASS
    assert headers["Class-Path"].split() == [f"DynamoDBLocal_lib/{jar}" for jar in sorted(jars)]
    assert text.endswith("\r\n\r\n")


def test_the_launcher_is_the_same_bytes_when_written_again_later(tmp_path: Path) -> None:
    jars = ["DynamoDBLocal-2.6.1.jar", "sqlite4java-1.0.392.jar"]
    write_launcher(tmp_path / "first.jar", jars)
    time.sleep(2.1)  # a zip entry's time has a resolution of 2 s
    write_launcher(tmp_path / "second.jar", jars)
    assert (tmp_path / "first.jar").read_bytes() == (tmp_path / "second.jar").read_bytes()
    with zipfile.ZipFile(tmp_path / "first.jar") as jar:
        assert jar.read("META-INF/MANIFEST.MF").decode() == manifest(jars)
