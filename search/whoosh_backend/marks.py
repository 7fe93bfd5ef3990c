"""What a query marks in a passage's text, and where: a phrase only where its words stand together.

* :class:`Marks` -- the words a query marks wherever they stand, and its phrases (:class:`Phrase`),
  marked only where they occur as phrases; :func:`query_marks` reads them from a query;
* :func:`marked_places` -- where the marks fall in some passages, read from the index (the body
  keeps where each word stands: its position and characters).

Whoosh's own phrase-aware highlighting (``strict_phrase``) looks for the phrase's stems in the text
split at spaces: a stemmed word ("rates") never matches there, and punctuation shifts the marks to
the words after the phrase. Here a phrase is found as the index matched it, by its words' positions.
Stop words are not indexed, so they are never marked, inside a phrase or outside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.reading import IndexReader

from index.schema import Fields
from search.whoosh_backend.arrays import IndexArrays, distinct

#: Where a word stands in a passage: (position, first character, end character) of each occurrence.
Occurrences = list[tuple[int, int, int]]
#: By passage number, the occurrences of each word to mark in it.
Places = dict[int, dict[str, Occurrences]]


@dataclass(frozen=True)
class Phrase:
    """A phrase of a query: its words as indexed, each at most *slop* positions after the one before."""

    words: tuple[str, ...]
    slop: int = 1


@dataclass(frozen=True)
class Marks:
    """What a query marks in a field: *words* wherever they stand, *phrases* where they occur."""

    words: frozenset[str] = frozenset()
    phrases: tuple[Phrase, ...] = ()

    def every_word(self) -> set[str]:
        """The words of the marks, loose or in a phrase."""
        return set(self.words).union(*(phrase.words for phrase in self.phrases))


def query_marks(query: wq.Query, reader: IndexReader, fieldname: str = Fields.BODY) -> Marks:
    """What *query* marks in *fieldname*: its words (a prefix expanded to the words it stands for) and
    its phrases, except those it excludes (``-word``, ``NOT``)."""
    words: set[str] = set()
    phrases: list[Phrase] = []
    for leaf in wanted_leaves(query):
        if leaf.field() != fieldname:
            continue
        if isinstance(leaf, wq.Phrase):
            phrases.append(Phrase(tuple(leaf.words), leaf.slop))
            continue
        for _, text in leaf.expanded_terms(reader, phrases=False):
            words.add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return Marks(frozenset(words), tuple(dict.fromkeys(phrases)))


def wanted_leaves(query: wq.Query) -> Iterator[wq.Query]:
    """The leaves of *query* that a match holds: not those under a ``NOT`` or after an ``ANDNOT``."""
    if isinstance(query, wq.Not):
        return
    if isinstance(query, wq.AndNot):
        yield from wanted_leaves(query.a)
    elif query.is_leaf():
        yield query
    else:
        for child in query.children():
            yield from wanted_leaves(child)


def marked_places(arrays: IndexArrays, marks: Marks, docnums: Iterable[int], fieldname: str = Fields.BODY) -> Places:
    """Where *marks* fall in each of the passages *docnums* that holds any: every occurrence of a
    loose word, and of a phrase's words those that make the phrase."""
    wanted = distinct(np.asarray(list(docnums), dtype=np.int64))
    where = {word: _occurrences(arrays, fieldname, word, wanted) for word in marks.every_word()}
    places: Places = {}
    for word in marks.words:
        for docnum, occurrences in where[word].items():
            _add(places, docnum, word, occurrences)
    for phrase in marks.phrases:
        holding = set.intersection(*(set(where[word]) for word in phrase.words))
        for docnum in holding:
            for word, occurrences in phrase_occurrences(phrase, {w: where[w][docnum] for w in phrase.words}).items():
                _add(places, docnum, word, occurrences)
    return places


def phrase_occurrences(phrase: Phrase, where: dict[str, Occurrences]) -> dict[str, Occurrences]:
    """Of the occurrences of a phrase's words in one passage, those that make the phrase: a run of
    positions, one per word in order, each 1 to ``slop`` after the one before (as Whoosh's phrase
    query matches).

    >>> where = {"stock": [(3, 20, 25), (9, 60, 65)], "market": [(4, 26, 32), (12, 80, 87)]}
    >>> phrase_occurrences(Phrase(("stock", "market")), where)
    {'stock': [(3, 20, 25)], 'market': [(4, 26, 32)]}
    """
    steps = [{occurrence[0] for occurrence in where[word]} for word in phrase.words]
    # Forward: the positions each word can be reached at from a start of the phrase; backward: those
    # of them from which the phrase's end is reached.
    reached = [steps[0]]
    for step in steps[1:]:
        reached.append({at for at in step if any(1 <= at - before <= phrase.slop for before in reached[-1])})
    kept = [reached[-1]]
    for step in reversed(reached[:-1]):
        kept.insert(0, {at for at in step if any(1 <= after - at <= phrase.slop for after in kept[0])})
    found: dict[str, Occurrences] = {}
    for word, positions in zip(phrase.words, kept):
        found.setdefault(word, []).extend(occurrence for occurrence in where[word] if occurrence[0] in positions)
    return {word: occurrences for word, occurrences in found.items() if occurrences}


def _occurrences(arrays: IndexArrays, fieldname: str, word: str, wanted: np.ndarray) -> dict[int, Occurrences]:
    """Where *word* stands in each of the passages *wanted* (sorted) that hold it."""
    held = arrays.postings(fieldname, word)[0]
    if not len(held) or not len(wanted):
        return {}
    at = np.minimum(np.searchsorted(held, wanted), len(held) - 1)
    holding = [int(docnum) for docnum in wanted[held[at] == wanted]]
    return arrays.characters(fieldname, word, holding) if holding else {}


def _add(places: Places, docnum: int, word: str, occurrences: Occurrences) -> None:
    """Add *occurrences* of *word* to a passage's places, each once, in order."""
    known = places.setdefault(docnum, {}).setdefault(word, [])
    known[:] = sorted(set(known) | {tuple(occurrence) for occurrence in occurrences})
