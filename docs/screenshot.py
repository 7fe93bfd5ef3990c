"""Make the pictures of the pages in docs/, in headless Chromium, over the bundled corpus
(``corpus/``, as the README's Start command indexes it), so they show what a new user sees:

* ``search-page.png``: the results page for a query;
* ``search-page-phone.png``: the same page at a phone's width;
* ``error-page.png``: the page for an article that is not there.

    .venv/bin/python -m docs.screenshot
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from index.articles import read_articles
from index.writer import update_index
from search import create_app
from tests.test_browser import CHROMIUM, LAUNCH_ARGS

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"

#: Each picture: its file in docs/, the page's path and query, and the browser's viewport.
SHOTS = [
    ("search-page.png", "/?q=election", {"width": 1200, "height": 900}),
    ("search-page-phone.png", "/?q=election", {"width": 375, "height": 812}),
    ("error-page.png", "/articles/no-such-article?q=election", {"width": 1200, "height": 500}),
]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        update_index(index_dir, read_articles([REPO / "corpus"]))
        server = make_server("127.0.0.1", 0, create_app({"INDEX": str(index_dir)}), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            for name, path, viewport in SHOTS:
                page = browser.new_page(viewport=viewport)
                page.goto(f"http://127.0.0.1:{server.server_port}{path}")
                page.screenshot(path=str(DOCS / name), full_page=False)
                page.close()
                print(DOCS / name)
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
