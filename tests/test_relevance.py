"""The relevance benchmark: its measures on runs worked out by hand, the test collection readers,
and a tiny judged collection searched end to end through the engine and the FTS5 peers."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from benchmarks.collections import (
    TIME_GAP_END,
    Collection,
    Document,
    read_collection,
    read_time,
    time_article_id,
    time_judgment_pairs,
)
from benchmarks.relevance import (
    engine_run,
    evaluate,
    fts5_query,
    measure,
    peer_passages,
    ranking_run,
    run_fts5_articles,
    run_fts5_passages,
    typed_query,
)
from search.params import MAX_QUERY_TERMS
from tests.data_paths import require_data

#: 1 / log2(3): the discounted gain of a relevant document at rank 2.
AT_RANK_2 = 1 / math.log2(3)

TINY = Collection(
    name="tiny",
    documents=[
        Document("d1", "Harbour bridge reopens after storm repairs",
                 "The harbour bridge reopened to traffic on Monday after three weeks of storm repairs.\n"
                 "Engineers replaced cables damaged when the storm hit the estuary."),
        Document("d2", "City council approves budget",
                 "The city council approved next year's budget, with more money for parks and playgrounds."),
        Document("d3", "Storm floods coastal villages",
                 "Heavy rain brought by the storm flooded three coastal villages overnight.\n"
                 "Residents spent the night in the school hall."),
        Document("d4", "Library to open on Sundays",
                 "The central library will open on Sundays from next month, the council said."),
        Document("d5", "Cycling race crosses the mountains",
                 "Riders in the national cycling race crossed the mountain pass in thick fog."),
        Document("d6", "Orchestra fills the cathedral",
                 "The city orchestra played to a full cathedral on Saturday evening."),
    ],
    queries={"1": "Cycling race", "2": "storm damage", "3": "council"},
    qrels={
        "1": {"d5": 1},  # only d5 holds either word: rank 1
        "2": {"d3": 1},  # the flooded villages; d1 holds both words, so it leads and d3 comes second
        "3": {"d2": 1, "d4": 2},  # d2 has "council" in its title too, so it leads; d4, the better answer, is second
    },
)

# Worked out by hand, gains as graded, discount 1 / log2(rank + 1):
#   query 1: d5 at rank 1                       nDCG@10 = 1                      AP = 1    R@100 = 1
#   query 2: d3 at rank 2                       nDCG@10 = 1 / log2(3) = 0.6309   AP = 1/2  R@100 = 1
#   query 3: d2 (gain 1) then d4 (gain 2)       DCG  = 1 + 2 / log2(3)           = 2.2619
#                                               IDCG = 2 + 1 / log2(3)           = 2.6309
#                                               nDCG@10 = 0.8597                 AP = (1/1 + 2/2) / 2 = 1  R@100 = 1
QUERY_3_NDCG = (1 + 2 * AT_RANK_2) / (2 + AT_RANK_2)
TINY_FIGURES = {
    "nDCG@10": (1 + AT_RANK_2 + QUERY_3_NDCG) / 3,  # 0.8302
    "MAP": (1 + 0.5 + 1) / 3,  # 0.8333
    "R@100": 1.0,
}


def test_relevant_document_at_rank_two():
    figures = evaluate(ranking_run({"q": ["other", "wanted"]}), {"q": {"wanted": 1}})
    assert figures == pytest.approx({"nDCG@10": 0.6309297535714575, "MAP": 0.5, "R@100": 1.0})


def test_two_relevant_documents_around_a_miss():
    # Ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5, IDCG = 1 + 1/log2(3) = 1.6309; AP = (1/1 + 2/3) / 2.
    figures = evaluate(ranking_run({"q": ["a", "miss", "b"]}), {"q": {"a": 1, "b": 1}})
    assert figures == pytest.approx({"nDCG@10": 1.5 / (1 + AT_RANK_2), "MAP": 5 / 6, "R@100": 1.0})


def test_judged_query_without_results_counts_as_zero_and_unjudged_query_is_ignored():
    rankings = {"found": ["a"], "unjudged": ["x", "y"]}
    figures = evaluate(ranking_run(rankings), {"found": {"a": 1}, "empty": {"b": 1}})
    assert figures == pytest.approx({"nDCG@10": 0.5, "MAP": 0.5, "R@100": 0.5})


def test_run_keeps_the_engine_order_whatever_the_ids():
    # By score alone ties would be broken by document id; scores from ranks leave nothing to break.
    run = ranking_run({"q": ["zebra", "apple", "mango"]})
    assert sorted(run["q"], key=run["q"].__getitem__, reverse=True) == ["zebra", "apple", "mango"]
    assert evaluate(run, {"q": {"apple": 1}})["MAP"] == pytest.approx(0.5)


def test_odd_and_even_queries_are_measured_apart():
    figures = measure({"1": ["a"], "2": ["x", "b"]}, {"1": {"a": 1}, "2": {"b": 1}})
    assert figures["nDCG@10 odd"] == pytest.approx(1.0)
    assert figures["nDCG@10 even"] == pytest.approx(AT_RANK_2)
    assert figures["nDCG@10"] == pytest.approx((1 + AT_RANK_2) / 2)


def test_queries_are_typed_in_lower_case_within_the_engine_limits():
    typed = typed_query("KENNEDY ADMINISTRATION PRESSURE ON NGO DINH DIEM .")
    assert typed == "kennedy administration pressure on ngo dinh diem ."
    assert typed_query(" ".join(f"w{n}" for n in range(100))).split() == [f"w{n}" for n in range(MAX_QUERY_TERMS)]


def test_fts5_query_quotes_every_word_so_no_syntax_survives():
    query = fts5_query('What "IS" a: b* (TSS) -y NEAR/2 what?')
    assert query == '"what" OR "is" OR "a" OR "b" OR "tss" OR "y" OR "near" OR "2"'
    assert fts5_query("?! --") == ""


def test_peer_passages_are_nearly_equal_runs_of_about_120_words():
    body = " ".join(f"w{n}" for n in range(250))
    assert [len(passage.split()) for passage in peer_passages(body)] == [125, 125]
    assert peer_passages("a few words") == ["a few words"]
    assert peer_passages("") == [""]


def test_tiny_collection_through_the_engine(tmp_path: Path):
    queries = {query_id: typed_query(text) for query_id, text in TINY.queries.items()}
    run = engine_run(tmp_path / "index", TINY, queries)
    assert run.indexed == 6 and not run.errors and not run.warnings and not run.no_results
    assert run.rankings == {"1": ["d5"], "2": ["d1", "d3"], "3": ["d2", "d4"]}
    assert measure(run.rankings, TINY.qrels) == pytest.approx(
        {**TINY_FIGURES, "nDCG@10 odd": (1 + QUERY_3_NDCG) / 2, "nDCG@10 even": AT_RANK_2}
    )


@pytest.mark.parametrize("peer", [run_fts5_passages, run_fts5_articles])
def test_tiny_collection_through_the_fts5_peers(peer):
    run = peer(TINY, {query_id: typed_query(text) for query_id, text in TINY.queries.items()})
    assert run.indexed == 6
    assert run.rankings["1"] == ["d5"]
    assert set(run.rankings["2"]) == {"d1", "d3"} and set(run.rankings["3"]) == {"d2", "d4"}


@pytest.mark.data
def test_time_collection_counts_and_numbering():
    folder = require_data("time_magazine")
    time_magazine = read_time(folder)
    assert len(time_magazine.documents) == 423
    assert len(time_magazine.queries) == 83
    assert len(time_judgment_pairs(folder / "TIME.REL.ALL")) == 324
    assert time_magazine.judgment_count == 324 and len(time_magazine.qrels) == 83
    # Judgments count articles by position: query 1's first, 268, is *TEXT 334, on Diem and the Buddhists.
    assert time_magazine.qrels["1"] == dict.fromkeys(["268", "288", "304", "308", "323", "326", "334"], 1)
    article = time_magazine.documents[267]
    assert article.id == "268" and "DIEM" in article.body and "BUDDHIST" in article.body
    assert time_magazine.queries["83"].startswith("RED CHINESE BLAMING OF ECONOMIC TROUBLES")


def _long_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z]+", text.lower()) if len(word) > 4}


@pytest.mark.data
def test_time_judgments_past_the_missing_articles_name_the_articles_two_places_earlier():
    folder = require_data("time_magazine")
    time_magazine = read_time(folder)
    words = {document.id: _long_words(document.body) for document in time_magazine.documents}
    past = [(query_id, int(position)) for query_id, position in time_judgment_pairs(folder / "TIME.REL.ALL")
            if int(position) >= TIME_GAP_END]
    assert len(past) == 34
    here, written = [], []
    for query_id, position in past:
        query = _long_words(time_magazine.queries[query_id])
        here.append(len(query & words[time_article_id(position)]))
        written.append(len(query & words.get(str(position), set())))
        assert time_article_id(position) in time_magazine.qrels[query_id]
    assert all(a >= b for a, b in zip(here, written)) and sum(here) > 4 * sum(written)
    # Query 15, the election of Park Chung Hee: judged 424, past this copy's last article (423).
    assert time_magazine.qrels["15"] == dict.fromkeys(["94", "118", "128", "164", "422"], 1)
    assert "CHUNG HEE" in time_magazine.documents[421].body
    with pytest.raises(ValueError, match="gap"):
        time_article_id(TIME_GAP_END - 1)
    assert read_collection("time-as-written", folder.parent).qrels["15"] == dict.fromkeys(
        ["94", "118", "128", "164", "424"], 1)


@pytest.mark.data
@pytest.mark.parametrize(
    "name, documents, queries, judged, judgments",
    [
        ("cranfield", 1400, 225, 225, 1612),  # 1837 lines less the 225 of code -1
        ("cisi", 1460, 112, 76, 3114),
        ("cacm", 3204, 64, 52, 796),
        ("npl", 11429, 93, 93, 2083),
    ],
)
def test_other_collections_counts(name, documents, queries, judged, judgments):
    data = require_data(name).parent
    collection = read_collection(name, data)
    assert (len(collection.documents), len(collection.queries), len(collection.qrels), collection.judgment_count) \
        == (documents, queries, judged, judgments)
    assert [document.id for document in collection.documents] == [str(n) for n in range(1, documents + 1)]
    assert set(collection.qrels) <= set(collection.queries)
