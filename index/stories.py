"""Wire copies: near-duplicate articles grouped into stories while they are indexed.

An agency story is republished by many outlets, each with its own headline, a trimmed ending or a
line of its own. Every article gets a ``story`` id: the id of the first indexed article it is a
near-duplicate of, else its own id. The parts:

* :func:`shingles` -- an article's words, lower-cased, as overlapping runs of a few words, and
  :func:`shingle_hashes` -- their 61-bit hashes (:func:`article_hashes` for many articles at once);
* :func:`signature` -- a MinHash signature of the hashes, by one-permutation hashing, and
  :func:`band_keys` -- its locality-sensitive hashing: articles that share a band key are candidate copies;
* :func:`sketch` -- the smallest hashes (a bottom-k sketch), and :func:`similarity` -- the Jaccard
  similarity of two articles' shingles, estimated from their sketches (:func:`signatures` and
  :func:`sketches` for many articles at once);
* :class:`StoryFinder` -- assigns the story of each article of an indexing run: its candidates are the
  articles, of this run or already indexed (:func:`indexed_stories`), that share a band key with it,
  and it joins the story of the most similar one whose estimated similarity reaches the threshold.

>>> finder = StoryFinder()
>>> text = "Ships left the harbor at dawn as the storm eased and the port reopened to traffic. " * 3
>>> finder.assign("a", "Port reopens", text).story, finder.assign("b", "Harbor open again", text).story
('a', 'a')

A story id is never rewritten once given: when the article that named a story is deleted, its
copies keep the id. The hashing is deterministic (CRC-32 and BLAKE2b, not Python's per-process
``hash``), so the band keys and sketches one run stores compare with those of the next.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from zlib import crc32

import numpy as np
from whoosh.reading import IndexReader
from whoosh.util.times import long_to_datetime

from index.schema import Fields

#: Words in a shingle.
SHINGLE_WORDS = 5
#: Estimated Jaccard similarity of two articles' shingles from which they are one story.
THRESHOLD = 0.5
#: Copies are published within this many days of their story's first article (when both are dated):
#: a daily or weekly report that repeats its wording is a new story each time.
WINDOW_DAYS = 3
#: Values in an LSH signature (bins of one-permutation hashing).
BINS = 64
#: Hashes in the sketch that verifies a candidate (bottom-k).
SKETCH = 64
#: LSH: bands of ``ROWS`` signature values each; two articles are candidates when one band agrees.
#: With 10 bands of 2 rows, a pair at similarity 0.5 is a candidate with probability 0.94, at 0.6 with 0.99
#: (``1 - (1 - s**ROWS)**BANDS``); each band is one term in the index.
BANDS = 10
ROWS = 2

_WORD = re.compile(r"\w+")
_MASK = 0xFFFFFFFF
#: Added (times the distance) to a value an empty bin borrows, so borrowed values differ from their source.
_BORROW = 0x9E3779B9
_hash64 = partial(hashlib.blake2b, digest_size=8)
#: The universal hash of :func:`shingle_hashes`: a Mersenne prime and two fixed coefficients below it.
_PRIME = (1 << 61) - 1
_A, _B = 0x1C8E_5A0F_3D27_B1E9 % _PRIME, 0x0B5A_D4EE_CEDA_1CE5 % _PRIME
#: Bits of a hash kept as a signature or sketch value (the top 32 of 61).
_SHIFT = 29
# The same numbers as numpy's 64-bit unsigned integers, for arrays of hashes.
_PRIME64, _B64, _SHIFT64 = np.uint64(_PRIME), np.uint64(_B), np.uint64(_SHIFT)
_A_LOW, _A_HIGH = np.uint64(_A & (1 << 31) - 1), np.uint64(_A >> 31)
_LOW30, _30, _31, _61 = np.uint64((1 << 30) - 1), np.uint64(30), np.uint64(31), np.uint64(61)
_BORROW64, _MASK64 = np.uint64(_BORROW), np.uint64(_MASK)
#: Whoosh's column value for a document without a date.
_MISSING_DATE = 2**64 - 1


@dataclass(frozen=True)
class StoryParams:
    """How near two articles must be to be one story, and how candidates are found."""

    shingle_words: int = SHINGLE_WORDS
    threshold: float = THRESHOLD
    window_days: int = WINDOW_DAYS
    bins: int = BINS
    sketch: int = SKETCH
    bands: int = BANDS
    rows: int = ROWS

    def __post_init__(self) -> None:
        if (self.shingle_words < 1 or not 0 < self.threshold <= 1 or self.sketch < 1
                or self.bands * self.rows > self.bins):
            raise ValueError("need shingle_words >= 1, 0 < threshold <= 1, sketch >= 1 and bands * rows <= bins")


@dataclass(frozen=True)
class Fingerprint:
    """What the index keeps of an article to group it and its later copies: its story, sketch and band keys."""

    story: str
    sketch: bytes
    bands: bytes
    since: int | None = None  # the day the story started (its first article's), when dated


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The runs of *size* consecutive words of *text*, lower-cased (the whole text when it is shorter).

    >>> sorted(shingles("The storm eased, the port reopened", 4))
    ['eased the port reopened', 'storm eased the port', 'the storm eased the']
    """
    words = _WORD.findall(text.lower())
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return set(map(" ".join, zip(*(words[start:] for start in range(size)))))


