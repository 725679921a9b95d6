"""pytest fixtures for real-browser tests; helpers and notes are in ``browser.py``.

Use with ``pytest_plugins = ["browser_plugin"]`` in the test module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browser import VIEWPORT, WatchedPage, launch_chromium


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Debian Chromium for the test session, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = launch_chromium(playwright)
        except FileNotFoundError as err:
            pytest.fail(str(err), pytrace=False)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Callable[..., WatchedPage]]:
    """``open_page(url)``: a new browser context and page, watched; all closed after the test.

    Every call is a new context (own cookies), so a Solara app sees a new session.
    """
    contexts: list[Any] = []

    def _open(url: str, *, timeout_ms: float = 30_000) -> WatchedPage:
        context = chromium.new_context(viewport=VIEWPORT)
        context.set_default_timeout(timeout_ms)
        contexts.append(context)
        watched = WatchedPage(context.new_page()).attach()
        watched.page.goto(url)
        return watched

    yield _open
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()
