"""``chaoskit.__all__`` is what the README documents, and every name in it resolves."""

from __future__ import annotations

import re
from pathlib import Path

import chaoskit

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_lists_exactly_the_public_names() -> None:
    text = README.read_text()
    start = text.index("The public names, `chaoskit.__all__`")
    paragraph = text[start : text.index("\n\n", start)]
    documented = re.findall(r"`([A-Za-z_]+)`", paragraph.split(":", 1)[1])
    assert documented == list(chaoskit.__all__)


def test_every_public_name_resolves() -> None:
    for name in chaoskit.__all__:
        assert getattr(chaoskit, name) is not None, name
