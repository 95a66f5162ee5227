"""A real browser: Debian's chromium driven by Python playwright (never `playwright install`).

Browser tests are plain (synchronous) tests against real `eonode serve` processes. Every request
a page makes must go to 127.0.0.1; anything else is aborted and fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.path.exists(p)), None)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("EONODE_SCREENSHOTS", "")) if os.environ.get("EONODE_SCREENSHOTS") else None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required for the browser tests (scripts/test installs it)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield instance
        instance.close()


class Visit:
    """One browser context (its own cookies), recording where its pages sent requests."""

    def __init__(self, browser: object, locale: str = "en-GB", viewport: dict[str, int] | None = None) -> None:
        self.hosts: set[str] = set()
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, locale=locale)
        self.context.on("request", lambda r: self.hosts.add(urlsplit(r.url).hostname or ""))
        self.context.route(lambda url: urlsplit(url).hostname != "127.0.0.1", lambda route: route.abort())
        self.page = self.context.new_page()

    def shot(self, name: str) -> None:
        if SCREENSHOTS is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def visit(browser: object) -> Iterator[Visit]:
    v = Visit(browser)
    yield v
    v.context.close()
    assert v.hosts <= {"127.0.0.1"}, f"pages requested other hosts: {v.hosts}"
