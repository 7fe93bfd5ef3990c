"""Did-you-mean: a misspelling is corrected to the word the index holds far more often, even when the
misspelling itself occurs a few times, and a word spelled right is left alone."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.corpora import reuters_articles, write_jsonl
from benchmarks.speed import title_words
from index.articles import Article, read_articles
from index.writer import update_index
from search.engine import search
from search.params import parse_search_params
from search.whoosh_backend import WhooshBackend
from tests.data_paths import require_data

COUNTRIES = ["Norway", "Chile", "Kenya", "Canada", "Japan", "Poland", "Egypt", "Peru", "Spain", "Ghana",
             "Brazil", "Austria", "India", "Mexico", "Greece", "Turkey", "Sweden", "Nigeria", "Vietnam", "Ireland",
             "Portugal", "Morocco", "Finland", "Colombia", "Malaysia"]


def wire(topic: str, number: int, sentence: str) -> Article:
    """A short agency story, one of a series on *topic*."""
    country = COUNTRIES[number % len(COUNTRIES)]
    return Article(id=f"{topic}-{number}", title=f"{country} {topic} report {number}", path=f"{topic}-{number}.txt",
                   body=f"{sentence.format(country=country)} Officials gave no further details on day {number}.")


def news() -> list[Article]:
    """Agency stories in which each right spelling is far more frequent than its misspelling."""
    return [
        *[wire("budget", n, "The {country} government said it would cut spending on roads.") for n in range(25)],
        wire("budget", 99, "The {country} goverment said it would cut spending on bridges."),
        *[wire("defence", n, "{country} tested a missile off its northern coast.") for n in range(25)],
        wire("defence", 99, "{country} tested a missle off its southern coast."),
        *[wire("bank", n, "The Bundesbank left its rates unchanged, traders in {country} said.") for n in range(25)],
        wire("bank", 99, "The Bundesbnak left its rates unchanged, traders in {country} said."),
        # "opec" is rarer than "operators" and "open", each one edit from "opek" once stemmed.
        *[wire("oil", n, "OPEC ministers will meet in Vienna, {country} said.") for n in range(3)],
        *[wire("port", n, "Port operators in {country} said the terminal would open early.") for n in range(12)],
        # Two right spellings, one edit apart and about as frequent.
        *[wire("mines", n, "The {country} coal mine reopened.") for n in range(4)],
        *[wire("weather", n, "A cool spring delayed planting in {country}.") for n in range(4)],
    ]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory):
    index_dir: Path = tmp_path_factory.mktemp("spelling") / "index"
    assert update_index(index_dir, news()).committed
    with WhooshBackend(index_dir).snapshot() as snapshot:
        yield snapshot


def suggestion(snapshot, q: str) -> str | None:
    return search(snapshot, parse_search_params({"q": q})).suggestion


@pytest.mark.parametrize("typed, meant", [
    ("goverment", "government"),  # found once, "government" 25 times
    ("missle", "missile"),
    ("bundesbnak", "bundesbank"),  # two letters swapped
    ("opek", "opec"),  # sounds like it: not "operators", more frequent but not what was meant
    ("goverment spending", "government spending"),
])
def test_a_misspelling_is_corrected_to_the_far_more_frequent_word(snapshot, typed, meant):
    assert suggestion(snapshot, typed) == meant


@pytest.mark.parametrize("word", ["government", "missile", "opec", "coal", "cool", "spending", "vienna"])
def test_a_word_spelled_right_gets_no_suggestion(snapshot, word):
    assert suggestion(snapshot, word) is None


@pytest.mark.data
def test_reuters_misspellings_are_corrected_and_frequent_title_words_left_alone(tmp_path: Path):
    records = list(reuters_articles(require_data("reuters21578")))
    feed = tmp_path / "reuters.jsonl"
    write_jsonl(records, feed)
    assert update_index(tmp_path / "index", read_articles([feed])).committed
    counts = Counter(word for record in records for word in title_words(record["title"]) if word.isalpha())
    with WhooshBackend(tmp_path / "index").snapshot() as snapshot:
        for typed, meant in [("opek", "opec"), ("goverment", "government"), ("missle", "missile"),
                             ("bundesbnak", "bundesbank")]:
            assert suggestion(snapshot, typed) == meant, typed
        frequent = [word for word, _ in counts.most_common(200)]
        assert {word: found for word in frequent if (found := suggestion(snapshot, word))} == {}
