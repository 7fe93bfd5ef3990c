"""Did-you-mean, from the index's own words.

* :func:`suggest` -- a query with its misspelt words respelled, or ``None``;
* :func:`respell` -- one word's correction, or the word itself; :func:`is_slip` -- whether a word
  typed is another with one slip of the keys;
* :func:`corrections` -- the index's words within a few edits of a word, best first (:class:`Correction`),
  found in the generation's :class:`Vocabulary`;
* :func:`written_as` -- a stem as the index's text writes it.

Whoosh's spelling corrector ranks the words within an edit distance by their frequency alone, and
only for a word the index lacks. So "opek" became "operators" (its stem "oper" is one edit from
"opek", as "opec" is, and far more frequent), and "goverment", found in nine passages of
Reuters-21578, got no suggestion beside "government" in 3,552. Here a candidate's cost weighs its
edits, its frequency, and whether it sounds like the word typed (Whoosh's double metaphone: "opek"
and "opec" both sound ``APK``), and a word the index does hold is respelled when it is rare and a
word one edit away is far more frequent.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

import numpy as np
from whoosh.lang.dmetaphone import double_metaphone
from whoosh.support.levenshtein import damerau_levenshtein

from index.schema import Fields, SEARCH_FIELDS
from search.query import OPERATORS
from search.whoosh_backend.generation import Generation

#: Words a spelling suggestion may replace: letters only, not a field name before a colon.
SPELLED_WORD = re.compile(r"(?<![\w:*])[^\W\d_]{3,}(?![\w:*])")
_LETTERS = re.compile(r"[^\W\d_]+")

#: A word the index holds is respelled only when at most RARE_PASSAGES passages hold it and a word
#: one edit away is held by MORE_FREQUENT times as many: then it is far likelier a slip of the keys
#: than a word of its own ("goverment" 9 passages, "government" 3,552; "missle" 7, "missile" 165 in
#: Reuters-21578). A word that finds more than a page or two of results is never respelled.
RARE_PASSAGES = 20
MORE_FREQUENT = 20
#: ... and it has at least this many letters, and is one slip from how the index writes the other
#: (:func:`is_slip`): a short rare word one edit from a common one is most often a name ("watt",
#: "ann"), a longer one most often a slip.
MIN_RESPELLED = 5
#: A candidate's cost: its edits, less SOUND_ALIKE when it sounds like the word typed, less
#: FREQUENCY_WEIGHT per tenfold of the passages holding it (so one edit more is worth a word about
#: 300 times as frequent, and sounding alike a word about 18 times as frequent).
SOUND_ALIKE = 0.5
FREQUENCY_WEIGHT = 0.4
#: Passages read, at most, to find how the index's text writes a stem.
SPELLING_SAMPLES = 10


@dataclass(frozen=True)
class Correction:
    """A word of the index that a word typed may have meant, and what ranks it."""

    word: str
    edits: int
    passages: int
    cost: float


def suggest(gen: Generation, text: str) -> str | None:
    """*text* with each misspelt word respelled (see :func:`respell`); ``None`` when nothing changes."""
    corrected = SPELLED_WORD.sub(lambda found: respell(gen, found.group(0)), text)
    return corrected if corrected != text else None


def respell(gen: Generation, word: str) -> str:
    """The word *word* was meant to be, as the index's text writes it, or *word* itself.

    A word the index lacks becomes its best correction within two edits; a word it holds in at most
    :data:`RARE_PASSAGES` passages (and of :data:`MIN_RESPELLED` letters or more), its best correction
    one slip away held by :data:`MORE_FREQUENT` times as many. The corrections of a word the index
    holds share its first two letters: looking further costs tens of milliseconds on a vocabulary of
    40,000 words, for every rare word typed.
    """
    searcher = gen.searcher
    stems = [token.text for token in searcher.schema[Fields.BODY].analyzer(word)]
    if word in OPERATORS or len(stems) != 1:
        return word
    held = max(gen.arrays.document_frequency(fieldname, stems[0]) for fieldname in SEARCH_FIELDS)
    if not held:
        options = corrections(gen, word, maxdist=2, prefix=1)
        return written_as(gen, options[0].word, word) if options else word
    if held > RARE_PASSAGES or len(word) < MIN_RESPELLED:
        return word
    for option in corrections(gen, word, maxdist=1, prefix=2):
        if option.edits == 1 and option.passages >= MORE_FREQUENT * held:
            written = written_as(gen, option.word, word)
            if is_slip(word.lower(), written):
                return written
    return word


def is_slip(typed: str, meant: str) -> bool:
    """Whether *typed* is *meant* with one slip of the keys (a letter left out, added, changed, or two
    swapped), not another word: an ending added or dropped ("thrifty", "thrift") makes a word of its own.

    >>> is_slip("bundesbnak", "bundesbank"), is_slip("goverment", "government"), is_slip("thrifty", "thrift")
    (True, True, False)
    """
    return damerau_levenshtein(typed, meant) == 1 and not (typed.startswith(meant) or meant.startswith(typed))


def corrections(gen: Generation, word: str, maxdist: int, prefix: int) -> list[Correction]:
    """The index's words within *maxdist* edits of *word*, sharing its first *prefix* letters, cheapest
    first (see :data:`SOUND_ALIKE`, :data:`FREQUENCY_WEIGHT`); a swap of two letters costs one edit.

    The body's words are stems (unless the index keeps a list of its unstemmed words for spelling),
    so *word* is compared as a stem: "missles" is one edit from "missil".
    """
    searcher = gen.searcher
    field = searcher.schema[Fields.BODY]
    unstemmed = field.separate_spelling()
    wanted = word.lower() if unstemmed else next(iter(field.analyzer(word))).text
    sound = double_metaphone(wanted)[0]
    found = []
    for candidate in vocabulary(gen).within(wanted, maxdist, prefix):
        stems = [token.text for token in field.analyzer(candidate)] if unstemmed else [candidate]
        passages = searcher.doc_frequency(Fields.BODY, stems[0]) if stems else 0
        if candidate == wanted or not passages or not _LETTERS.fullmatch(candidate):
            continue
        edits = damerau_levenshtein(wanted, candidate)
        if edits > maxdist:
            continue
        cost = edits - SOUND_ALIKE * (double_metaphone(candidate)[0] == sound) - FREQUENCY_WEIGHT * math.log10(passages)
        found.append(Correction(candidate, edits, passages, cost))
    return sorted(found, key=lambda option: (option.cost, option.word))


#: Letters are counted in this many bins (a to z each in a bin of its own) to bound edit distances.
LETTER_BINS = 32


@dataclass(frozen=True)
class Vocabulary:
    """The words of the body field as spelling reads them (its stems, or its unstemmed spelling
    words), in order, with each word's letters counted, so that the words within a few edits of
    another are found without measuring the distance to each of them."""

    words: list[str]
    letters: np.ndarray  # word -> letters counted by bin (:data:`LETTER_BINS`)

    @classmethod
    def of(cls, words: list[str]) -> Vocabulary:
        """The vocabulary of *words* (sorted)."""
        counts = np.zeros((len(words), LETTER_BINS), dtype=np.int16)
        if words:
            codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32) % LETTER_BINS
            rows = np.repeat(np.arange(len(words)), [len(word) for word in words])
            np.add.at(counts, (rows, codes), 1)
        return cls(words, counts)

    def within(self, text: str, maxdist: int, prefix: int = 0) -> list[str]:
        """The words that share the first *prefix* letters of *text* and may be within *maxdist* edits
        of it -- every word that is, and some that are not: an edit (a letter left out, added or
        changed) adds or takes away at most one letter of each kind, and a swap of two changes none,
        so a word whose letters differ from *text*'s by more than *maxdist* of one kind is further.

        >>> Vocabulary.of(sorted(["govern", "governor", "gover", "grave", "oven"])).within("govenr", 1, prefix=1)
        ['gover', 'govern']
        """
        start = bisect_left(self.words, text[:prefix])
        end = bisect_left(self.words, text[:prefix] + "\U0010ffff") if prefix else len(self.words)
        if start >= end:
            return []
        wanted = Vocabulary.of([text]).letters[0]
        difference = self.letters[start:end] - wanted
        more, fewer = np.clip(difference, 0, None).sum(axis=1), np.clip(-difference, 0, None).sum(axis=1)
        close = np.flatnonzero(np.maximum(more, fewer) <= maxdist)
        return [self.words[start + number] for number in close.tolist()]


def vocabulary(gen: Generation) -> Vocabulary:
    """The generation's :class:`Vocabulary`, read once."""
    def read() -> Vocabulary:
        field = gen.searcher.schema[Fields.BODY]
        fieldname = field.spelling_fieldname(Fields.BODY) if field.separate_spelling() else Fields.BODY
        words = (word.decode("utf-8") if isinstance(word, bytes) else word
                 for word in gen.searcher.reader().lexicon(fieldname))
        return Vocabulary.of(sorted(words))

    return gen.arrays.derived("spelling_vocabulary", read)


def written_as(gen: Generation, stem: str, typed: str) -> str:
    """*stem* as the index's text writes it, lower-cased: of its spellings in a few passages that hold
    it, the closest to *typed* (then the most frequent): "govern" typed "goverment" is "government",
    not "governor". Passages are read until a spelling one edit from *typed* turns up. An index that
    keeps unstemmed words for spelling gives *stem* as it is."""
    searcher = gen.searcher
    field = searcher.schema[Fields.BODY]
    if field.separate_spelling():
        return stem
    typed = typed.lower()
    spellings: Counter[str] = Counter()
    best = stem
    for docnum in gen.arrays.postings(Fields.BODY, stem)[0][:SPELLING_SAMPLES]:
        text = searcher.stored_fields(int(docnum)).get(Fields.BODY, "")
        spellings.update(token.original.lower() for token in field.analyzer(text, keeporiginal=True)
                         if token.text == stem)
        best = min(spellings, key=lambda spelling: (damerau_levenshtein(typed, spelling), -spellings[spelling],
                                                    spelling), default=stem)
        if damerau_levenshtein(typed, best) <= 1:
            break
    return best
