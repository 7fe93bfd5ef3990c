"""How the pages are laid out in a real headless Chromium: error pages in the site's layout, the search
page at phone width, and a matching passage that starts mid-line on the article page. Measured from
computed styles and boxes, not pixels."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from search import create_app
from tests.conftest import build_index, write_corpus
from tests.test_browser import browser  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.served]

#: One long paragraph, split into passages between "allowed to enter." and "When the barrier ...".
CROSSING = """\
Title: Border crossing reopens after a week of closure
Published: 2024-11-12
Source: Valley Courier

Hundreds of lorries queued through the night at the Kettle Gap crossing, which had been shut for a week after \
floods washed away part of the approach road. Drivers said they had slept in their cabs for days, and some had run \
out of food and water before volunteers from nearby villages arrived with supplies. Customs officers worked in shifts \
to clear the backlog, checking papers by torchlight in a tent beside the barrier, but only vehicles with refrigerated \
loads or livestock were allowed to enter. When the barrier finally lifted on Thursday morning, the first lorry through \
carried medicine for the regional hospital, and a cheer went up along the line of waiting drivers, some of whom had \
been stuck at the border since the previous weekend. Engineers said the temporary road would hold until the spring, \
when a new bridge is due to open.
Local traders welcomed the reopening but warned that the queues would take several days to clear.
"""


@pytest.fixture(scope="module")
def crossing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test articles and one whose matching passage starts mid-line, served on a free local port."""
    corpus = write_corpus(tmp_path_factory.mktemp("corpus"), hostile=False)
    (corpus / "crossing.txt").write_text(CROSSING, encoding="utf-8")
    index_dir = build_index(corpus, tmp_path_factory.mktemp("index") / "index")
    server = make_server("127.0.0.1", 0, create_app({"TESTING": True, "INDEX": str(index_dir)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture()
def phone(browser):  # noqa: F811 (the fixture imported above)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    context.set_default_timeout(5000)
    yield context.new_page()
    context.close()


@pytest.fixture()
def desktop(browser):  # noqa: F811
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(5000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("path", ["/nope", "/articles/no-such-article", "/?q=x&page=0"])
def test_error_pages_sit_in_the_site_layout(desktop, live_server, path):
    response = desktop.goto(live_server + path)
    assert response.status in (400, 404)
    brand = desktop.locator("header.site .brand").bounding_box()
    heading = desktop.locator("main.error-page h1").bounding_box()
    message = desktop.locator("main.error-page .error").bounding_box()
    assert brand["x"] >= 16
    assert heading["x"] == pytest.approx(brand["x"], abs=1) and message["x"] == pytest.approx(brand["x"], abs=1)
    assert desktop.get_by_label("Search news").is_visible()


#: The rendered size of each piece of text a timeline shows beside its bars (SVG text scales with its drawing).
TIMELINE_TEXT_SIZES = """() => {
    const sizes = [];
    const figure = document.querySelector('figure.timeline');
    const walker = document.createTreeWalker(figure, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        if (!node.data.trim() || element.closest('figcaption, title')) continue;
        const scale = element instanceof SVGElement ? element.getScreenCTM().a : 1;
        sizes.push([node.data.trim(), parseFloat(getComputedStyle(element).fontSize) * scale]);
    }
    return sizes;
}"""

#: The line boxes of the summary's "· 12 ms": one top per line it spans.
TOOK_LINES = """() => {
    const summary = document.querySelector('.summary');
    const walker = document.createTreeWalker(summary, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
    const end = nodes.find(node => /\\bms\\b/.test(node.data));
    const start = nodes.slice(0, nodes.indexOf(end) + 1).reverse().find(node => node.data.includes('·'));
    const range = document.createRange();
    range.setStart(start, start.data.lastIndexOf('·'));
    range.setEnd(end, end.data.search(/\\bms\\b/) + 2);
    return [range.toString().replace(/\\s+/g, ' ').trim(), [...new Set([...range.getClientRects()].map(r => r.top))]];
}"""


def test_timeline_labels_and_summary_stay_readable_at_phone_width(phone, live_server):
    phone.goto(live_server + "/?q=ukraine")
    sizes = phone.evaluate(TIMELINE_TEXT_SIZES)
    assert [text for text, _ in sizes] == ["2024-11-17", "2024-11-20"]
    assert all(size >= 11 for _, size in sizes), sizes
    took, tops = phone.evaluate(TOOK_LINES)
    assert took.startswith("· ") and took.endswith(" ms")
    assert len(tops) == 1, f"{took!r} spans {len(tops)} lines"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


#: The matching passage's highlight against the text before it: its boxes, its first character's, the full stop's.
PASSAGE_BOXES = """(id) => {
    const passage = document.getElementById(id);
    const before = passage.previousElementSibling;
    const character = (node, offset) => {
        const range = document.createRange();
        range.setStart(node, offset);
        range.setEnd(node, offset + 1);
        return range.getBoundingClientRect();
    };
    const texts = element => {
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        const nodes = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) if (node.data.length) nodes.push(node);
        return nodes;
    };
    const first = texts(passage)[0], last = texts(before).at(-1);
    const style = getComputedStyle(passage);
    return {
        body: passage.parentElement.textContent,
        box: passage.getClientRects()[0].left,
        first: character(first, 0).left,
        stop: character(last, last.data.length - 1).right,
        stop_char: last.data.at(-1),
        borders: [style.borderLeftWidth, style.borderRightWidth],
        shadow: style.boxShadow,
        background: style.backgroundColor,
    };
}"""


@pytest.mark.parametrize("anchor", ["", "#p1"])
def test_a_matching_passage_that_starts_mid_line_leaves_the_text_before_it_alone(desktop, crossing_server, anchor):
    desktop.goto(crossing_server + "/articles/crossing.txt?q=medicine" + anchor)
    assert desktop.locator(".passage.matched").evaluate_all("nodes => nodes.map(node => node.id)") == ["p1"]
    boxes = desktop.evaluate(PASSAGE_BOXES, "p1")
    assert "were allowed to enter. When the barrier finally lifted" in boxes["body"]
    assert boxes["background"] != "rgba(0, 0, 0, 0)"  # still highlighted
    assert boxes["box"] == pytest.approx(boxes["first"], abs=0.5)  # the highlight starts at "When"
    assert boxes["stop_char"] == "." and boxes["stop"] <= boxes["box"]  # and leaves "enter." uncovered
    assert boxes["shadow"] == "none" and boxes["borders"] == ["0px", "0px"]  # no bar, nothing painted beside it