def shingle_hashes(items: Iterable[str]) -> np.ndarray:
    """The 61-bit hashes of *items*, in ascending order.

    Each item's CRC-32 is spread over 61 bits by one fixed universal hash, ``(a * x + b) mod (2**61 - 1)``,
    the scheme of common MinHash implementations; it costs a fraction of a cryptographic hash per item.
    """
    return np.sort(_universal_hash(_checksums(items)))


def _checksums(items: Iterable[str]) -> np.ndarray:
    """The CRC-32 of each of *items* (UTF-8), as 64-bit numbers for :func:`_universal_hash`."""
    return np.fromiter(map(crc32, map(str.encode, items)), dtype=np.uint64)


def article_hashes(texts: Sequence[str], size: int = SHINGLE_WORDS) -> tuple[np.ndarray, np.ndarray]:
    """The :func:`shingle_hashes` of the :func:`shingles` of each of *texts*, one text after another,
    and how many each text has."""
    # Each text's shingles are checksummed as soon as they are made: a long article has many.
    crcs = [_checksums(shingles(text, size)) for text in texts]
    counts = np.fromiter(map(len, crcs), dtype=np.int64, count=len(crcs))
    hashes = _universal_hash(np.concatenate(crcs) if crcs else np.zeros(0, dtype=np.uint64))
    owners = np.repeat(np.arange(len(crcs)), counts)
    return hashes[np.lexsort((hashes, owners))], counts


def _universal_hash(x: np.ndarray) -> np.ndarray:
    """``(a * x + b) mod (2**61 - 1)`` of 32-bit *x*, exactly, in 64-bit arithmetic: *a* is split at
    bit 31, and ``2**61`` is 1 modulo the prime.

    >>> int(_universal_hash(np.array([123456789], dtype=np.uint64))[0]) == (_A * 123456789 + _B) % _PRIME
    True
    """
    low = _A_LOW * x  # below 2**63
    high = _A_HIGH * x  # below 2**62, still to be multiplied by 2**31
    high = ((high & _LOW30) << _31) + (high >> _30)
    total = low + high + _B64
    total = (total & _PRIME64) + (total >> _61)
    return np.where(total >= _PRIME64, total - _PRIME64, total)


def signature(hashes: np.ndarray, bins: int = BINS) -> tuple[int, ...]:
    """A MinHash signature for LSH of one article's *hashes* (ascending): :func:`signatures`."""
    return signatures(hashes, np.array([len(hashes)]), bins)[0]


