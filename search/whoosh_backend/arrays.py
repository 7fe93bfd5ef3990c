"""The index as NumPy arrays, read once per index generation, for scoring and counting in bulk.

Whoosh scores and collects one posting at a time in Python, which costs microseconds per matching
passage: a query that matches a few thousand passages takes tens of milliseconds before any
article is ranked. The same work done on arrays takes microseconds for the whole set. So, per
open reader (one generation of the index):

* per passage: its article, its title and body lengths, whether it is live (not deleted);
* per article: its id, length in words, publication time, source and one passage of it;
* per word, on first use: its postings (passages and weights) as two arrays, its BM25 in
  every article, and where it stands in the passages shown, kept in bounded caches that are
  dropped with the reader.

Everything here is read from what Whoosh wrote; nothing is stored beside the index.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from whoosh.reading import IndexReader
from whoosh.util.times import datetime_to_long

from index.store.reading import Postings, column_values, field_lengths, passage_characters, read_postings
from index.schema import Fields
from search.cache import BoundedCache
from search.params import sources_named

#: Whoosh's column value for a document without a date (the largest unsigned 64-bit number).
MISSING_NUMBER = 2**64 - 1
#: The day and month numbers of an undated article.
UNDATED = np.iinfo(np.int64).min
#: Bytes of decoded postings kept per reader (8 a posting: the words of a few hundred queries over
#: 400,000 passages, or every posting of an index of 40,000).
CACHED_POSTINGS = 64 * 2**20
#: Bytes of per-article values kept per reader (a word's BM25 in the articles that hold it, 12 bytes
#: an article: the words of a few hundred queries over 400,000 articles).
CACHED_ARTICLE_VALUES = 64 * 2**20
#: Bytes of per-passage scores kept per reader (a word's passages and its BM25 in each, 12 bytes a
#: posting, the passages' numbers shared with the postings while both are kept): a word searched
#: again is not scored again.
CACHED_SCORES = 96 * 2**20
#: Where words stand in passages, kept per reader for snippets, counted in (word, passage) pairs.
CACHED_PLACES = 200_000
#: Microseconds from ``datetime.min`` (Whoosh's zero) to the Unix epoch (NumPy's zero).
_EPOCH = datetime_to_long(datetime(1970, 1, 1))

#: What a cache entry costs beyond its arrays' data (key, containers, array headers), in bytes.
_ENTRY_BYTES = 512


def whoosh_idf(count: int, holding: int) -> float:
    """Whoosh's idf of a word that *holding* of *count* documents hold (passages, or articles): about
    1 for a word every one holds.

    >>> round(whoosh_idf(100, 1), 2), round(whoosh_idf(100, 100), 2)
    (4.91, 0.99)
    """
    return math.log(count / (holding + 1)) + 1


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of the whole numbers *values*, in increasing order: ``np.unique``'s answer,
    by a sort (none when they are in order already) and a pass, where ``np.unique`` hashes them (in
    NumPy 2.3 and later), twenty times as slow on a hundred thousand numbers.

    >>> distinct(np.array([5, 3, 5, 1])).tolist(), distinct(np.array([1, 1, 2])).tolist()
    ([1, 3, 5], [1, 2])
    """
    values = np.asarray(values)
    if not increasing(values):
        values = np.sort(values)
    return values[run_starts(values)]


def increasing(values: np.ndarray) -> bool:
    """Whether *values* never decrease."""
    return not len(values) or not np.any(values[1:] < values[:-1])


def run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in *values*.

    >>> run_starts(np.array([3, 3, 5, 7, 7])).tolist()
    [0, 2, 3]
    """
    return np.flatnonzero(starts_run(values))


def starts_run(values: np.ndarray) -> np.ndarray:
    """Whether each of *values* starts a run of equal values (differs from the one before it).

    >>> starts_run(np.array([3, 3, 5, 7, 7])).tolist()
    [True, False, True, True, False]
    """
    changes = np.empty(len(values), dtype=bool)
    if len(values):
        changes[0] = True
        np.not_equal(values[1:], values[:-1], out=changes[1:])
    return changes


def _nbytes(value) -> int:
    """The bytes *value* (a tuple or dataclass of arrays) takes in a cache: its arrays' data, and the
    entry's own cost (so that entries for words found nowhere still count)."""
    parts = vars(value).values() if hasattr(value, "__dict__") else value
    return _ENTRY_BYTES + sum(part.nbytes for part in parts if isinstance(part, np.ndarray))


