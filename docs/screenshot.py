"""Make docs/search-page.png: the results page for a query, in headless Chromium, over the bundled
corpus (``corpus/``, as the README's Start command indexes it), so it shows what a new user sees.

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
OUTPUT = REPO / "docs" / "search-page.png"


def main(query: str = "election") -> None:
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        update_index(index_dir, read_articles([REPO / "corpus"]))
        server = make_server("127.0.0.1", 0, create_app({"INDEX": str(index_dir)}), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"http://127.0.0.1:{server.server_port}/?q={query}")
            page.screenshot(path=str(OUTPUT), full_page=False)
            browser.close()
        server.shutdown()
    print(OUTPUT)


if __name__ == "__main__":
    main()