def signatures(hashes: np.ndarray, counts: np.ndarray, bins: int = BINS) -> list[tuple[int, ...]]:
    """MinHash signatures for LSH, of articles whose hashes (ascending) follow one another in *hashes*,
    *counts* each: of each article's hashes, the smallest in each of *bins* bins.

    One hash per item instead of one per bin and item (one-permutation hashing) keeps this cheap;
    an empty bin borrows the value of the next filled one, offset by the distance (rotation
    densification), so two signatures agree on a bin about as often as the sets' Jaccard
    similarity. An article without hashes gets an empty signature.
    """
    articles = len(counts)
    owners = np.repeat(np.arange(articles), counts)
    # An article's hashes ascend, so the first in each (article, bin) cell is the cell's smallest.
    cells, first = np.unique(owners * bins + (hashes % np.uint64(bins)).astype(np.int64), return_index=True)
    values = np.zeros((articles, bins), dtype=np.uint64)
    filled = np.zeros((articles, bins), dtype=bool)
    values.flat[cells] = hashes[first] >> _SHIFT64
    filled.flat[cells] = True
    gaps = np.flatnonzero(~filled.all(axis=1) & (counts > 0))
    if len(gaps):
        # For each bin, the next filled one at or after it, round the end (an empty bin looks right).
        around = np.tile(filled[gaps], 2)
        index = np.where(around, np.arange(2 * bins), 2 * bins)
        source = np.minimum.accumulate(index[:, ::-1], axis=1)[:, ::-1][:, 1 : bins + 1]
        own = values[gaps]
        borrowed = (np.take_along_axis(own, source % bins, axis=1)
                    + (source - np.arange(bins)).astype(np.uint64) * _BORROW64) & _MASK64
        values[gaps] = np.where(filled[gaps], own, borrowed)
    return [tuple(row) if count else () for row, count in zip(values.tolist(), counts.tolist())]


def sketch(hashes: np.ndarray, size: int = SKETCH) -> bytes:
    """A bottom-k sketch of one article's *hashes* (ascending): :func:`sketches`."""
    return sketches(hashes, np.array([len(hashes)]), size)[0]


def sketches(hashes: np.ndarray, counts: np.ndarray, size: int = SKETCH) -> list[bytes]:
    """Bottom-k sketches of articles whose hashes (ascending) follow one another in *hashes*, *counts*
    each: each article's *size* smallest, packed as the index stores them.

    Two sketches estimate the Jaccard similarity of their sets more closely than a densified
    signature does, and exactly when both sets are smaller than *size*: an article of a few lines
    then matches only what it shares word for word.
    """
    packed = (hashes >> _SHIFT64).astype("<u4").tobytes()
    starts = np.r_[0, np.cumsum(counts)[:-1]].tolist()
    return [packed[4 * start : 4 * (start + min(count, size))] for start, count in zip(starts, counts.tolist())]


def similarity(first: bytes | None, second: bytes | None, size: int = SKETCH) -> float:
    """The Jaccard similarity of two sets, estimated from their :func:`sketch` es (0 when either is empty)."""
    if not first or not second:
        return 0.0
    a = set(struct.unpack(f"<{len(first) // 4}I", first))
    b = set(struct.unpack(f"<{len(second) // 4}I", second))
    # The size smallest of both sketches are the size smallest of the union of the two sets.
    union = sorted(a | b)[:size]
    return sum(1 for value in union if value in a and value in b) / len(union)


def band_keys(values: tuple[int, ...], params: StoryParams) -> tuple[int, ...]:
    """The signature's LSH band keys: each band's values hashed (64 bits) with the band's number and the
    parameters, so keys made with other parameters never meet."""
    if not values:
        return ()
    tag = (params.shingle_words, params.bins, params.rows)
    rows = params.rows
    return tuple(
        int.from_bytes(_hash64(struct.pack(f"<4H{rows}I", band, *tag, *values[band * rows:(band + 1) * rows])).digest())
        for band in range(params.bands)
    )


def pack_keys(keys: tuple[int, ...]) -> bytes:
    """Band keys as the index stores them."""
    return struct.pack(f"<{len(keys)}Q", *keys)


def unpack_keys(data: bytes) -> tuple[int, ...]:
    """Band keys as the index stores them, read back."""
    return struct.unpack(f"<{len(data) // 8}Q", data)


@dataclass(frozen=True)
class Candidate:
    """An article that may be a copy: its story, sketch, day of publication and the day its story
    started (ordinals, or None)."""

    story: str
    sketch: bytes
    day: int | None = None
    since: int | None = None


