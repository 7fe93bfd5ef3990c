"""Text added a token at a time gives the postings Whoosh's analyzer and format give passage by passage."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StandardAnalyzer, StemFilter, StemmingAnalyzer, StopFilter

from index.store.formats import TAG32
from index.schema import SCHEMA
from index.store.tokens import FieldTokens, analysis_steps

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

TEXTS = [
    "",
    "the of and to",
    "A I x: the cat's 3.141 big-time under_score, U.S. rates rose 0.5 pct",
    "École naïve CAFÉ résumé -- Straße İstanbul ǅemal",
    "Talks talked talking; the talks resumed. TALKS! wild*card",
    *(path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))),
]


def field_tokens(fieldname: str) -> FieldTokens:
    field = SCHEMA[fieldname]
    steps = analysis_steps(field.analyzer)
    return FieldTokens(steps, fieldname == "body", field.format.field_boost, field.format.encode)


def whoosh_postings(fieldname: str, texts: list[str]) -> tuple[list, list[int]]:
    """Each word's (word, passages, weights, values) as Whoosh analyses *texts*, and each text's length."""
    field = SCHEMA[fieldname]
    words = defaultdict(lambda: ([], [], []))
    lengths = []
    for docnum, text in enumerate(texts):
        length = 0
        for word, frequency, weight, value in field.index(text):
            length += frequency
            for part, item in zip(words[word], (docnum, weight, value)):
                part.append(item)
        lengths.append(length)
    return [(word, *words[word]) for word in sorted(words)], lengths


def batch_postings(fieldname: str, texts: list[str]) -> tuple[list, list[int]]:
    tokens = field_tokens(fieldname)
    lengths = [tokens.add(docnum, text) for docnum, text in enumerate(texts)]
    postings = [(word, list(ids), list(weights), list(values)) for word, ids, weights, values in tokens.postings()]
    return postings, lengths


@pytest.mark.parametrize("fieldname", ["title", "body"])
def test_passages_give_whooshs_postings_and_lengths(fieldname):
    ours, lengths = batch_postings(fieldname, TEXTS)
    assert (ours, lengths) == whoosh_postings(fieldname, TEXTS)
    assert lengths[0] == lengths[1] == 0 and len(ours) > 200


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("aeiou bcdt THE of,.'-9é\u0130\n*"), max_size=80), max_size=6))
def test_any_passages_give_whooshs_postings(texts):
    for fieldname in ("title", "body"):
        assert batch_postings(fieldname, texts) == whoosh_postings(fieldname, texts)


def test_a_batch_is_emptied_and_words_keep_their_numbers():
    tokens = field_tokens("body")
    tokens.add(0, "oil prices rose")
    assert [word for word, *_ in tokens.postings()] == [b"oil", b"price", b"rose"]
    assert len(tokens) == 0 and list(tokens.postings()) == []
    tokens.add(1, "prices fell")
    assert [(word, list(ids)) for word, ids, *_ in tokens.postings()] == [(b"fell", [1]), (b"price", [1])]


def test_places_past_sixteen_bits_are_packed_wider():
    text = "word " * 14_000 + "rare"  # "rare" at position 14,000, characters 70,000 to 70,004
    ours, _ = batch_postings("body", [text])
    assert ours == whoosh_postings("body", [text])[0]
    (value,) = [values[0] for word, _, _, values in ours if word == b"rare"]
    assert value.startswith(TAG32) and SCHEMA["body"].format.decode_characters(value) == [(14_000, 70_000, 70_004)]


@pytest.mark.parametrize("analyzer", [StandardAnalyzer(), StemmingAnalyzer(expression=r"(\w)\1+"),
                                      RegexTokenizer() | LowercaseFilter() | StopFilter() | StemFilter(lang="en"),
                                      RegexTokenizer() | LowercaseFilter() | StopFilter(renumber=False) | StemFilter()])
def test_other_analyzers_are_left_to_whoosh(analyzer):
    assert analysis_steps(analyzer) is None


def test_a_tokenizer_whose_expression_has_groups_of_its_own_is_split_as_it_matches():
    steps = analysis_steps(StemmingAnalyzer(expression=r"(\w+)(-\w+)?"))
    tokens = FieldTokens(steps, True, 1.0, SCHEMA["body"].format.encode)
    assert tokens.add(0, "well-known facts, known well") == 4
    assert [(word, SCHEMA["body"].format.decode_characters(values[0])) for word, _, _, values in tokens.postings()] == \
        [(b"fact", [(1, 11, 16)]), (b"known", [(2, 18, 23)]), (b"well", [(3, 24, 28)]), (b"well-known", [(0, 0, 10)])]
