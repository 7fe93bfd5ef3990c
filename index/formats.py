"""Whoosh's ``Positions`` and ``Characters`` posting formats, analysing text for indexing in one pass.

To index a passage, Whoosh's format runs the analyzer -- a chain of generators (tokenizer, lower
case, stop words, stemmer), each handing one shared token object to the next -- and collects where
each stemmed word stands. For the English analyzer of :mod:`index.schema` (Whoosh's
``StemmingAnalyzer``) these formats do the same in one loop over the tokenizer's matches, with a
plain dictionary of stems in place of the stemmer's LFU cache; any other analyzer, and any call with
options, goes the library's way. What they produce is the same word for word
(``tests/test_formats.py``), and reading postings is Whoosh's own code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from whoosh import formats
from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

#: Stems remembered per stemming function and set of words it leaves alone; the dictionary starts
#: afresh when it holds this many.
STEM_CACHE_SIZE = 200_000

_stems: dict[tuple[Callable[[str], str], frozenset[str]], dict[str, str]] = {}


class _Steps(NamedTuple):
    """What the one-pass analysis needs to know of a ``StemmingAnalyzer``."""

    expression: object
    stops: frozenset[str]
    minsize: int
    maxsize: int | None
    stem: Callable[[str], str]
    ignore: frozenset[str]


def _stemming_steps(analyzer) -> _Steps | None:
    """The steps of *analyzer* when it is exactly tokenizer, lower case, stop words and stemmer."""
    if not isinstance(analyzer, CompositeAnalyzer) or len(analyzer.items) != 4:
        return None
    tokenizer, lower, stop, stemmer = analyzer.items
    if not (type(tokenizer) is RegexTokenizer and not tokenizer.gaps and type(lower) is LowercaseFilter
            and type(stop) is StopFilter and stop.renumber and type(stemmer) is StemFilter
            and not stemmer.lang):
        return None
    return _Steps(tokenizer.expression, stop.stops, stop.min, stop.max, stemmer.stemfn,
                  frozenset(stemmer.ignore or ()))


def _word_places(value: str, steps: _Steps) -> dict[str, list[tuple[int, int, int]]]:
    """Each stemmed word of *value* with its (position, start, end) places, as the analyzer gives them."""
    stems = _stems.setdefault((steps.stem, steps.ignore), {})
    if len(stems) >= STEM_CACHE_SIZE:
        stems.clear()
    stops, minsize, maxsize, ignore = steps.stops, steps.minsize, steps.maxsize, steps.ignore
    places: dict[str, list[tuple[int, int, int]]] = {}
    position = None
    for number, match in enumerate(steps.expression.finditer(value)):
        text = match.group(0).lower()
        if len(text) < minsize or (maxsize is not None and len(text) > maxsize) or text in stops:
            continue
        # The stop filter renumbers: the first word kept keeps its place, the rest follow it.
        position = number if position is None else position + 1
        word = stems.get(text)
        if word is None:
            word = stems[text] = text if text in ignore else steps.stem(text)
        place = (position, match.start(), match.end())
        found = places.get(word)
        if found is None:
            places[word] = [place]
        else:
            found.append(place)
    return places


class _OnePass:
    """The one-pass ``word_values`` of a format; :meth:`_encoded` keeps what the format stores of a place."""

    def word_values(self, value, analyzer, **kwargs) -> Iterator[tuple[str, int, float, bytes]]:
        steps = _stemming_steps(analyzer) if isinstance(value, str) and set(kwargs) <= {"mode"} else None
        if steps is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        for word, places in _word_places(value, steps).items():
            yield word, len(places), float(len(places)) * self.field_boost, self._encoded(places)


class OnePassPositions(_OnePass, formats.Positions):
    """Whoosh's ``Positions`` format (where each word stands), analysing in one pass when it can."""

    def _encoded(self, places: list[tuple[int, int, int]]) -> bytes:
        return self.encode([position for position, _, _ in places])


class OnePassCharacters(_OnePass, formats.Characters):
    """Whoosh's ``Characters`` format (where each word stands, and its characters), in one pass when it can."""

    def _encoded(self, places: list[tuple[int, int, int]]) -> bytes:
        return self.encode(places)
