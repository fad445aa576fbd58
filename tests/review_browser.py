"""Headless Chromium for the review page's browser tests, the screenshot script and the bench:
Debian's Chromium driven by Playwright for Python (never a browser Playwright downloads).

Why a stepwise mouse drag: SortableJS listens to pointer moves (the page runs it in fallback
mode), so Playwright's ``drag_and_drop`` (one jump) never starts a Sortable drag; a press, a
few moves and a release do, as a hand does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1440, "height": 900}


def chromium_path() -> str | None:
    """Debian's Chromium (``BINSIGHT_CHROMIUM`` overrides), or None where it is not installed."""
    for candidate in (os.environ.get("BINSIGHT_CHROMIUM", ""), "/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@contextmanager
def chromium(viewport: dict[str, int] = VIEWPORT) -> Iterator["object"]:
    """A fresh headless Chromium profile (a persistent context over a temp dir); yields the
    Playwright ``BrowserContext``."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="binsight-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=CHROMIUM_FLAGS, viewport=viewport,
            accept_downloads=True)
        try:
            yield context
        finally:
            context.close()


def drag(page, source, target, steps: int = 12) -> None:
    """Drag ``source`` onto ``target`` (Playwright locators) the way a hand does."""
    source.scroll_into_view_if_needed()
    start = source.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 3)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 8, start["y"] + start["height"] / 3 + 8, steps=3)
    end = target.bounding_box()
    x, y = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    page.mouse.move(x, y, steps=steps)
    page.mouse.move(x + 2, y + 1, steps=2)
    page.mouse.up()


def wait_ready(page) -> None:
    """The page's module has run (drag and drop and keys are wired)."""
    page.wait_for_selector("body[data-ready='1']")
