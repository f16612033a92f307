"""Recorded runs to render, and a real headless Chromium (Debian's, driven by Playwright)
to open what was rendered."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

RUNS = Path(__file__).parent / "runs"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"
# Root needs --no-sandbox; the rest keep Chromium from calling home (updates, sync, field
# trials), which a closed network refuses and which tests must never attempt.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-domain-reliability", "--metrics-recording-only",
]  # fmt: skip


def recorded_run(tmp_path: Path, name: str) -> Path:
    """A copy of a recorded run directory (journal.json and timeline.csv) to render into."""
    target = tmp_path / name
    shutil.copytree(RUNS / name, target)
    return target


def set_cell(timeline: Path, line: int, column: str, value: str) -> None:
    """One cell of a timeline.csv (``line`` counts the header as 1) set to ``value``."""
    lines = timeline.read_text().splitlines()
    cells = lines[line - 1].split(",")
    cells[lines[0].split(",").index(column)] = value
    lines[line - 1] = ",".join(cells)
    timeline.write_text("\n".join(lines) + "\n")


@dataclass
class OpenedPage:
    page: Any
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium for one test. Not shared wider: Playwright's sync API keeps an
    event loop running on this thread while it is open, which would break asyncio.run()
    in tests that come after."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "chromium is not installed: run scripts/bootstrap --browser"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(path)``: the file in a fresh page that may fetch nothing but itself."""
    pages: list[Any] = []

    def opener(path: Path) -> OpenedPage:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        pages.append(page)
        opened = OpenedPage(page)
        page.on("console", lambda m: m.type == "error" and opened.console_errors.append(m.text))
        page.on("pageerror", lambda e: opened.console_errors.append(str(e)))

        def route(r: Any) -> None:
            opened.requests.append(r.request.url)
            if r.request.url == path.as_uri():
                r.continue_()
            else:
                r.abort()

        page.route("**/*", route)
        page.goto(path.as_uri())
        return opened

    yield opener
    for page in pages:
        page.close()
