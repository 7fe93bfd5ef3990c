"""The extraction benchmark: its token scores on texts worked out by hand, and our reader on real pages."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

import pytest

from benchmarks.extraction import (
    ExtractorRun,
    Page,
    Score,
    mean_score,
    notes,
    read_pages,
    run_news_search,
    score_run,
    score_text,
    tokens,
    worse_pages,
)
from tests.data_paths import require_data

#: Real pages read in the end-to-end test: enough to mean something, few enough to stay fast.
SAMPLE_PAGES = 10


def test_tokens_are_lower_cased_words_counted_with_repeats():
    assert tokens("Storm, STORM and a storm-warning: Zürich's café") == {
        "storm": 3, "and": 1, "a": 1, "warning": 1, "zürich": 1, "s": 1, "café": 1,
    }


def test_same_words_in_another_case_and_punctuation_score_one():
    assert score_text("The ferry is back!", "the ferry -- is BACK") == Score(1.0, 1.0, 1.0)


def test_part_of_the_text_found_with_an_extra_word():
    # 3 of the 4 predicted tokens are expected (P = 3/4); 3 of the 6 expected ones are found
    # (R = 3/6); F1 = 2 * 0.75 * 0.5 / 1.25 = 0.6.
    assert astuple(score_text("the ferry returns today", "The ferry returns on Monday morning")) == pytest.approx(
        (0.75, 0.5, 0.6)
    )


def test_a_repeated_word_is_found_only_as_often_as_expected():
    # Predicted storm x3 + warning, expected storm + warning + issued: 2 tokens in common.
    # P = 2/4, R = 2/3, F1 = 2 * (1/2 * 2/3) / (1/2 + 2/3) = 4/7.
    score = score_text("storm storm storm warning", "storm warning issued")
    assert astuple(score) == pytest.approx((0.5, 2 / 3, 4 / 7))


def test_no_word_in_common_scores_zero():
    assert score_text("cats purr", "dogs bark") == Score(0.0, 0.0, 0.0)


@pytest.mark.parametrize("predicted", ["", "  \n ", "— … !"])
def test_an_empty_prediction_of_a_real_body_scores_zero(predicted: str):
    assert score_text(predicted, "The ferry is back.") == Score(0.0, 0.0, 0.0)


def test_an_empty_prediction_of_an_empty_body_scores_one():
    assert score_text("", "") == Score(1.0, 1.0, 1.0)


def test_text_where_none_was_expected_has_no_precision():
    assert score_text("Subscribe now", "") == Score(0.0, 1.0, 0.0)


def test_mean_weighs_every_page_the_same():
    scores = [Score(1.0, 1.0, 1.0), Score(0.5, 0.25, 0.0), Score(0.0, 0.5, 0.5)]
    assert astuple(mean_score(scores)) == pytest.approx((0.5, 1.75 / 3, 0.5))
    assert mean_score([]) == Score(0.0, 0.0, 0.0)


def test_pages_worse_than_the_peer_by_more_than_the_margin_largest_gap_first():
    ours = {"a": Score(1, 1, 0.95), "b": Score(1, 1, 0.5), "c": Score(1, 1, 0.2), "d": Score(1, 1, 0.85)}
    theirs = {"a": Score(1, 1, 0.99), "b": Score(1, 1, 0.9), "c": Score(1, 1, 0.9), "d": Score(1, 1, 0.95)}
    assert worse_pages(ours, theirs) == ["c", "b"]  # d trails by exactly 0.1: not more


def test_a_page_without_an_article_scores_as_an_empty_body_and_trafilatura_missing_is_said():
    pages = [Page("p1", Path("p1.html.gz"), "The ferry is back.", ""),
             Page("p2", Path("p2.html.gz"), "Storm warning issued.", "")]
    run = ExtractorRun("news-search", {"p1": "The ferry is back."}, 1.0,
                       metadata={"p1": {"title": "Ferry", "body": "The ferry is back.", "published": "2024-11-17"}},
                       skipped={"p2": "no article text found"})
    scores = {"news-search": score_run(run, pages)}
    assert scores["news-search"] == {"p1": Score(1.0, 1.0, 1.0), "p2": Score(0.0, 0.0, 0.0)}
    assert notes(run, pages, scores).splitlines() == [
        "news-search found: title 50%, published 50%, author 0% of 2 pages (0 titles are also the body's first line)",
        "news-search gave no article for 1 pages (scored as empty): p2 (no article text found)",
        "trafilatura is not installed (pip install trafilatura lxml_html_clean); scored news-search only",
    ]


@pytest.mark.data
def test_our_reader_on_real_news_pages():
    pages = read_pages(require_data("article_extraction_benchmark"))[:SAMPLE_PAGES]
    run = run_news_search(pages)
    assert run.skipped == {}
    assert sorted(run.bodies) == [page.id for page in pages]
    assert mean_score(score_run(run, pages).values()).f1 > 0.85
