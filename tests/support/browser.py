"""Headless Chromium for the console's tests, driven by Playwright for Python.

The browser is Debian's ``chromium`` package at ``/usr/bin/chromium`` (.ci/run installs it when
it is missing); Playwright's own browser downloads are never used.

    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, server.endpoint)

``console_session(endpoint)`` signs in with plain HTTP instead: an ``httpx.Client`` holding
the session cookie, and the session's CSRF token, for tests about what the server refuses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = Path(os.environ.get("OPENPROFILES_TEST_CHROMIUM", "/usr/bin/chromium"))
CONSOLE = "/_openprofiles/console"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def require_chromium() -> None:
    """Skip when Chromium is not installed here; fail instead under CI, where .ci/run
    installs it."""
    import pytest

    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/run should have installed chromium")
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser for the ``with`` block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, endpoint: str, access_key: str = "test", secret_key: str = "test") -> None:
    """Sign ``page`` in through the console's sign-in form (it lands on the domains list)."""
    page.goto(f"{endpoint}{CONSOLE}/sign-in")
    page.get_by_label("Access key").fill(access_key)
    page.get_by_label("Secret key").fill(secret_key)
    page.get_by_role("button", name="Sign in").click()


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def console_session(
    endpoint: str, access_key: str = "test", secret_key: str = "test"
) -> tuple[httpx.Client, str]:
    """(a client signed in to the console, the session's CSRF token)."""
    client = httpx.Client(base_url=endpoint + CONSOLE, follow_redirects=False, timeout=30)
    form = client.get("/sign-in")
    answer = client.post(
        "/sign-in",
        data={
            "access_key": access_key,
            "secret_key": secret_key,
            "csrf_token": csrf_token(form.text),
        },
    )
    assert answer.status_code == 303, answer.text
    return client, csrf_token(client.get("/domains").text)
