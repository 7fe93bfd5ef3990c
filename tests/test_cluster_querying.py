"""Queries written in Sphinx's extended syntax (:mod:`search.sphinxql_backend.querying`) match, on a real
local cluster, the articles the Whoosh backend matches for the same query over the same articles --
hostile and broken queries included."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.backends import open_backend
from search.engine import search
from search.params import SearchParams
from search.query import read_query
from search.sphinxql_backend.config import HEAD_INDEX, Cluster
from search.sphinxql_backend.connection import connect
from search.sphinxql_backend.querying import SPHINX_SCHEMA, sphinx_match

QUERIES = [
    "missiles", "storm shadow", '"storm shadow"', '"shadow storm"', "missiles -ukraine", "missiles -ukraine -russia",
    "missiles AND (ukraine OR russia) NOT storm", "ukraine AND NOT missiles", "title:missiles", "title:marathon",
    "mi*", "interest rat*", '"long range" OR bike', "source:wire", "source:harbor", "source:\"northern wire\"",
    "-ukraine", "NOT missiles", "AND OR NOT", '"unclosed quote', "(missiles", "missiles)", "@title missiles",
    "missiles | bike", "near/3 missiles", "MAYBE missiles", "rates ^ inflation $", "u.s. administration",
    "= exact", "!missiles", "the of and", "ukraine's power grid", "Kyiv — missiles", "‘quoted’ “missiles”",
    "bank <script>alert(1)</script>", "missiles~2", "a" * 300,
]


def sphinx_articles(cluster: Cluster, text: str) -> set[str]:
    match = sphinx_match(read_query(text, SPHINX_SCHEMA), asked=bool(text.strip()))
    if match.nothing:
        return set()
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        def articles(match_text: str) -> set[str]:
            # Passage rows, as the Whoosh backend matches passages (an AND within one passage).
            where = "WHERE MATCH(%s) AND whole = 0" if match_text else "WHERE whole = 0"
            cursor.execute(f"SELECT article_id FROM {HEAD_INDEX} {where} GROUP BY akey LIMIT 1000 "
                           "OPTION max_matches=1000", (match_text,) if match_text else ())
            return {row[0] for row in cursor.fetchall()}

        return articles(match.text) - (articles(match.excluded) if match.excluded else set())


def whoosh_articles(index_dir: Path, text: str) -> set[str]:
    with open_backend({"INDEX": str(index_dir)}) as backend, backend.snapshot() as snapshot:
        results = search(snapshot, SearchParams(q=text, per_page=100, collapse="none"))
        return {hit.article_id for hit in results.hits}


@pytest.mark.parametrize("text", QUERIES)
def test_a_query_matches_the_articles_the_whoosh_backend_matches(cluster_and_index, text: str) -> None:
    cluster, index_dir = cluster_and_index
    assert sphinx_articles(cluster, text) == whoosh_articles(index_dir, text)


def test_the_queries_find_something_and_leave_something_out(cluster_and_index) -> None:
    cluster, index_dir = cluster_and_index
    every = whoosh_articles(index_dir, "")
    found = [sphinx_articles(cluster, text) for text in QUERIES]
    assert sum(1 for articles in found if articles and articles != every) >= len(QUERIES) // 2
