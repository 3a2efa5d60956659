"""Fixtures of the browser tests: headless Debian chromium driven by playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch):
    from django.conf import settings as dj_settings

    monkeypatch.setattr(dj_settings._wrapped, "SECRET_KEY", "browser-tests-" + "k" * 40)


class _Browser:
    """The playwright browser whose pages bypass the Content-Security-Policy unless a
    test asks otherwise (``bypass_csp=False``): Playwright's ``wait_for_function``
    evaluates its predicate with ``eval``, which the policy forbids in the page.
    tests/browser/test_content_security_policy.py keeps the policy on."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_page(self, **kwargs):
        kwargs.setdefault("bypass_csp", True)
        return self._browser.new_page(**kwargs)

    def new_context(self, **kwargs):
        kwargs.setdefault("bypass_csp", True)
        return self._browser.new_context(**kwargs)

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture
def browser(monkeypatch):
    """A headless chromium page; skipped locally without chromium, never under CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing but CI=true requires the browser test")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # playwright's sync API runs an event loop in this thread, which trips Django's
    # async-unsafe guard on ORM calls made by the test itself (not by the server).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield _Browser(instance)
        finally:
            instance.close()
