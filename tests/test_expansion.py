"""A ``prefix*`` stands for at most ``NEWS_SEARCH_MAX_EXPANSIONS`` words, the most frequent, and says so."""

from __future__ import annotations

import re

import pytest

from index.errors import BadConfiguration
from search import create_app

LIMIT_WARNING = re.compile(r"^“mi\*” stands for (\d+) words; the search used the (\d+) most frequent of them\.$")


def search(index_dir, query: str, **config) -> dict:
    app = create_app({"TESTING": True, "INDEX": str(index_dir), **config})
    response = app.test_client().get("/api/search", query_string={"q": query, "per_page": 50})
    assert response.status_code == 200, response.text
    return response.get_json()


def marked_words(results: dict) -> set[str]:
    return {word.lower() for hit in results["results"] for passage in hit["passages"]
            for word in re.findall(r"<mark>(.*?)</mark>", passage["snippet"])}


def test_under_the_limit_a_prefix_stands_for_every_word_it_starts(index_dir):
    results = search(index_dir, "mi*", MAX_EXPANSIONS=50)
    assert results["warnings"] == []
    assert {"missiles", "military", "ministers"} <= marked_words(results)


def test_over_the_limit_only_the_most_frequent_words_are_searched_with_a_warning(index_dir):
    every = search(index_dir, "mi*", MAX_EXPANSIONS=50)
    limited = search(index_dir, "mi*", MAX_EXPANSIONS=1)
    [warning] = limited["warnings"]
    stands_for, used = map(int, LIMIT_WARNING.match(warning).groups())
    assert used == 1 and stands_for >= 4
    # "missile(s)" is the commonest mi- word of the test articles: it alone is searched and marked.
    assert {word.rstrip("s") for word in marked_words(limited)} == {"missile"}
    assert 0 < limited["total"] < every["total"]
    assert set(hit["article_id"] for hit in limited["results"]) < set(hit["article_id"] for hit in every["results"])


def test_the_article_page_marks_the_same_words_as_the_search(index_dir):
    app = create_app({"TESTING": True, "INDEX": str(index_dir), "MAX_EXPANSIONS": 1})
    client = app.test_client()
    article_id = client.get("/api/search?q=mi*").get_json()["results"][0]["article_id"]
    article = client.get(f"/api/articles/{article_id}", query_string={"q": "mi*"}).get_json()
    assert any(LIMIT_WARNING.match(warning) for warning in article["warnings"])
    marked = {word.lower().rstrip("s") for passage in article["passages"]
              for word in re.findall(r"<mark>(.*?)</mark>", passage["html"])}
    assert marked == {"missile"}


def test_the_limit_is_read_from_the_environment(index_dir, monkeypatch):
    monkeypatch.setenv("NEWS_SEARCH_MAX_EXPANSIONS", "1")
    assert LIMIT_WARNING.match(search(index_dir, "mi*")["warnings"][0])


@pytest.mark.parametrize("value", [0, -3, "many", True])
def test_a_wrong_limit_stops_the_app_with_a_clear_message(index_dir, value):
    with pytest.raises(BadConfiguration, match="NEWS_SEARCH_MAX_EXPANSIONS must be a whole number"):
        create_app({"TESTING": True, "INDEX": str(index_dir), "MAX_EXPANSIONS": value})
