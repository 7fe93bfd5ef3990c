"""Reading a query: plain words of letters are read without Whoosh's parser, to the very query it makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.articles import Article, read_articles
from index.schema import SCHEMA
from search.query import build_parser, letter_words_query, read_query, with_repeats
from tests.test_speed_benchmark import TITLES

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

WORDS = [
    "oil", "Oil Prices", "the oil", "  bank\tshares\nacquisition ", "café prix", "Zürich banks", "Ölpreise steigen",
    "the of", "and or", "a", "OPEC opec OPEC", "running runners ran", "And Or Not", "not the end",
]


def corpus_titles() -> list[str]:
    return [item.title for item in read_articles([CORPUS]) if isinstance(item, Article)]


@pytest.mark.parametrize("text", WORDS)
def test_words_of_letters_are_read_as_the_parser_reads_them(text):
    made = letter_words_query(text, SCHEMA)
    assert made is not None
    assert made.normalize() == build_parser(SCHEMA).parse(text).normalize()


def test_every_title_of_letters_in_the_corpus_is_read_as_the_parser_reads_it():
    titles = [text for title in corpus_titles() + TITLES for text in (title, title.lower())]
    read = [(title, letter_words_query(title, SCHEMA)) for title in titles]
    plain = [(title, query) for title, query in read if query is not None]
    assert len(plain) >= 5, "too few titles of letters alone to compare"
    for title, query in plain:
        assert query.normalize() == build_parser(SCHEMA).parse(title).normalize(), title


@pytest.mark.parametrize("text", ["oil AND prices", "oil OR gas", "NOT oil", "oil -gas", '"oil prices"', "title:oil",
                                  "oil*", "u.s. oil", "opec's output", "g7 talks", "3 pct", "oil, gas", "(oil)", "oil?",
                                  "long-range", "snake_case"])
def test_anything_but_words_of_letters_goes_to_the_parser(text):
    assert letter_words_query(text, SCHEMA) is None


def test_a_query_of_stop_words_alone_still_says_it_has_nothing_to_search():
    read = read_query("the of and", SCHEMA)
    assert read.query is None
    assert read.warnings == ["The query has no words that can be searched for."]


@pytest.mark.parametrize("question, searched", [
    ("Why did Yukos file for bankruptcy protection?", "Yukos file for bankruptcy protection?"),
    ("how much did the bank pay", "the bank pay"),
    ("Who won the Oscar for best film", "won the Oscar for best film"),
    ("what caused the sugar price rise", "caused the sugar price rise"),
])
def test_a_question_is_searched_without_the_words_it_asks_with(question, searched):
    read = read_query(question, SCHEMA)
    assert read.query == read_query(searched, SCHEMA).query
    assert read.text == searched
    assert not {"why", "did", "how", "much", "who", "what"} & {text for _, text in read.query.iter_all_terms()}


@pytest.mark.parametrize("text", ["what is it", "The Who", "why", "how to", "oil what prices", '"what if" film'])
def test_text_that_does_not_open_with_a_question_or_leaves_too_little_is_searched_whole(text):
    assert read_query(text, SCHEMA).text == text


def test_the_words_a_question_asks_with_are_not_required_of_an_all_words_match():
    assert read_query("why did yukos file for bankruptcy", SCHEMA).required == {"yuko", "file", "bankruptci"}


def weighted(text: str):
    """The Whoosh query the Whoosh backend searches for *text*: its words typed twice boosted."""
    read = read_query(text, SCHEMA)
    return with_repeats(read.query, read.repeated)


def test_a_word_typed_twice_is_boosted_in_title_and_body_alike():
    import search.query
    from whoosh.query import Term

    saved, search.query.QUERY_TF_K3 = search.query.QUERY_TF_K3, 8.0
    try:
        boosts = {(leaf.fieldname, leaf.text): leaf.boost
                  for leaf in weighted("Oil prices: oil output and -gas gas").leaves() if isinstance(leaf, Term)}
        own_logic = weighted("oil AND oil prices").leaves()
    finally:
        search.query.QUERY_TF_K3 = saved
    assert boosts[("title", "oil")] == boosts[("body", "oil")] == pytest.approx(9 * 2 / 10)
    assert boosts[("title", "price")] == boosts[("body", "output")] == 1.0
    assert boosts[("body", "ga")] == 1.0  # an excluded word is not counted as typed
    assert all(leaf.boost == 1.0 for leaf in own_logic)  # AND, OR and fields say what the query means


def test_a_required_word_leaves_the_others_boosted_as_the_cluster_weighs_them():
    import search.query
    from search.sphinxql_backend.querying import SPHINX_SCHEMA
    from search.sphinxql_backend.searching import repeat_weights, words_of
    from whoosh.query import Term

    saved, search.query.QUERY_TF_K3 = search.query.QUERY_TF_K3, 8.0
    try:
        leaves = weighted("oil oil prices +gas").leaves()
        boosts = {leaf.text: leaf.boost for leaf in leaves if isinstance(leaf, Term)}
        cluster_read = read_query("oil oil prices +gas", SPHINX_SCHEMA)
        cluster = repeat_weights(cluster_read, words_of(cluster_read))
    finally:
        search.query.QUERY_TF_K3 = saved
    assert boosts == {"ga": 1.0, "oil": pytest.approx(1.8), "price": 1.0}
    assert cluster == {"oil": pytest.approx(1.8)}
