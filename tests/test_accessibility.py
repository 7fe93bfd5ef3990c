"""Every kind of page, checked by axe-core in a real headless Chromium against WCAG 2.1 A and AA and
axe's best practices: no violation is allowed.

axe-core is one JavaScript file from npm (``axe.min.js``), named by ``NEWS_SEARCH_AXE``; ``.ci/run``
installs it outside the clone. The pages forbid scripts, so it is injected into a context that
bypasses their Content-Security-Policy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_browser import browser  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.served]

SEED_ID = "000_4f5c96a77bf8f4f4.txt"
#: The rule sets run: WCAG 2.0 and 2.1, levels A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

#: Each kind of page: its path, and what shows that the page is of that kind.
PAGES = {
    "home": ("/", "li.result"),
    "results": ("/?q=missiles", "li.result .snippet mark"),
    "no results": ("/?q=zeppelin", ".empty h2"),
    "spelling suggestion": ("/?q=ukrane+missiles", ".suggestion a"),
    "page 2": ("/?per_page=2&page=2", "nav.pager [aria-current=page]"),
    "filtered by period": ("/?q=missiles&from=2024-11-01&to=2024-11-30", "figure.timeline"),
    "article": (f"/articles/{SEED_ID}?q=ATACMS#p1", ".passage.matched mark"),
    "article without a query": (f"/articles/{SEED_ID}", "article h1"),
    "unknown article": ("/articles/no-such-article", "main.error-page"),
    "unknown path": ("/nope", "main.error-page"),
    "bad parameter": ("/?q=x&page=0", "main.error-page"),
}


@pytest.fixture(scope="module")
def axe_script() -> Path:
    """The axe-core script named by ``NEWS_SEARCH_AXE``; skipped without it (a failure under
    ``NEWS_SEARCH_REQUIRE_BROWSER=1``)."""
    named = os.environ.get("NEWS_SEARCH_AXE", "")
    path = Path(named) if named else None
    if path is None or not path.is_file():
        message = (f"axe-core not found at NEWS_SEARCH_AXE={named!r}; install the npm package axe-core "
                   "and name its axe.min.js there (.ci/run does)")
        if os.environ.get("NEWS_SEARCH_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def axe_violations(browser, url: str, width: int, ready: str, script: Path) -> list[str]:  # noqa: F811
    """axe's violations on the page at *url*, one line each (rule, impact, what it asks, where)."""
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(url)
        assert page.locator(ready).count(), f"{url} does not show {ready}"
        page.add_script_tag(path=str(script))
        report = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    finally:
        context.close()
    return [f"{violation['id']} ({violation['impact']}): {violation['help']}: "
            + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            for violation in report["violations"]]


@pytest.mark.parametrize("kind", PAGES)
def test_page_has_no_accessibility_violations(browser, live_server, axe_script, kind):  # noqa: F811
    path, ready = PAGES[kind]
    violations = axe_violations(browser, live_server + path, 1200, ready, axe_script)
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize("kind", ["results", "article"])
def test_page_at_phone_width_has_no_accessibility_violations(browser, live_server, axe_script, kind):  # noqa: F811
    path, ready = PAGES[kind]
    violations = axe_violations(browser, live_server + path, 375, ready, axe_script)
    assert not violations, "\n".join(violations)