@dataclass
class IndexArrays:
    """One generation of the index as arrays; see the module docstring."""

    doc_count_all: int
    live: np.ndarray                 # bool per passage
    article: np.ndarray              # article number per passage (-1 for a deleted passage)
    article_ids: list[str]           # article id per article number
    article_numbers: dict[str, int]  # article number per article id
    first_passage: np.ndarray        # one passage's number per article
    article_words: np.ndarray        # words in the whole article, per article
    published: np.ndarray            # datetime64[us] per article, NaT when undated
    day: np.ndarray                  # days since 1970-01-01 per article, UNDATED when undated
    month: np.ndarray                # months since 1970-01 per article, UNDATED when undated
    source: np.ndarray               # source number per article, -1 without a source
    source_names: list[str]          # the first spelling met of each source, by source number
    source_codes: dict[str, int]     # source number by lower-cased name
    lengths: dict[str, np.ndarray]   # field -> length in words per passage
    average_lengths: dict[str, float]
    _reader: IndexReader
    _postings: BoundedCache = field(default_factory=lambda: BoundedCache(CACHED_POSTINGS))
    _by_article: BoundedCache = field(default_factory=lambda: BoundedCache(CACHED_ARTICLE_VALUES))
    _scores: BoundedCache = field(default_factory=lambda: BoundedCache(CACHED_SCORES))
    _places: BoundedCache = field(default_factory=lambda: BoundedCache(CACHED_PLACES))
    _frequencies: dict = field(default_factory=dict)
    _derived: dict = field(default_factory=dict)

    @property
    def article_count(self) -> int:
        return len(self.article_ids)

    def source_numbers(self, text: str) -> np.ndarray:
        """The numbers of the sources a source filter *text* names (:func:`search.params.sources_named`)."""
        named = sources_named(text, self.source_names)
        return np.asarray([self.source_codes[name.lower()] for name in named], dtype=np.int64)

    def postings(self, fieldname: str, text: str) -> Postings:
        """The live passages that hold *text* in *fieldname*, and its weight in each (cached)."""

        def read() -> Postings:
            docs, weights = read_postings(self._reader, fieldname, text)
            keep = self.live[docs]
            if not keep.all():
                docs, weights = docs[keep], weights[keep]
            # Kept compact: passage numbers fit 32 bits, and Whoosh stores weights as 32-bit floats.
            return docs.astype(np.int32 if len(self.live) < 2**31 else np.int64), weights.astype(np.float32)

        return self._postings.get((fieldname, text), read, size=_nbytes)

    def scores(self, fieldname: str, text: str, compute: Callable[[], Postings]) -> Postings:
        """A word's passages and its score in each, ``compute()`` once (cached; the arrays are read-only)."""

        def computed() -> Postings:
            docs, scores = compute()
            scores.flags.writeable = False
            return docs, scores

        # The passages' numbers are counted here too: the postings may be dropped first.
        return self._scores.get((fieldname, text), computed, size=_nbytes)

    def per_article(self, name: Hashable, word: str, compute):
        """Values per article for *word*, such as its BM25 in each, computed once (cached, and
        counted as the bytes of their arrays plus an entry's own cost)."""
        return self._by_article.get((name, word), compute, size=_nbytes)

    def derived(self, name: str, compute):
        """A value computed once from this generation (such as every article's story), kept with it."""
        found = self._derived.get(name)
        if found is None:
            found = self._derived[name] = compute()
        return found

    def characters(self, fieldname: str, text: str, docnums: list[int]) -> dict[int, list[tuple[int, int, int]]]:
        """:func:`index.store.reading.passage_characters` for the passages *docnums*, each passage's answer cached."""
        known = {docnum: self._places.lookup((fieldname, text, docnum)) for docnum in docnums}
        missing = [docnum for docnum, places in known.items() if places is None]
        if missing:
            read = passage_characters(self._reader, fieldname, text, missing)
            for docnum in missing:
                known[docnum] = read.get(docnum, [])
                self._places.put((fieldname, text, docnum), known[docnum])
        return {docnum: places for docnum, places in known.items() if places}

    def document_frequency(self, fieldname: str, text: str) -> int:
        """Whoosh's document frequency (deleted passages included, as its idf counts them), remembered."""
        key = (fieldname, text)
        found = self._frequencies.get(key)
        if found is None:
            found = self._frequencies[key] = self._reader.doc_frequency(fieldname, text)
        return found

    def idf(self, fieldname: str, text: str) -> float:
        """Whoosh's idf of a word in a field, over passages."""
        return whoosh_idf(self.doc_count_all, self.document_frequency(fieldname, text))


