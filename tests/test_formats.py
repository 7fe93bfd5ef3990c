"""Posting values as arrays: the same places as Whoosh's own formats, and Whoosh's values still read."""

from __future__ import annotations

import pytest
from whoosh import formats as whoosh_formats
from whoosh.analysis import StemmingAnalyzer

from index.store.formats import TAG16, TAG32, Characters, Positions, pack, unpack
from index.schema import SCHEMA

TEXT = "A I x: the cat's 3.141 big-time under_score, U.S. rates rose; the rates fell. École İstanbul"


def test_numbers_are_packed_sixteen_bits_wide_until_one_needs_more():
    assert pack([3, 0, 65535]) == TAG16 + bytes([3, 0, 0, 0, 255, 255])
    assert pack([3, 65536]) == TAG32 + bytes([3, 0, 0, 0, 0, 0, 1, 0])
    assert list(unpack(pack([3, 0, 65535]))) == [3, 0, 65535]
    assert list(unpack(pack([70_000, 2]))) == [70_000, 2]


@pytest.mark.parametrize("ours, whooshs", [(Positions(field_boost=2.0), whoosh_formats.Positions(field_boost=2.0)),
                                           (Characters(), whoosh_formats.Characters())])
def test_values_hold_what_whooshs_formats_hold(ours, whooshs):
    analyzer = StemmingAnalyzer()
    mine = list(ours.word_values(TEXT, analyzer, mode="index"))
    theirs = list(whooshs.word_values(TEXT, analyzer, mode="index"))
    assert [(word, frequency, weight) for word, frequency, weight, _ in mine] == \
        [(word, frequency, weight) for word, frequency, weight, _ in theirs]
    assert {word for word, frequency, *_ in mine if frequency > 1} == {"rate"}
    for (_, _, _, value), (_, _, _, pickled) in zip(mine, theirs):
        assert value[:1] in (TAG16[:1], TAG32[:1]) and pickled[:1] == b"\x00"
        for name in ("frequency", "weight", "positions", "position_boosts") + \
                (("characters",) if isinstance(ours, Characters) else ()):
            # Ours reads its own values and Whoosh's alike, as Whoosh reads its own.
            assert ours.decode_as(name, value) == ours.decode_as(name, pickled) == whooshs.decode_as(name, pickled)


def test_places_past_sixteen_bits_are_kept():
    text = "word " * 14_000 + "rare"  # "rare" at position 14,000, characters 70,000 to 70,004
    (value,) = [value for word, _, _, value in Characters().word_values(text, StemmingAnalyzer(), mode="index")
                if word == "rare"]
    assert value.startswith(TAG32)
    assert Characters().decode_characters(value) == [(14_000, 70_000, 70_004)]


def test_the_schema_stores_body_characters_and_title_positions():
    assert type(SCHEMA["body"].format) is Characters and type(SCHEMA["title"].format) is Positions
