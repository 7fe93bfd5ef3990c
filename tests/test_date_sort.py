"""Searches sorted by date, and the Atom feed, list only the articles that hold every word of the query."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import feedparser
import pytest

from benchmarks.corpora import reuters_articles, write_jsonl
from index.articles import read_articles
from index.writer import update_index
from search import create_app
from search.whoosh_backend.searching import SOME_WORDS_WARNING
from tests.data_paths import require_data

pytestmark = pytest.mark.served

STORM = "https://herald.example/world/storm-shadow"


def ids(found: dict) -> list[str]:
    return [hit["article_id"] for hit in found["results"]]


def test_newest_first_lists_only_the_articles_holding_both_words(client):
    found = client.get("/api/search?q=missiles+winter&sort=newest").get_json()
    assert "grid-attacks.txt" in ids(found) and STORM not in ids(found)
    assert found["total"] == len(found["results"]) and found["warnings"] == []
    anywhere = client.get("/api/search?q=missiles+winter").get_json()
    assert STORM in ids(anywhere)  # by relevance, any word
    assert all(count != {"value": "Westbridge Herald", "count": 1} for count in found["facets"]["source"])
    assert {"value": "Westbridge Herald", "count": 1} in anywhere["facets"]["source"]


def test_oldest_first_and_passages_follow_the_same_rule(client):
    newest = ids(client.get("/api/search?q=missiles+winter&sort=newest").get_json())
    assert ids(client.get("/api/search?q=missiles+winter&sort=oldest").get_json()) == newest[::-1]
    passages = client.get("/api/search?q=missiles+winter&sort=newest&group=passage").get_json()
    assert set(ids(passages)) == set(newest) and passages["total"] == len(passages["results"])


def test_when_no_article_holds_every_word_those_holding_any_are_listed_with_a_warning(client):
    found = client.get("/api/search?q=bike+inflation&sort=newest").get_json()
    assert set(ids(found)) >= {"bike-lanes.txt", "rates.txt"}
    assert SOME_WORDS_WARNING in found["warnings"]
    assert not client.get("/api/search?q=bike+inflation").get_json()["warnings"]


def test_the_feed_lists_only_the_articles_holding_every_word(client):
    feed = feedparser.parse(client.get("/search.atom?q=missiles+winter").data)
    newest = ids(client.get("/api/search?q=missiles+winter&sort=newest").get_json())
    assert [entry.link.rsplit("/", 1)[1] for entry in feed.entries] == newest


def test_a_query_whose_logic_decides_is_left_to_it(client):
    assert STORM in ids(client.get("/api/search?q=missiles+OR+winter&sort=newest").get_json())


@pytest.mark.data
def test_oil_prices_newest_first_on_reuters_holds_both_words(tmp_path: Path):
    folder = require_data("reuters21578")
    feed = tmp_path / "reuters.jsonl"
    write_jsonl(itertools.islice(reuters_articles(folder), 3000), feed)
    index_dir = tmp_path / "index"
    assert update_index(index_dir, read_articles([feed])).committed
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    found = client.get("/api/search?q=oil+prices&sort=newest&per_page=50&collapse=none").get_json()
    assert found["total"] and not found["warnings"]
    for hit in found["results"]:
        article = client.get(f"/api/articles/{hit['article_id']}").get_json()
        text = (article["title"] + " " + article["body"]).lower()
        assert re.search(r"\boil", text) and re.search(r"\bpric", text), hit["title"]
    anywhere = client.get("/api/search?q=oil+prices&sort=relevance&collapse=none").get_json()
    assert anywhere["total"] > found["total"]


def test_a_phrase_is_required_as_a_phrase_and_a_prefix_by_any_of_its_words(client):
    phrased = client.get('/api/search?q="storm+shadow"+inflation&sort=newest').get_json()
    assert {STORM, "rates.txt"} <= set(ids(phrased)) and SOME_WORDS_WARNING in phrased["warnings"]  # none holds both
    both = client.get('/api/search?q="cruise+missiles"+russia&sort=newest').get_json()
    assert ids(both) == [STORM] and not both["warnings"]
    prefixed = client.get("/api/search?q=missil*+winter&sort=newest").get_json()
    assert STORM not in ids(prefixed) and "grid-attacks.txt" in ids(prefixed)


def test_a_description_is_left_to_any_of_its_words(client):
    query = "wider+use+of+the+cruise+missiles+in+the+winter+for+britain"
    assert STORM in ids(client.get(f"/api/search?q={query}&sort=newest").get_json())


def test_an_article_holding_the_words_in_different_passages_shows_them_marked(client):
    # The seed article names the Kremlin in one passage and Pyongyang in another.
    found = client.get("/api/search?q=kremlin+pyongyang&sort=newest&explain=1").get_json()
    seed = next(hit for hit in found["results"] if hit["article_id"] == "000_4f5c96a77bf8f4f4.txt")
    assert any("<mark>" in passage["snippet"] for passage in seed["passages"]), seed["passages"]
    assert seed["explanation"]["passage_evidence"] > 0