def build_arrays(reader: IndexReader) -> IndexArrays:
    """Read one generation of the index into arrays."""
    total = reader.doc_count_all()
    live = np.zeros(total, dtype=bool)
    for leaf, offset in reader.leaf_readers():
        if leaf.has_deletions():
            live[[offset + docnum for docnum in leaf.all_doc_ids()]] = True
        else:
            live[offset : offset + leaf.doc_count_all()] = True
    article = np.full(total, -1, dtype=np.int64)
    numbers: dict[str, int] = {}
    firsts: list[int] = []
    for docnum, article_id in enumerate(column_values(reader, Fields.ARTICLE_ID, "")):
        if not live[docnum]:
            continue
        number = numbers.get(article_id)
        if number is None:
            number = numbers[article_id] = len(firsts)
            firsts.append(docnum)
        article[docnum] = number
    first_passage = np.asarray(firsts, dtype=np.int64)
    words = np.asarray(column_values(reader, Fields.ARTICLE_WORDS, 0), dtype=np.float64)
    raw = np.asarray(column_values(reader, Fields.PUBLISHED, MISSING_NUMBER, translate=False), dtype=np.uint64)
    raw = raw[first_passage] if len(first_passage) else raw[:0]
    published = np.full(len(raw), np.datetime64("NaT", "us"), dtype="datetime64[us]")
    dated = raw != MISSING_NUMBER
    published[dated] = (raw[dated].astype(np.int64) - _EPOCH).astype("datetime64[us]")
    spellings: dict[str, int] = {}
    source_names: list[str] = []
    source_values = column_values(reader, Fields.SOURCE, "")
    sources = np.full(len(firsts), -1, dtype=np.int64)
    for number, docnum in enumerate(firsts):
        name = source_values[docnum]
        name = name.decode("utf-8") if isinstance(name, bytes) else name
        if name:
            code = spellings.get(name.lower())
            if code is None:
                code = spellings[name.lower()] = len(source_names)
                source_names.append(name)
            sources[number] = code
    lengths = {name: field_lengths(reader, name) for name in (Fields.TITLE, Fields.BODY)}
    return IndexArrays(
        doc_count_all=total, live=live, article=article, article_ids=list(numbers), article_numbers=numbers,
        first_passage=first_passage,
        article_words=words[first_passage] if len(first_passage) else words[:0],
        published=published, day=_whole(published, "D"), month=_whole(published, "M"),
        source=sources, source_names=source_names, source_codes=spellings,
        lengths=lengths,
        average_lengths={name: (reader.field_length(name) / (reader.doc_count_all() or 1)) or 1.0
                         for name in lengths},
        _reader=reader,
    )


def _whole(moments: np.ndarray, unit: str) -> np.ndarray:
    """Each moment as a whole number of *unit* (``D``, ``M``) since 1970, :data:`UNDATED` for NaT."""
    return np.where(np.isnat(moments), UNDATED, moments.astype(f"datetime64[{unit}]").astype(np.int64))
