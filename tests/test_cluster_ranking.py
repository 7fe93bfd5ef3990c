"""On a real local cluster, whole-article BM25 comes out as the Whoosh backend computes it, for the
same articles: the engine finds the candidates, the score is ours (:mod:`search.sphinxql_backend.ranking`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.articles import read_articles
from index.schema import SCHEMA, Fields
from index.writer import update_index
from search.backends import open_backend
from search.sphinxql_backend.cluster import running_cluster
from search.sphinxql_backend.config import Cluster
from search.sphinxql_backend.connection import connect
from search.sphinxql_backend.ranking import article_bm25
from search.whoosh_backend.ranking import article_bm25 as whoosh_article_bm25, article_frequencies
from tests.conftest import write_corpus
from tests.test_cluster import require_searchd


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Path]]:
    require_searchd()
    work = tmp_path_factory.mktemp("ranking")
    corpus = write_corpus(work / "corpus")
    update_index(work / "index", read_articles([corpus]))
    with running_cluster(work / "cluster", shards=2, mirrors=1) as cluster:
        from search.sphinxql_backend.writing import update_cluster

        update_cluster(cluster, read_articles([corpus]))
        yield cluster, work / "index"


def whoosh_scores(index_dir: Path, words: list[str]) -> dict[str, float]:
    stems = {token.text: 1.0 for word in words for token in SCHEMA[Fields.BODY].analyzer(word)}
    with open_backend({"INDEX": str(index_dir)}) as backend, backend.snapshot() as snapshot:
        arrays = snapshot.arrays
        frequencies = article_frequencies(arrays, stems)
        articles = np.unique(np.concatenate([frequency.articles for frequency in frequencies.values()]))
        scores = whoosh_article_bm25(arrays, frequencies, stems, articles)
        return {arrays.article_ids[article]: float(score) for article, score in zip(articles, scores)}


@pytest.mark.parametrize("words", [["missiles"], ["missiles", "ukraine"], ["council", "bike", "lanes"],
                                   ["interest", "rates", "inflation", "bank"], ["marathon", "runners", "record"]])
def test_article_bm25_is_the_whoosh_backends(indexed, words: list[str]) -> None:
    cluster, index_dir = indexed
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        found = article_bm25(cursor, words, "@(title,body) (" + " | ".join(words) + ")")
    ours = dict(zip(found.article_ids, found.scores.tolist()))
    expected = whoosh_scores(index_dir, words)
    assert ours.keys() == expected.keys() and ours
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-9)
    holding_all = {article_id for article_id, all_words in zip(found.article_ids, found.holds_all) if all_words}
    assert holding_all <= set(ours) and (len(words) > 1 or holding_all == set(ours))
