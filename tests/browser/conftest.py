"""The web client in a real browser: Debian's Chromium (/usr/bin/chromium, never a browser Playwright downloads)
driven by Playwright against the whole suite, started as the end-to-end tests start it (a suite and a broker
virtual host of its own, stopped when this package's tests are done, so it never runs beside the end-to-end
suite). Every page fails its test on a console error or an uncaught exception."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kit.config import ROOT
from tests.e2e.conftest import Suite, own_vhost, start_suite

CHROMIUM = Path(os.environ.get("ZHITONG_CHROMIUM", "/usr/bin/chromium"))
# Screenshots go to var/screenshots/ on every run, so that a test run leaves the checkout as it was;
# `make screenshots` points this at docs/screenshots/, the ones the README shows.
SCREENSHOTS = Path(os.environ.get("ZHITONG_SCREENSHOTS", ROOT / "var" / "screenshots"))
PHONE = {"width": 390, "height": 844}
PC = {"width": 1440, "height": 900}
SCREEN = {"width": 1920, "height": 1080}
# As the machine's notes advise: no background traffic to hosts a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Watched:
    """A page and what went wrong on it: console errors and uncaught exceptions."""

    page: object
    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow(self, fragment: str) -> None:
        """Accept console errors containing `fragment` (the browser's own line for an expected 4xx answer)."""
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture(scope="package")
def suite(tmp_path_factory) -> Suite:
    with own_vhost() as url:
        s = start_suite(tmp_path_factory.mktemp("var"), url)
        try:
            yield s
        finally:
            s.stop()


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def watched_pages(browser, base_url: str):
    """`make(viewport)`: a new browser context (own storage, zh-CN) and page at that size on `base_url`, watched
    for errors; when the block ends, every context is closed and any unexpected error fails the test."""
    contexts, watched = [], []

    def make(viewport: dict, **kwargs) -> Watched:
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=base_url, **kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        w = Watched(page)
        page.on("console", lambda m: m.type == "error" and w.errors.append(f"console: {m.text} ({m.location})"))
        page.on("pageerror", lambda exc: w.errors.append(f"pageerror: {exc}"))
        watched.append(w)
        return w

    yield make
    problems = [e for w in watched for e in w.unexpected()]
    for context in contexts:
        context.close()
    assert not problems, "errors in the browser:\n" + "\n".join(problems)


@pytest.fixture
def open_page(browser, suite) -> Callable[..., Watched]:
    """`open_page(viewport)`: a new browser context (own storage, zh-CN) and page at that size, watched for errors."""
    with watched_pages(browser, suite.base) as make:
        yield make
