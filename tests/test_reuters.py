"""All of Reuters-21578 (19,043 stories with a body) through the real ``news-search index`` process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpora import reuters_articles, write_jsonl
from tests.data_paths import require_data

NEWS_SEARCH = str(Path(sys.executable).parent / "news-search")
STORIES_WITH_BODY = 19_043

pytestmark = pytest.mark.data


def news_search(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([NEWS_SEARCH, *map(str, args)], capture_output=True, text=True, timeout=1800)


def test_every_reuters_story_is_indexed_and_counted(tmp_path: Path):
    folder = require_data("reuters21578")
    feed = tmp_path / "reuters.jsonl"
    assert write_jsonl(reuters_articles(folder), feed) == STORIES_WITH_BODY
    index_dir = tmp_path / "index"

    indexed = news_search("index", feed, "--index-dir", index_dir)
    assert indexed.returncode == 0, indexed.stderr
    summary = re.match(r"(\d+) articles read: (\d+) added, .* (\d+) skipped; (\d+) passages written",
                       indexed.stdout)
    assert summary, indexed.stdout
    read, added, skipped, passages = map(int, summary.groups())
    assert (read, added, skipped) == (STORIES_WITH_BODY, STORIES_WITH_BODY, 0)
    assert indexed.stderr == ""

    stats = json.loads(news_search("stats", "--json", "--index-dir", index_dir).stdout)
    assert (stats["articles"], stats["passages"]) == (STORIES_WITH_BODY, passages)

    found = json.loads(news_search("search", "bahia cocoa", "--json", "--index-dir", index_dir).stdout)
    assert all("BAHIA" in hit["title"] and "COCOA" in hit["title"] for hit in found["results"][:3])
    review = next(hit for hit in found["results"] if hit["article_id"] == "reuters-1")
    assert review["title"] == "BAHIA COCOA REVIEW" and review["published"] == "1987-02-26T15:01:01"