def publication_day(published: str | datetime | None) -> int | None:
    """The day of an ISO date or date-time (``date.toordinal``), or None.

    >>> publication_day("1987-03-02T11:38:56") - publication_day("1987-02-26")
    4
    """
    if isinstance(published, datetime):
        return published.toordinal()
    try:
        return date.fromisoformat((published or "")[:10]).toordinal()
    except ValueError:
        return None


def indexed_stories(reader: IndexReader) -> Iterator[tuple[tuple[int, ...], Candidate]]:
    """The band keys and :class:`Candidate` of every article in the index *reader* reads, in index order.

    They are read from columns, which is much faster than stored fields; articles indexed without
    band keys are left out.
    """
    for leaf, _ in reader.leaf_readers():
        if not leaf.has_column(Fields.STORY_BANDS):
            continue
        columns = zip(*(leaf.column_reader(name, translate=name == Fields.STORY)
                        for name in (Fields.STORY_BANDS, Fields.STORY_SKETCH, Fields.STORY, Fields.PUBLISHED,
                                     Fields.STORY_SINCE)))
        for docnum, (keys, packed, story, published, since) in enumerate(columns):
            if keys and not leaf.is_deleted(docnum):
                day = None if published >= _MISSING_DATE else long_to_datetime(published).toordinal()
                yield unpack_keys(keys), Candidate(story, packed, day, since or None)


class StoryFinder:
    """Assigns stories to the articles of one indexing run, in the order they are written.

    An article joins the story of its most similar candidate whose estimated similarity reaches the
    threshold and, when both are dated, whose story started within the window of days; without
    one, it starts a story named by its own id.

    :param indexed: the band keys and candidates of the articles already in the index
        (:func:`indexed_stories`); none for a run that writes the whole index afresh.
    """

    def __init__(self, params: StoryParams | None = None,
                 indexed: Iterable[tuple[tuple[int, ...], Candidate]] = ()) -> None:
        self.params = params or StoryParams()
        # Band key -> the latest article that had it; about 100 bytes per article and band.
        self._bands: dict[int, Candidate] = {}
        for keys, candidate in indexed:
            self._remember(keys, candidate)

    def _remember(self, keys: tuple[int, ...], candidate: Candidate) -> None:
        for key in keys:
            self._bands[key] = candidate

    def assign(self, article_id: str, title: str, body: str, published: str | None = None) -> Fingerprint:
        """The fingerprint of one article, its story chosen among the articles seen so far."""
        return self.assign_all([(article_id, title, body, published)])[0]

    def assign_all(self, articles: Sequence[tuple[str, str, str, str | None]]) -> list[Fingerprint]:
        """The fingerprints of *articles* -- (id, title, body, published) -- one after another as
        :meth:`assign` gives them; their hashes are computed together, which is much faster."""
        params = self.params
        hashes, counts = article_hashes([f"{title}\n{body}" for _, title, body, _ in articles], params.shingle_words)
        return [
            self._assign(article_id, published, band_keys(values, params), packed)
            for (article_id, _, _, published), values, packed in zip(
                articles, signatures(hashes, counts, params.bins), sketches(hashes, counts, params.sketch))
        ]

    def _assign(self, article_id: str, published: str | None, keys: tuple[int, ...], packed: bytes) -> Fingerprint:
        params = self.params
        day = publication_day(published)
        best, joined = params.threshold, None
        # A candidate met in several bands is compared once.
        for candidate in dict.fromkeys(self._bands[key] for key in keys if key in self._bands):
            # Within the window of the story's start, so that a report repeated daily does not chain.
            start = candidate.since if candidate.since is not None else candidate.day
            if day is not None and start is not None and abs(day - start) > params.window_days:
                continue
            score = similarity(packed, candidate.sketch, params.sketch)
            if score > best or score == best and joined is None:
                best, joined = score, candidate
        story = joined.story if joined else article_id
        since = joined.since if joined and joined.since is not None else day
        self._remember(keys, Candidate(story, packed, day, since))
        return Fingerprint(story, packed, pack_keys(keys), since)
