"""A word's rarity in an article's BM25: a word that half the articles or more hold weighs next to
nothing (Robertson and Spärck Jones's idf, as SQLite FTS5 computes it), so a long question is ranked
by the words that tell its articles apart; yet it still counts, so holding it more often ranks higher."""

from __future__ import annotations

import pytest

from index.articles import Article
from search.backends import open_backend
from search.engine import search
from search.params import parse_search_params
from search.whoosh_backend.ranking import IDF_FLOOR, lucene_idf, robertson_idf

FILLER = "Markets were calm and trading was light across the region on the day. "
ARTICLES = {
    "treaty": "The treaty was signed in the capital after long talks. " + FILLER,
    "said-often": "Officials said the roads were closed. Police said so too. A spokesman said more later. " + FILLER,
    "said-once": "A farmer said the harvest was late. " + FILLER * 2,
    "said-also": "The coach said the team was ready. " + FILLER,
    "said-again": "Residents said the water was back. " + FILLER,
    "weather": "Rain is expected over the weekend in the north. " + FILLER,
}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    with open_backend({"INDEX": tmp_path_factory.mktemp("rarity")}) as backend:
        backend.update(Article(id=key, title=f"Report {number}", body=body, path=f"{key}.txt")
                       for number, (key, body) in enumerate(ARTICLES.items()))
        with backend.snapshot() as snapshot:
            yield snapshot


def explained(snapshot, query: str) -> list:
    return search(snapshot, parse_search_params({"q": query, "explain": "1", "group": "article"})).hits


def test_a_word_most_articles_hold_weighs_next_to_nothing(snapshot):
    hits = explained(snapshot, "said treaty")
    by_id = {hit.article_id: hit.explanation["article_bm25"] for hit in hits}
    assert hits[0].article_id == "treaty"
    assert by_id["treaty"]["treati"] == pytest.approx(1.0, abs=0.01)  # scaled to the best article's
    assert 0 < by_id["said-often"]["said"] < 1e-5  # four articles of six hold it: about 0.5 with Lucene's idf


def test_holding_a_common_word_more_often_still_ranks_higher(snapshot):
    order = [hit.article_id for hit in explained(snapshot, "said")]
    assert order[0] == "said-often" and order[-1] == "said-once"
    assert set(order) == {"said-often", "said-once", "said-also", "said-again"}


def test_the_two_rarities_agree_on_rare_words_and_part_on_common_ones():
    assert robertson_idf(10_000, 3) == pytest.approx(lucene_idf(10_000, 3), rel=1e-3)
    assert robertson_idf(10_000, 6_000) == IDF_FLOOR < lucene_idf(10_000, 6_000)
