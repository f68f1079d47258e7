"""The big screen with a city's worth of data: after the demo replay (`make demo`: six weeks, every department at
work) the wall still shows everything within 1920×1080 without scrolling, the league table turns its pages, and
each warning is one line however many people it went to. On a suite of its own, since the replay needs a fresh one."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from kit.config import ROOT
from tests.browser.conftest import SCREEN
from tests.browser.test_terminals import screen_token
from tests.e2e.conftest import own_vhost, start_suite

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    with own_vhost() as url:
        s = start_suite(tmp_path_factory.mktemp("var-screen-demo"), url)
        try:
            subprocess.run([sys.executable, "-m", "tools.demo"], env=s.env, cwd=ROOT, check=True, capture_output=True)
            yield s
        finally:
            s.stop()


def test_the_wall_shows_a_whole_city_within_one_screen(suite, open_page):
    w = open_page(SCREEN)
    page = w.page
    page.clock.install()  # the page's own timers (the 10 s page turns), moved by the test
    page.goto(f"/screen?token={screen_token(suite)}")
    rows = page.locator(".panel.league tbody tr")
    expect(rows.first).to_be_visible()
    league = suite.login("supervisor").get("/dashboard/departments")["departments"]
    assert len(league) > 8  # more departments than one page holds
    expect(page.get_by_text("第 1/2 页")).to_be_visible()
    assert rows.count() == 8
    first = [rows.nth(i).get_attribute("data-department") for i in range(8)]
    assert first == [d["department"] for d in league[:8]]
    assert page.evaluate("document.documentElement.scrollHeight") <= SCREEN["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
    w.shot("screen-1920-demo")

    page.clock.run_for(10_000)  # the next page of the league table
    expect(page.get_by_text("第 2/2 页")).to_be_visible()
    expect(rows.first).to_have_attribute("data-department", league[8]["department"])

    latest = suite.login("supervisor").get("/dashboard/summary")["alerts"]["latest"]
    distinct = {(m["created_at"][:16], m["level"], m["text"]) for m in latest}
    expect(page.locator(".panel.alerts li:not(.muted)")).to_have_count(len(distinct))
    assert len(distinct) < len(latest)  # the replay sends each red item's SMS to its contact and its head
