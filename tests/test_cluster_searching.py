"""A search's page on a real local cluster (:func:`search.sphinxql_backend.searching.find`) beside the Whoosh
backend's for the same articles and parameters: the same articles matched and counted, the same facets,
the same order by date, the same first results by relevance, snippets with only ``<mark>`` as markup."""

from __future__ import annotations

import re

import pytest

from search.backends import open_backend
from search.engine import search
from search.params import SearchParams
from search.query import read_query
from search.sphinxql_backend.config import HEAD_INDEX
from search.sphinxql_backend.connection import connect
from search.sphinxql_backend.querying import SPHINX_SCHEMA
from search.sphinxql_backend.searching import find


def cluster_page(cluster, params: SearchParams):
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT source FROM {HEAD_INDEX} WHERE whole = 1 GROUP BY source LIMIT 1000")
        sources = [row[0] for row in cursor.fetchall() if row[0]]
        return find(cursor, params, read_query(params.q, SPHINX_SCHEMA), sources)


def whoosh_results(index_dir, params: SearchParams):
    with open_backend({"INDEX": str(index_dir)}) as backend, backend.snapshot() as snapshot:
        return search(snapshot, params)


PARAMS = [
    SearchParams(q="missiles", per_page=50), SearchParams(q="storm shadow", per_page=50),
    SearchParams(q="missiles -ukraine", per_page=50), SearchParams(q="missiles", sort="newest", per_page=50),
    SearchParams(q="ukraine", sort="oldest", per_page=50), SearchParams(q="", per_page=50),
    SearchParams(q="missiles", source="northern wire", per_page=50),
    SearchParams(q="missiles", date_from=__import__("datetime").date(2024, 11, 19), per_page=50),
    SearchParams(q="rates OR marathon", per_page=50, collapse="none"), SearchParams(q="the of", per_page=50),
]


@pytest.mark.parametrize("params", PARAMS, ids=[f"{p.q or 'none'}-{p.sort}-{p.source}-{p.date_from}" for p in PARAMS])
def test_the_same_articles_counts_and_facets_as_the_whoosh_backend(cluster_and_index, params) -> None:
    cluster, index_dir = cluster_and_index
    page, expected = cluster_page(cluster, params), whoosh_results(index_dir, params)
    assert page.total == expected.total
    assert {hit.article_id for hit in page.hits} == {hit.article_id for hit in expected.hits}
    assert page.facets["source"] == expected.facets["source"]
    assert page.facets["published"] == expected.facets["published"]
    if params.effective_sort != "relevance":
        assert [hit.published for hit in page.hits] == [hit.published for hit in expected.hits]


@pytest.mark.parametrize("query", ["missiles", "storm shadow", "missiles ukraine", "rates", "marathon record"])
def test_the_first_result_by_relevance_is_the_whoosh_backends(cluster_and_index, query: str) -> None:
    cluster, index_dir = cluster_and_index
    params = SearchParams(q=query, per_page=3)
    page, expected = cluster_page(cluster, params), whoosh_results(index_dir, params)
    assert [hit.article_id for hit in page.hits][:1] == [hit.article_id for hit in expected.hits][:1]


def test_pages_follow_each_other_without_gaps(cluster_and_index) -> None:
    cluster, _ = cluster_and_index
    every = [hit.article_id for hit in cluster_page(cluster, SearchParams(q="", sort="newest", per_page=50)).hits]
    paged = [hit.article_id for number in (1, 2, 3, 4) for hit in
             cluster_page(cluster, SearchParams(q="", sort="newest", per_page=2, page=number)).hits]
    assert paged == every[:8] and len(set(paged)) == len(paged)


def test_snippets_mark_the_words_and_escape_everything_else(cluster_and_index) -> None:
    cluster, _ = cluster_and_index
    page = cluster_page(cluster, SearchParams(q="missile defence code", per_page=50))
    snippets = [passage.snippet for hit in page.hits for passage in hit.passages]
    assert any("<mark>" in snippet for snippet in snippets)
    for snippet in snippets:
        assert not re.search(r"<(?!/?mark>)", snippet), snippet
    assert any("&lt;script&gt;" in snippet for snippet in snippets)


def test_a_shard_with_no_live_copy_leaves_the_others_results_with_a_warning(tmp_path) -> None:
    from index.articles import read_articles
    from search.sphinxql_backend.cluster import running_cluster, start_node, stop_node
    from search.sphinxql_backend.writing import update_cluster
    from tests.conftest import write_corpus
    from tests.test_cluster import require_searchd

    require_searchd()
    with running_cluster(tmp_path / "cluster", shards=2) as cluster:
        update_cluster(cluster, read_articles([write_corpus(tmp_path / "corpus")]))
        whole = cluster_page(cluster, SearchParams(q="", per_page=50))
        stop_node(cluster.node("data1"))
        part = cluster_page(cluster, SearchParams(q="", per_page=50))
        assert 0 < part.total < whole.total and len(part.hits) == part.total
        assert any("incomplete" in warning for warning in part.warnings) and not whole.warnings
        start_node(cluster.node("data1"))
        assert cluster_page(cluster, SearchParams(q="", per_page=50)).total == whole.total


@pytest.mark.parametrize("collapse", ["story", "none"])
def test_counts_past_the_facets_ceiling_are_still_counted_whole(cluster_and_index, monkeypatch, collapse: str) -> None:
    """The total and the months are added up from the sources and the days a page reads anyway; past as
    many of those as a page reads at most, they are counted on their own, and stay the same."""
    import search.sphinxql_backend.searching as searching

    cluster, _ = cluster_and_index
    params = SearchParams(q="", per_page=5, collapse=collapse)
    whole = cluster_page(cluster, params)
    assert len(whole.days) > 2 and len(whole.facets["source"]) >= 2
    monkeypatch.setattr(searching, "MAX_DAYS", 2)
    capped = cluster_page(cluster, params)
    assert capped.total == whole.total
    assert capped.facets["published"] == whole.facets["published"]
    assert list(capped.days.items()) == list(whole.days.items())[:2]
