"""Passages' words, gathered per field and turned into postings a whole batch at a time.

Whoosh indexes a passage's text by running its analyzer -- a chain of generators (tokenizer, lower
case, stop words, stemmer) handing one shared token object along -- collecting each word's places,
and handing every word's posting to the writer one at a time: for 40,000 news passages, 3 million
tokens and 2 million postings, each handled in Python.

:class:`FieldTokens` takes a passage's text in a few calls that run in C: a split by the
tokenizer's expression, lower case, and a dictionary from token to word number that also knows the
stop words and the stems. It appends the tokens to arrays. :meth:`FieldTokens.postings` then makes
every word's postings for the whole batch with numpy: places renumbered as Whoosh's stop filter
does, sorted by word, grouped by passage, and packed as :mod:`index.store.formats` stores them. The
postings are the ones Whoosh's analyzer and format make, passage by passage (``tests/test_tokens.py``).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

import numpy as np
from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

from index.store import formats

#: Bytes a buffered token is counted as: not the 16 it takes (word number, passage number, two
#: character offsets), but about what turning it into postings takes at the peak (NumPy's arrays,
#: then the packed values: 130 bytes measured on news text, more when most words are rare), so that
#: a buffer within its memory limit is turned into postings about within it too.
TOKEN_BYTES = 200
#: Bytes a distinct token costs in its field's dictionary (the token, its word's number, and a new
#: word's stem), which lasts from batch to batch.
VOCABULARY_BYTES = 150


class Steps(NamedTuple):
    """What the batch analysis needs to know of an analyzer (tokenizer, lower case, stop words, stemmer)."""

    split: re.Pattern  # the tokenizer's expression as one group: gap, token, its groups, gap, ...
    stride: int
    stops: frozenset[str]
    minsize: int
    maxsize: int | None
    stem: Callable[[str], str]
    ignore: frozenset[str]


def analysis_steps(analyzer) -> Steps | None:
    """The steps of *analyzer* when it is exactly a tokenizer, lower case, stop words and a stemmer
    (Whoosh's ``StemmingAnalyzer``); None for any other."""
    if not isinstance(analyzer, CompositeAnalyzer) or len(analyzer.items) != 4:
        return None
    tokenizer, lower, stop, stemmer = analyzer.items
    if not (type(tokenizer) is RegexTokenizer and not tokenizer.gaps and type(lower) is LowercaseFilter
            and type(stop) is StopFilter and stop.renumber and type(stemmer) is StemFilter
            and not stemmer.lang):
        return None
    expression = tokenizer.expression
    if re.search(r"\\[1-9]|\(\?[aiLmsux]+\)|\(\?\(", expression.pattern):
        return None  # numbered references, conditions or global flags would change meaning inside a group
    try:
        split = re.compile(f"({expression.pattern})", expression.flags)
    except re.error:
        return None
    if split.groups != expression.groups + 1 or split.match(""):
        return None
    return Steps(split, split.groups + 1, frozenset(stop.stops), stop.min, stop.max, stemmer.stemfn,
                 frozenset(stemmer.ignore or ()))


class _WordNumbers(dict):
    """A lower-cased token's word number in a field's list of words; -1 for a token the stop filter drops."""

    def __init__(self, steps: Steps, words: list[str]) -> None:
        super().__init__()
        self._steps = steps
        self._words = words
        self._numbers: dict[str, int] = {}

    def __missing__(self, token: str) -> int:
        steps = self._steps
        if len(token) < steps.minsize or (steps.maxsize is not None and len(token) > steps.maxsize) \
                or token in steps.stops:
            number = -1
        else:
            word = token if token in steps.ignore else steps.stem(token)
            number = self._numbers.get(word)
            if number is None:
                number = self._numbers[word] = len(self._words)
                self._words.append(word)
        self[token] = number
        return number


class FieldTokens:
    """One field's tokens, passage after passage, until :meth:`postings` turns them into postings.

    *chars* keeps each place's characters (``Characters``) besides its position (``Positions``);
    *boost* is the field's weight per occurrence; *encode* packs one posting's places, for the rare
    posting whose numbers do not fit 16 bits.
    """

    def __init__(self, steps: Steps, chars: bool, boost: float, encode: Callable[[list], bytes]) -> None:
        self.steps, self.chars, self.boost, self._encode = steps, chars, boost, encode
        self.words: list[str] = []
        self._numbers = _WordNumbers(steps, self.words)
        self._new_batch()

    def _new_batch(self) -> None:
        self._tokens = array("i")
        self._docs = array("I")
        self._starts = array("I")
        self._ends = array("I")

    def __len__(self) -> int:
        return len(self._tokens)

    @property
    def vocabulary(self) -> int:
        """How many distinct tokens the field's dictionary holds."""
        return len(self._numbers)

    def forget_words(self) -> None:
        """Empty the dictionary of tokens and words (between batches, when it has grown large)."""
        self.words = []
        self._numbers = _WordNumbers(self.steps, self.words)

    def discard(self, docnum: int) -> None:
        """Forget the tokens of passage *docnum*, the last one added (when adding it failed)."""
        count = 0
        while count < len(self._docs) and self._docs[-1 - count] == docnum:
            count += 1
        if count:
            for numbers in (self._tokens, self._docs) + ((self._starts, self._ends) if self.chars else ()):
                del numbers[-count:]

    def add(self, docnum: int, text: str) -> int:
        """Add the tokens of passage *docnum*'s *text*; returns how many the stop filter keeps."""
        parts = self.steps.split.split(text)
        stride = self.steps.stride
        tokens = parts[1::stride]
        if not tokens:
            return 0
        numbers = list(map(self._numbers.__getitem__, map(str.lower, tokens)))
        self._tokens.extend(numbers)
        self._docs.extend(array("I", (docnum,)) * len(numbers))
        if self.chars:
            if stride == 2:
                pieces = parts
            else:  # leave out the groups of the tokenizer's own expression
                pieces = [""] * (2 * len(tokens) + 1)
                pieces[0::2] = parts[0::stride]
                pieces[1::2] = tokens
            offsets = list(accumulate(map(len, pieces)))
            self._starts.extend(offsets[0:-1:2])
            self._ends.extend(offsets[1::2])
        return len(numbers) - numbers.count(-1)

    def postings(self) -> Iterator[tuple[bytes, memoryview, memoryview, list[bytes]]]:
        """Each word of the batch with its postings -- passage numbers, weights, values -- words in
        order of their UTF-8 bytes, passages in order; empties the batch."""
        tokens = np.frombuffer(self._tokens, dtype=np.int32)
        docs = np.frombuffer(self._docs, dtype=np.uint32)
        starts = np.frombuffer(self._starts, dtype=np.uint32)
        ends = np.frombuffer(self._ends, dtype=np.uint32)
        self._new_batch()
        kept = np.flatnonzero(tokens >= 0)
        if not len(kept):
            return iter(())
        positions = _renumbered(docs, kept)
        words, docs = tokens[kept], docs[kept]
        # Words in order of their bytes, as Whoosh sorts them; a stable sort keeps passages in order.
        present = np.flatnonzero(np.bincount(words, minlength=len(self.words))).tolist()  # np.unique hashes: slower
        encoded = {number: self.words[number].encode("utf-8") for number in present}
        present.sort(key=encoded.__getitem__)
        rank = np.zeros(len(self.words), dtype=np.int64)
        rank[present] = np.arange(len(present))
        order = np.argsort(rank[words], kind="stable")
        words, docs, positions = words[order], docs[order], positions[order]
        if self.chars:
            starts, ends = starts[kept][order], ends[kept][order]
        # A posting is a run of one word in one passage.
        first = np.flatnonzero(np.r_[True, (words[1:] != words[:-1]) | (docs[1:] != docs[:-1])])
        counts = np.diff(np.r_[first, len(words)])
        values = self._values(first, counts, positions, starts, ends)
        ids = memoryview(docs[first].astype(np.uint32).tobytes()).cast("I")
        weights = memoryview((counts * self.boost).astype(np.float64).tobytes()).cast("d")
        posting_words = words[first]
        word_first = np.flatnonzero(np.r_[True, posting_words[1:] != posting_words[:-1]])
        word_ends = np.r_[word_first[1:], len(first)]
        return (
            (encoded[number], ids[start:end], weights[start:end], values[start:end])
            for start, end, number in zip(word_first.tolist(), word_ends.tolist(),
                                          posting_words[word_first].tolist())
        )

    def _values(self, first: np.ndarray, counts: np.ndarray, positions: np.ndarray, starts: np.ndarray,
                ends: np.ndarray) -> list[bytes]:
        """Each posting's places packed as :func:`index.store.formats.pack` packs them: the postings that
        start at *first* and hold *counts* places, their numbers in the other arrays."""
        per_place = 3 if self.chars else 1
        bounds = np.zeros(len(first) + 1, dtype=np.int64)
        np.cumsum(1 + per_place * counts, out=bounds[1:])
        packed = np.empty(bounds[-1], dtype="<u2")
        packed[bounds[:-1]] = int.from_bytes(formats.TAG16, "little")
        place = np.repeat(bounds[:-1] + 1, counts) + np.arange(len(positions)) - np.repeat(first, counts)
        packed[place] = positions
        if self.chars:
            repeated = np.repeat(counts, counts)
            packed[place + repeated] = starts
            packed[place + 2 * repeated] = ends
        raw = packed.tobytes()
        byte_bounds = (bounds * 2).tolist()
        values = list(map(raw.__getitem__, map(slice, byte_bounds[:-1], byte_bounds[1:])))
        # Numbers past 16 bits (a passage of more than 65,535 characters) take 32; pack those one by one.
        largest = np.maximum.reduceat(ends if self.chars else positions, first)
        for index in np.flatnonzero(largest >= 1 << 16).tolist():
            run = slice(int(first[index]), int(first[index] + counts[index]))
            places = list(zip(positions[run].tolist(), starts[run].tolist(), ends[run].tolist())) \
                if self.chars else positions[run].tolist()
            values[index] = self._encode(places)
        return values


def _renumbered(docs: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The positions of the *kept* tokens (indexes into *docs*, each token's passage), as Whoosh's stop
    filter renumbers them: a passage's first kept token keeps its place among all the passage's
    tokens, and the kept tokens after it follow one by one.

    >>> _renumbered(np.array([0, 0, 0, 0, 1, 1]), np.array([1, 3, 4, 5]))
    array([1, 2, 0, 1])
    """
    passage_first = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    passage = np.cumsum(np.r_[True, docs[1:] != docs[:-1]]) - 1
    kept_passage = passage[kept]
    index = np.arange(len(kept))
    # Index (among the kept tokens) of the first kept token of each kept token's passage.
    leader = np.maximum.accumulate(np.where(np.r_[True, kept_passage[1:] != kept_passage[:-1]], index, 0))
    return kept[leader] - passage_first[kept_passage] + (index - leader)


def word_places(steps: Steps, text: str, words: set[str]) -> list[tuple[int, str]]:
    """Where each of *words* (as the index holds them: lower case, stemmed) stands in *text*, as the
    analyzer of *steps* numbers places: the first word its stop filter keeps at its place among all the
    tokens, the kept words after it one by one. In the order of the text.

    >>> from whoosh.analysis import StemmingAnalyzer
    >>> word_places(analysis_steps(StemmingAnalyzer()), "The oil prices of crude oil", {"oil", "price"})
    [(1, 'oil'), (2, 'price'), (4, 'oil')]
    """
    tokens = steps.split.split(text)[1::steps.stride]
    found: list[tuple[int, str]] = []
    place = -1
    for index, token in enumerate(tokens):
        word = _kept_word(steps, token.lower())
        if word is None:
            continue
        place = index if place < 0 else place + 1
        if word in words:
            found.append((place, word))
    return found


@lru_cache(maxsize=20_000)
def _kept_word(steps: Steps, token: str) -> str | None:
    """A lower-cased *token* as the index holds it; None for one the stop filter of *steps* drops."""
    if len(token) < steps.minsize or (steps.maxsize is not None and len(token) > steps.maxsize) or token in steps.stops:
        return None
    return token if token in steps.ignore else steps.stem(token)
