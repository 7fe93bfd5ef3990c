"""The search page in a real headless Chromium (Debian's), driven by Playwright: type, read, follow."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("NEWS_SEARCH_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = [pytest.mark.browser, pytest.mark.served]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} not found; install Debian's chromium package"
        if os.environ.get("NEWS_SEARCH_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_type_a_query_read_highlights_and_open_the_article(page, live_server):
    page.goto(live_server + "/")
    page.get_by_label("Search news").fill("ATACMS")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=ATACMS")
    first = page.locator("li.result").first
    assert first.locator(".snippet mark").first.inner_text() == "ATACMS"
    assert page.title() == "ATACMS – News search"
    first.locator("h2 a").click()
    page.wait_for_url("**/articles/000_4f5c96a77bf8f4f4.txt?q=ATACMS#p*")
    assert page.locator("h1").inner_text().startswith("Biden authorizes Ukraine")
    assert page.locator(".passage.matched mark").first.inner_text() == "ATACMS"
    page.get_by_role("link", name="Back to results").click()
    page.wait_for_url("**/?q=ATACMS")


def test_pagination_link(page, live_server):
    page.goto(live_server + "/?per_page=2")
    assert page.locator("nav.pager [aria-current=page]").inner_text() == "1"
    page.locator("nav.pager a[rel=next]").click()
    page.wait_for_url("**page=2**")
    assert page.locator("nav.pager [aria-current=page]").inner_text() == "2"
    assert page.locator("li.result").count() == 2


def test_hostile_article_runs_no_script(page, live_server):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(live_server + "/?q=hostile")
    page.locator("li.result h2 a").first.click()
    page.wait_for_load_state()
    assert "<script>" in page.locator("h1").inner_text()
    assert page.locator("article script, article iframe, article img").count() == 0
    assert dialogs == []


def test_phone_width_has_no_horizontal_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(live_server + "/?q=missiles")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator("li.result").count() >= 2
    context.close()


def test_timeline_bars_are_drawn_and_lead_to_their_period(page, live_server):
    page.goto(live_server + "/?q=ukraine")
    chart = page.locator("figure.timeline svg")
    box = chart.bounding_box()
    assert box["width"] > 300 and 30 < box["height"] < 200
    bars = page.locator("figure.timeline a")
    assert bars.count() == 3
    assert page.locator("figure.timeline rect.bar").first.bounding_box()["height"] > 20
    bars.first.click()
    page.wait_for_url("**from=2024-11-17&to=2024-11-17")
    assert page.locator("li.result").count() == 1
    assert page.locator("li.result time").inner_text() == "2024-11-17"
