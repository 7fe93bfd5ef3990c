"""Scoring on arrays gives what Whoosh's own search gives; the per-generation arrays and the
results cache follow the index as it changes."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import numpy as np
import pytest
from whoosh.query import AndNot

from index.articles import read_articles
from index.store import open_index
from index.store.reading import passage_characters
from index.writer import delete_articles, update_index
from search import create_app
from search.cache import BoundedCache, ResultsCache
from search.engine import search
from search.whoosh_backend import WhooshBackend
from search.whoosh_backend.generation import Generation
from search.whoosh_backend.matching import _Evaluator, match_passages, term_scores
from search.params import parse_search_params
from search.query import read_query
from tests.conftest import build_index, write_corpus

#: The test article about Storm Shadow missiles: its id is its URL.
STORM = "https://herald.example/world/storm-shadow"
QUERIES = [
    "missiles", "storm shadow", "ukraine power grid winter", "council OR bike", "marathon AND record",
    "title:marathon", "source:\"Northern Wire\"", "cycl* lanes", "missiles -storm", "(grid OR rates) NOT winter",
    "missiles^3 kyiv", "section:world", '"storm shadow" missiles', "nothingmatchesthis",
]


@pytest.fixture(scope="module")
def searcher(index_dir):
    with open_index(index_dir).searcher() as searcher:
        yield searcher


@pytest.mark.parametrize("merge", ["by sorting", "over every passage"])
@pytest.mark.parametrize("text", QUERIES)
def test_passages_and_scores_are_whooshs(searcher, text, merge, monkeypatch):
    # Unions of few matches are merged by sorting them, of many over arrays of every passage: both ways.
    monkeypatch.setattr(_Evaluator, "SPARSE", 0 if merge == "by sorting" else 10**9)
    query = read_query(text, searcher.schema).query
    expected = {docnum: score for score, docnum in searcher.search(query, limit=None).top_n}
    if isinstance(query, AndNot):
        # Whoosh's AND NOT lets through some passages that hold the excluded words; ours does not.
        excluded = set(searcher.docs_for_query(query.b))
        expected = {docnum: score for docnum, score in expected.items() if docnum not in excluded}
    found = match_passages(searcher, Generation(searcher).arrays, query)
    matched = found.docs.tolist()
    assert matched == sorted(expected) and len(found.scores) == len(matched)
    assert found.scores.tolist() == pytest.approx([expected[docnum] for docnum in matched], rel=1e-6)


def test_arrays_hold_each_article_once_with_its_metadata(searcher):
    arrays = Generation(searcher).arrays
    assert arrays.article_count == len({fields["article_id"] for fields in searcher.all_stored_fields()})
    for number, docnum in enumerate(arrays.first_passage):
        fields = searcher.stored_fields(int(docnum))
        assert arrays.article_ids[number] == fields["article_id"]
        assert arrays.article[docnum] == number
    storm = arrays.article_ids.index(STORM)
    assert str(arrays.published[storm])[:10] == "2024-11-20"
    assert arrays.source_names[arrays.source[storm]] == "Westbridge Herald"
    assert arrays.source_numbers("WESTBRIDGE herald").tolist() == [arrays.source[storm]]


def test_postings_and_lengths_are_whooshs(searcher):
    arrays = Generation(searcher).arrays
    docs, weights = arrays.postings("body", "missil")
    matcher = searcher.reader().postings("body", "missil")
    expected = []
    while matcher.is_active():
        expected.append((matcher.id(), matcher.weight()))
        matcher.next()
    assert list(zip(docs.tolist(), weights.tolist())) == expected
    for docnum in range(searcher.doc_count_all()):
        assert arrays.lengths["body"][docnum] == searcher.reader().doc_field_length(docnum, "body", 0)


def test_characters_are_where_the_word_stands(searcher):
    arrays = Generation(searcher).arrays
    docs = arrays.postings("body", "missil")[0].tolist()
    places = passage_characters(searcher.reader(), "body", "missil", docs)
    assert sorted(places) == docs
    for docnum, spots in places.items():
        body = searcher.stored_fields(docnum)["body"]
        assert all(body[start:end].lower().startswith("missil") for _, start, end in spots)


def test_a_word_searched_again_is_not_scored_again(searcher):
    arrays = Generation(searcher).arrays
    docs, scores = term_scores(searcher, arrays, "body", "missil")
    again = term_scores(searcher, arrays, "body", "missil")
    assert again[1] is scores and not scores.flags.writeable  # kept, and no caller can change it
    fresh = Generation(searcher).arrays
    assert np.array_equal(term_scores(searcher, fresh, "body", "missil")[1], scores)
    assert len(docs) == len(scores) > 0


def test_deleted_articles_leave_the_arrays_of_the_next_generation(tmp_path: Path):
    index_dir = build_index(write_corpus(tmp_path / "corpus"), tmp_path / "index")
    assert delete_articles(index_dir, [STORM]) == [STORM]
    with open_index(index_dir).searcher() as searcher:
        arrays = Generation(searcher).arrays
        assert STORM not in arrays.article_ids and searcher.doc_count() < searcher.doc_count_all()
        assert arrays.live.sum() == searcher.doc_count()
        assert all(searcher.stored_fields(int(docnum))["article_id"] != STORM
                   for docnum in arrays.postings("body", "shadow")[0])
    with WhooshBackend(index_dir).snapshot() as snapshot:
        results = search(snapshot, parse_search_params({"q": "storm shadow missiles"}))
        assert results.total and STORM not in [hit.article_id for hit in results.hits]


def test_the_arrays_of_a_replaced_generation_are_freed(tmp_path: Path):
    index_dir = build_index(write_corpus(tmp_path / "corpus"), tmp_path / "index")
    backend = WhooshBackend(index_dir)
    with backend.snapshot() as snapshot:
        old = weakref.ref(snapshot.arrays)
        del snapshot
    assert delete_articles(index_dir, [STORM]) == [STORM]
    with backend.snapshot() as snapshot:  # the idle snapshot is out of date: closed and replaced
        assert STORM not in snapshot.arrays.article_ids
    gc.collect()
    assert old() is None


def test_every_idle_snapshot_of_an_older_generation_is_closed(tmp_path: Path):
    index_dir = build_index(write_corpus(tmp_path / "corpus"), tmp_path / "index")
    backend = WhooshBackend(index_dir)
    first, second = backend.acquire(), backend.acquire()  # two requests at once: two snapshots
    backend.release(first)
    backend.release(second)
    assert delete_articles(index_dir, [STORM]) == [STORM]
    with backend.snapshot() as fresh:
        assert fresh.up_to_date() and fresh is not first and fresh is not second
    # Both old snapshots are closed, not kept idle with their arrays and open files.
    assert first.searcher.is_closed and second.searcher.is_closed
    with backend.snapshot() as again:
        assert again is fresh
    backend.close()
    assert fresh.searcher.is_closed


def test_results_are_not_cached_for_a_state_without_a_name():
    cache, computed = ResultsCache(8), []
    for _ in range(2):
        cache.get(None, "key", lambda: computed.append(1))
        cache.get(7, "key", lambda: computed.append(2))
    assert computed == [1, 2, 1]


def test_cache_answers_the_same_search_until_the_index_changes(tmp_path: Path):
    corpus = write_corpus(tmp_path / "corpus")
    index_dir = build_index(corpus, tmp_path / "index")
    cache = ResultsCache(8)
    params = parse_search_params({"q": "marathon"})
    with WhooshBackend(index_dir).snapshot() as snapshot:
        first = search(snapshot, params, cache)
        again = search(snapshot, params, cache)
        assert again.hits is first.hits and first.total == 1
    (corpus / "marathon-2.txt").write_text(
        "Title: Marathon record falls again\nPublished: 2024-04-14\n\nA second marathon record in two years.\n",
        encoding="utf-8")
    update_index(index_dir, read_articles([corpus]))
    with WhooshBackend(index_dir).snapshot() as snapshot:
        assert search(snapshot, params, cache).total == 2


def test_no_cache_when_its_size_is_zero(index_dir):
    cache = ResultsCache(0)
    params = parse_search_params({"q": "marathon"})
    with WhooshBackend(index_dir).snapshot() as snapshot:
        assert search(snapshot, params, cache).hits is not search(snapshot, params, cache).hits


@pytest.mark.parametrize("size", [-1, "many", 2.5])
def test_cache_size_must_be_a_whole_number(index_dir, size):
    with pytest.raises(ValueError, match="NEWS_SEARCH_RESULTS_CACHE"):
        create_app({"INDEX": str(index_dir), "RESULTS_CACHE": size})


def test_bounded_cache_keeps_the_newest_within_budget():
    cache = BoundedCache(budget=5)
    assert cache.get("a", lambda: [1, 2, 3]) == [1, 2, 3]
    assert cache.get("a", lambda: ["recomputed"]) == [1, 2, 3]
    cache.get("b", lambda: [4, 5])
    cache.get("c", lambda: [6])  # 3 + 2 + 1 > 5: the oldest, "a", goes
    assert cache.lookup("a") is None and cache.lookup("b") == [4, 5] and cache.lookup("c") == [6]


def test_cached_characters_answer_as_the_index_does(searcher):
    arrays = Generation(searcher).arrays
    docs = arrays.postings("body", "missil")[0].tolist() + [0]
    expected = passage_characters(searcher.reader(), "body", "missil", docs)
    assert arrays.characters("body", "missil", docs) == expected
    assert arrays.characters("body", "missil", docs[::-1]) == expected  # now from the cache


@pytest.mark.parametrize("summed", ["run by run", "over every article"])
def test_a_words_article_frequencies_count_body_passages_and_the_title_once(searcher, summed, monkeypatch):
    from search.whoosh_backend import ranking

    if summed == "over every article":
        monkeypatch.setattr(ranking, "increasing", lambda values: False)
    arrays = Generation(searcher).arrays
    for fieldname, word in searcher.reader().all_terms():
        if fieldname != "body" and fieldname != "title":
            continue
        word = word.decode("utf-8")
        body: dict[int, float] = {}
        for docnum, weight in zip(*arrays.postings("body", word)):
            body[arrays.article[docnum]] = body.get(arrays.article[docnum], 0.0) + weight
        # Every passage repeats its article's title: a title's word counts once an article.
        title = {arrays.article[docnum]: weight for docnum, weight in zip(*arrays.postings("title", word))}
        expected = {article: body.get(article, 0.0) + ranking.TITLE_WEIGHT * title.get(article, 0.0)
                    for article in body.keys() | title.keys()}
        articles, tf = ranking.article_tf(arrays, word)
        assert articles.tolist() == sorted(expected)
        assert tf.tolist() == pytest.approx([expected[article] for article in sorted(expected)])


def test_article_bm25_and_all_words_are_the_same_for_articles_in_order_repeated_or_unordered(searcher):
    from search.whoosh_backend import ranking

    arrays = Generation(searcher).arrays
    words = {"missil": 1.0, "storm": 2.0, "ukrain": 1.0, "nowher": 1.0}
    frequencies = ranking.article_frequencies(arrays, [word for word in words if word != "nowher"])
    words.pop("nowher")
    every = np.arange(arrays.article_count)
    expected = sum(weight * frequencies[word].at(every) for word, weight in words.items())
    holds_both = (frequencies["missil"].at(every) > 0) & (frequencies["storm"].at(every) > 0)
    assert expected.any() and holds_both.any() and not holds_both.all()
    for articles in (every, np.repeat(every, 3), every[::-1], np.array([2, 0, 2, 1]) % arrays.article_count):
        scores, holding = ranking._bm25_holding(arrays, frequencies, words, articles, {"missil", "storm"})
        assert scores.tolist() == expected[articles].tolist() and holding.tolist() == holds_both[articles].tolist()
        assert ranking.article_bm25(arrays, frequencies, words, articles).tolist() == scores.tolist()
    _, holding = ranking._bm25_holding(arrays, frequencies, words, every, {"missil", "nowher"})
    assert not holding.any()  # a required word no article holds


def test_passage_evidence_is_the_sum_of_each_articles_best_two_passages():
    from search.whoosh_backend.ranking import PASSAGES_SCORED, passage_evidence

    rng = np.random.default_rng(4)
    for _ in range(200):
        sizes = rng.integers(1, 5, int(rng.integers(1, 30)))  # one passage or several, ties common
        scores = rng.integers(-1, 4, int(sizes.sum())) * 0.75
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        expected = [sum(max(score, 0.0) for score in sorted(scores[start:start + size], reverse=True)[:PASSAGES_SCORED])
                    for start, size in zip(starts, sizes)]
        assert passage_evidence(starts, scores).tolist() == expected
