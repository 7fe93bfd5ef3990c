"""On a real local cluster, whole-article BM25 comes out as the Whoosh backend computes it, for the
same articles, and passages score within 2% of it: the engine finds the candidates, the score is ours
(:mod:`search.sphinxql_backend.ranking`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.schema import SCHEMA, Fields
from search.backends import open_backend
from search.sphinxql_backend.connection import connect
from search.query import read_query
from search.sphinxql_backend.config import HEAD_INDEX
from search.sphinxql_backend.querying import plain_match
from search.sphinxql_backend.passage_ranking import passage_parts
from search.sphinxql_backend.ranking import _results, article_bm25, passage_bm25f, results_up_to
from search.whoosh_backend.matching import match_passages
from search.whoosh_backend.passage_ranking import passage_parts as whoosh_passage_parts
from search.whoosh_backend.ranking import article_bm25 as whoosh_article_bm25, article_frequencies


def whoosh_scores(index_dir: Path, words: list[str], weights: dict[str, float] | None = None) -> dict[str, float]:
    stems = {token.text: (weights or {}).get(word, 1.0) for word in words for token in SCHEMA[Fields.BODY].analyzer(word)}
    with open_backend({"INDEX": str(index_dir)}) as backend, backend.snapshot() as snapshot:
        arrays = snapshot.arrays
        frequencies = article_frequencies(arrays, stems)
        articles = np.unique(np.concatenate([frequency.articles for frequency in frequencies.values()]))
        scores = whoosh_article_bm25(arrays, frequencies, stems, articles)
        return {arrays.article_ids[article]: float(score) for article, score in zip(articles, scores)}


def grouped_match(words: list[str]) -> str:
    """A match of any of *words* written otherwise than a query of plain words is: the counts of each
    word are then asked apart from finding the candidates."""
    return "@(title,body) (" + " | ".join(words) + ")"


@pytest.mark.parametrize("match", [grouped_match, plain_match])
@pytest.mark.parametrize("words", [["missiles"], ["missiles", "ukraine"], ["council", "bike", "lanes"],
                                   ["interest", "rates", "inflation", "bank"], ["marathon", "runners", "record"]])
def test_article_bm25_is_the_whoosh_backends(cluster_and_index, words: list[str], match) -> None:
    cluster, index_dir = cluster_and_index
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        found = article_bm25(cursor, words, match(words))
    ours = dict(zip(found.article_ids, found.scores.tolist()))
    expected = whoosh_scores(index_dir, words)
    assert ours.keys() == expected.keys() and ours
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-9)
    holding_all = {article_id for article_id, all_words in zip(found.article_ids, found.holds_all) if all_words}
    assert holding_all <= set(ours) and (len(words) > 1 or holding_all == set(ours))


def test_a_word_typed_twice_weighs_as_in_the_whoosh_backend(cluster_and_index) -> None:
    cluster, index_dir = cluster_and_index
    words, weights = ["missiles", "ukraine"], {"missiles": 1.8}
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        found = article_bm25(cursor, words, "@(title,body) (missiles | ukraine)", weights=weights)
        passages = passage_bm25f(cursor, words, "@(title,body) (missiles | ukraine)", found.keys.tolist(), weights)
        plain = passage_bm25f(cursor, words, "@(title,body) (missiles | ukraine)", found.keys.tolist())
    assert dict(zip(found.article_ids, found.scores.tolist())) == pytest.approx(
        whoosh_scores(index_dir, words, weights), rel=1e-9, abs=1e-9)
    assert passages.keys() == plain.keys() and any(passages[key] > plain[key] for key in plain)
    assert all(passages[key] >= plain[key] for key in plain)


@pytest.mark.parametrize("match", [grouped_match, plain_match])
@pytest.mark.parametrize("words", [["missiles"], ["missiles", "ukraine"], ["council", "bike", "lanes"],
                                   ["interest", "rates", "inflation", "bank"]])
def test_passage_scores_are_the_whoosh_backends(cluster_and_index, words: list[str], match) -> None:
    cluster, index_dir = cluster_and_index
    text = " ".join(words)
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        found = article_bm25(cursor, words, match(words))
        ours = passage_bm25f(cursor, words, match(words), found.keys.tolist())
    with open_backend({"INDEX": str(index_dir)}) as backend, backend.snapshot() as snapshot:
        matched = match_passages(snapshot.searcher, snapshot.arrays, read_query(text, SCHEMA).query)
        expected = {snapshot.searcher.stored_fields(int(doc))[Fields.PASSAGE_ID]: float(score)
                    for doc, score in zip(matched.docs, matched.scores)}
    assert ours and ours.keys() == expected.keys()
    # Lengths are counted with the body's analyzer; the index's own tokenizer counts a word more in
    # places ("U.S."), and the average comes from its totals: within 2%, and the same best passages.
    assert ours == pytest.approx(expected, rel=0.02)
    assert sorted(ours, key=lambda passage: -ours[passage])[:3] == sorted(expected, key=lambda p: -expected[p])[:3]


@pytest.mark.parametrize("match", [grouped_match, plain_match])
@pytest.mark.parametrize("words", [["missiles", "ukraine"], ["council", "bike", "lanes"],
                                   ["interest", "rates", "inflation", "bank"], ["storm", "shadow"]])
def test_the_parts_of_a_passage_score_are_the_whoosh_backends(cluster_and_index, words: list[str], match) -> None:
    cluster, index_dir = cluster_and_index
    text = " ".join(words)
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        found = article_bm25(cursor, words, match(words))
        counts, parts = passage_parts(cursor, words, match(words), found.keys.tolist())
    with open_backend({"INDEX": str(index_dir)}) as backend, backend.snapshot() as snapshot:
        query = read_query(text, SCHEMA).query
        matched = match_passages(snapshot.searcher, snapshot.arrays, query)
        expected = whoosh_passage_parts(snapshot, query, matched.docs, matched.scores)
        ids = [snapshot.searcher.stored_fields(int(doc))[Fields.PASSAGE_ID] for doc in matched.docs]
    assert set(parts) == set(expected) == {"passage_score", "article_relevance", "coverage", "proximity"}
    assert sorted(counts.ids) == sorted(ids) and ids
    for name in parts:
        ours = dict(zip(counts.ids, parts[name].tolist()))
        theirs = dict(zip(ids, expected[name].tolist()))
        # The passage's own score takes the lengths the body's analyzer counts (see above): within 2%.
        assert ours == pytest.approx(theirs, rel=0.02 if name == "passage_score" else 1e-9, abs=1e-9), name
    assert any(value > 0 for value in expected["proximity"])


def test_a_query_of_many_words_is_scored_in_batches_searchd_takes(cluster_and_index) -> None:
    cluster, index_dir = cluster_and_index
    words = ("missiles ukraine russia storm shadow council bike lanes interest rates inflation bank marathon "
             "runners record grid power winter drones ministers france paris weapons range kyiv britain").split()
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        found = article_bm25(cursor, words, "@(title,body) (" + " | ".join(words) + ")")
        passages = passage_bm25f(cursor, words, "@(title,body) (" + " | ".join(words) + ")", found.keys.tolist())
    assert len(words) > 16 and len(found.keys) >= 5 and len(passages) >= 10
    assert dict(zip(found.article_ids, found.scores.tolist())) == pytest.approx(whoosh_scores(index_dir, words), rel=1e-9)


@pytest.mark.parametrize("text", ["missiles u.s. administration bike", "u.s. bike lanes", "council u.s. e.g. missiles"])
def test_a_word_sphinx_reads_as_several_is_one_word(cluster_and_index, text: str) -> None:
    """"u.s." is one word to the Whoosh analyzer and two to Sphinx: written as a phrase, it neither turns
    the words after it into an AND (``|`` binds tighter than words side by side) nor shifts their counts."""
    from search.sphinxql_backend.querying import SPHINX_SCHEMA, sphinx_match
    from search.sphinxql_backend.searching import words_of

    cluster, index_dir = cluster_and_index
    read = read_query(text, SPHINX_SCHEMA)
    words = words_of(read)
    assert "u.s" in words
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        found = article_bm25(cursor, words, sphinx_match(read).text)
    ours = dict(zip(found.article_ids, found.scores.tolist()))
    expected = whoosh_scores(index_dir, words)
    assert ours.keys() == expected.keys() and ours
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_words_of_one_stem_count_once_as_with_whoosh(cluster_and_index) -> None:
    """``missile missiles`` is one word to the Whoosh backend (both are ``missil``): counted twice, the
    cluster would rank articles about missiles above those that also name Ukraine."""
    from search.sphinxql_backend.querying import SPHINX_SCHEMA, sphinx_match
    from search.sphinxql_backend.searching import words_of

    cluster, index_dir = cluster_and_index
    read = read_query("missile missiles ukraine", SPHINX_SCHEMA)
    words = words_of(read)
    assert words == ["missile", "ukraine"]
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        found = article_bm25(cursor, words, sphinx_match(read).text)
    ours = dict(zip(found.article_ids, found.scores.tolist()))
    assert ours and ours == pytest.approx(whoosh_scores(index_dir, ["missiles", "ukraine"]), rel=1e-9, abs=1e-9)


def test_rows_asked_for_in_two_steps_are_those_asked_for_at_once(cluster_and_index) -> None:
    cluster, _ = cluster_and_index

    def statements(rows: int) -> list[tuple[str, tuple]]:
        return [(f"SELECT COUNT(*) FROM {HEAD_INDEX} WHERE whole = 1", ()),
                (f"SELECT day, COUNT(*) n FROM {HEAD_INDEX} WHERE whole = 1 AND day > 0 GROUP BY day ORDER BY day ASC "
                 f"LIMIT {rows} OPTION max_matches={rows}", ()),
                (f"SELECT passage_id FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 0 ORDER BY akey ASC, position ASC "
                 f"LIMIT {rows} OPTION max_matches={rows}", ("@(title,body) (missiles | council)",))]

    with connect(cluster.head) as connection, connection.cursor() as cursor:
        at_once = _results(cursor, statements(1000))
        days, passages = len(at_once[1]), len(at_once[2])
        assert days > 3 and passages > 3
        assert results_up_to(cursor, statements, 1000, first=2) == at_once  # both filled two rows: asked again
        assert results_up_to(cursor, statements, 1000, first=min(days, passages)) == at_once  # the one that filled it
        assert results_up_to(cursor, statements, 1000, first=1000) == at_once
        capped = results_up_to(cursor, statements, 3, first=2)
        assert capped == [at_once[0], at_once[1][:3], at_once[2][:3]]
