"""An article on a real local cluster (:mod:`search.sphinxql_backend.articles`) as the Whoosh backend shows
it: the same body and passages, the same passages marked for a query, only ``<mark>`` as markup."""

from __future__ import annotations

import re

import pytest

from index.errors import ArticleNotFound
from search.backends import open_backend
from search.engine import get_article
from search.query import read_query
from search.sphinxql_backend.articles import article_view, has_article
from search.sphinxql_backend.connection import connect
from search.sphinxql_backend.querying import SPHINX_SCHEMA

ARTICLES = ["grid-attacks.txt", "hostile.txt", "https://herald.example/world/storm-shadow", "000_4f5c96a77bf8f4f4.txt"]


def both(cluster_and_index, article_id: str, q: str):
    cluster, index_dir = cluster_and_index
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        ours = article_view(cursor, article_id, read_query(q, SPHINX_SCHEMA))
    with open_backend({"INDEX": str(index_dir)}) as backend, backend.snapshot() as snapshot:
        return ours, get_article(snapshot, article_id, q)


@pytest.mark.parametrize("article_id", ARTICLES)
@pytest.mark.parametrize("q", ["", "missiles", "ukraine power", "code"])
def test_an_article_is_shown_as_the_whoosh_backend_shows_it(cluster_and_index, article_id: str, q: str) -> None:
    ours, expected = both(cluster_and_index, article_id, q)
    assert (ours.title, ours.body, ours.source, ours.published, ours.url) == \
        (expected.title, expected.body, expected.source, expected.published, expected.url)
    assert [(p.passage_id, p.position, p.start, p.end) for p in ours.passages] == \
        [(p.passage_id, p.position, p.start, p.end) for p in expected.passages]
    assert [p.matched for p in ours.passages] == [p.matched for p in expected.passages]
    for passage in ours.passages:
        assert not re.search(r"<(?!/?mark>)", passage.html), passage.html
        assert re.sub(r"</?mark>", "", passage.html) == re.sub(r"</?mark>", "", next(
            p.html for p in expected.passages if p.passage_id == passage.passage_id))


def test_an_unknown_article_is_not_found(cluster_and_index) -> None:
    cluster, _ = cluster_and_index
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        assert has_article(cursor, "grid-attacks.txt") and not has_article(cursor, "no-such.txt")
        with pytest.raises(ArticleNotFound):
            article_view(cursor, "no-such.txt", read_query("", SPHINX_SCHEMA))
