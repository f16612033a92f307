"""The DynamoDB Local image's launcher manifest: valid line lengths, every jar on the path."""

from __future__ import annotations

from chaoskit.install.dynamodb_image import MAIN_CLASS, manifest


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
