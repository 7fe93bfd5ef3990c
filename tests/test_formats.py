"""One-pass analysis for indexing gives what Whoosh's formats give through the analyzer chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StandardAnalyzer, StemFilter, StemmingAnalyzer, StopFilter

from index.formats import OnePassCharacters, OnePassPositions
from index.schema import SCHEMA

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

TEXTS = [
    "",
    "the of and to",
    "A I x: the cat's 3.141 big-time under_score, U.S. rates rose 0.5 pct",
    "École naïve CAFÉ résumé -- Straße İstanbul ǅemal",
    "Talks talked talking; the talks resumed. TALKS!",
    *(path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))),
]


def whoosh_values(one_pass, value: str, analyzer) -> list:
    library = formats.Characters if isinstance(one_pass, OnePassCharacters) else formats.Positions
    return list(library(field_boost=one_pass.field_boost).word_values(value, analyzer, mode="index"))


@pytest.mark.parametrize("fieldname", ["title", "body"])
@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_words_places_and_weights_are_whooshs(fieldname, text):
    field = SCHEMA[fieldname]
    assert isinstance(field.format, (OnePassPositions, OnePassCharacters))
    ours = list(field.format.word_values(text, field.analyzer, mode="index"))
    assert ours == whoosh_values(field.format, text, field.analyzer)
    assert bool(ours) == bool(text.strip() and text != "the of and to")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aeiou bcdt THE of,.'-9é\u0130\n"), max_size=80))
def test_any_text_is_analysed_as_whoosh_does(text):
    for fieldname in ("title", "body"):
        field = SCHEMA[fieldname]
        assert list(field.format.word_values(text, field.analyzer, mode="index")) == \
            whoosh_values(field.format, text, field.analyzer)


@pytest.mark.parametrize("analyzer", [StandardAnalyzer(),
                                      RegexTokenizer() | LowercaseFilter() | StopFilter() | StemFilter(lang="en"),
                                      StemmingAnalyzer(minsize=4)])
def test_other_analyzers_give_the_same_values(analyzer):
    text = "The talks resumed after a long pause in Geneva"
    for one_pass in (OnePassPositions(field_boost=2.0), OnePassCharacters()):
        ours = list(one_pass.word_values(text, analyzer, mode="index"))
        assert ours and ours == whoosh_values(one_pass, text, analyzer)


def test_words_a_stemmer_leaves_alone_are_left_alone_by_that_stemmer_only():
    leaving = StemmingAnalyzer(ignore=["running"])
    assert [word for word, *_ in OnePassPositions().word_values("running", leaving, mode="index")] == ["running"]
    field = SCHEMA["body"]
    assert [word for word, *_ in field.format.word_values("running", field.analyzer, mode="index")] == \
        [word for word, *_ in whoosh_values(field.format, "running", field.analyzer)] == ["runn"]  # Porter's stem
