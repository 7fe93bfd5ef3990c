"""Which passages a Whoosh query matches, and their scores, computed on arrays.

The result is what ``searcher.search(query, limit=None)`` gives -- the same passages with the
same BM25F scores -- but a word's postings are scored all at once (:mod:`search.arrays`) instead
of one posting at a time. Words, their ``AND``/``OR``/``NOT`` combinations, ``field:`` terms and
``prefix*`` are evaluated here; any other kind of query (a phrase, a date range) is handed to
Whoosh itself and its scored matches joined in. One difference is deliberate: ``a AND NOT b``
leaves out every passage that holds ``b``, where Whoosh's own matcher lets some through.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search.arrays import IndexArrays

#: Whoosh's default BM25F parameters, which the passage scores reproduce.
PASSAGE_B = 0.75
PASSAGE_K1 = 1.2


@dataclass
class Matched:
    """Per passage: whether it matches, and its score (zero where it does not)."""

    mask: np.ndarray
    scores: np.ndarray


def bm25(idf: float, weights: np.ndarray, lengths: np.ndarray, average: float, b: float, k1: float) -> np.ndarray:
    """Whoosh's BM25 (``whoosh.scoring.bm25``) over arrays of weights and lengths."""
    return idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / average)))


def term_scores(searcher: Searcher, arrays: IndexArrays, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The passages that hold a word in a field, and the word's score in each."""
    docs, weights = arrays.postings(fieldname, text)
    if fieldname in arrays.lengths and searcher.schema[fieldname].scorable:
        lengths = arrays.lengths[fieldname][docs]
        lengths[lengths == 0] = 1  # Whoosh reads a missing length as 1
        scores = bm25(arrays.idf(fieldname, text), weights, lengths,
                      arrays.average_lengths[fieldname], PASSAGE_B, PASSAGE_K1)
    else:
        scores = weights
    return docs, scores


class _Evaluator:
    def __init__(self, searcher: Searcher, arrays: IndexArrays) -> None:
        self.searcher, self.arrays = searcher, arrays
        self.size = len(arrays.live)

    def empty(self) -> Matched:
        return Matched(np.zeros(self.size, dtype=bool), np.zeros(self.size))

    def __call__(self, query: wq.Query) -> Matched:
        kind = type(query)
        if kind is wq.Term:
            found = self.term(query.fieldname, _text(query.text))
        elif kind is wq.Or:
            found = self.union([self(child) for child in query.children()])
        elif kind is wq.DisjunctionMax:
            found = self.disjunction_max([self(child) for child in query.children()], query.tiebreak)
        elif kind is wq.And:
            found = self.intersection(query.children())
        elif kind is wq.AndNot:
            found = self(query.a)
            found.mask &= ~self(query.b).mask
        elif kind is wq.AndMaybe:
            found = self(query.a)
            found.scores += np.where(found.mask, self(query.b).scores, 0.0)
        elif kind is wq.Require:
            found = self(query.a)
            found.mask &= self(query.b).mask
        elif kind is wq.Not:
            found = Matched(self.arrays.live & ~self(query.query).mask, np.zeros(self.size))
        elif kind is wq.Every and not query.fieldname:
            found = Matched(self.arrays.live.copy(), np.ones(self.size))
        elif query is wq.NullQuery:
            found = self.empty()
        elif isinstance(query, (wq.Prefix, wq.Wildcard)):
            # Whoosh ORs the words a pattern expands to, each scored as a word of its own.
            found = self.union([self.term(query.fieldname, _text(text))
                                for text in query._btexts(self.searcher.reader())])
        else:
            found = self.by_whoosh(query)
            # Whoosh's own scores already include the boost.
            return self.clean(found)
        if query.boost != 1.0:
            found.scores *= query.boost
        return self.clean(found)

    def clean(self, found: Matched) -> Matched:
        found.mask &= self.arrays.live
        found.scores[~found.mask] = 0.0
        return found

    def term(self, fieldname: str, text: str) -> Matched:
        found = self.empty()
        if fieldname not in self.searcher.schema:
            return found
        docs, scores = term_scores(self.searcher, self.arrays, fieldname, text)
        found.mask[docs] = True
        found.scores[docs] = scores
        return found

    def union(self, parts: list[Matched]) -> Matched:
        if not parts:
            return self.empty()
        found = parts[0]
        for part in parts[1:]:
            found.mask |= part.mask
            found.scores += part.scores
        return found

    def disjunction_max(self, parts: list[Matched], tiebreak: float) -> Matched:
        if not parts:
            return self.empty()
        stacked = np.vstack([part.scores for part in parts])
        best = stacked.max(axis=0)
        mask = np.logical_or.reduce([part.mask for part in parts])
        return Matched(mask, best + tiebreak * (stacked.sum(axis=0) - best))

    def intersection(self, children: list[wq.Query]) -> Matched:
        found = None
        for child in children:
            if isinstance(child, wq.Not):
                # AND NOT: only removes passages.
                found = found or Matched(self.arrays.live.copy(), np.zeros(self.size))
                found.mask &= ~self(child.query).mask
                continue
            part = self(child)
            if found is None:
                found = part
            else:
                found.mask &= part.mask
                found.scores += part.scores
        return found or self.empty()

    def by_whoosh(self, query: wq.Query) -> Matched:
        found = self.empty()
        results = self.searcher.search(query, limit=None)
        pairs = results.top_n
        if pairs:
            scores, docs = zip(*pairs)
            found.mask[list(docs)] = True
            found.scores[list(docs)] = scores
        return found


def _text(text: bytes | str) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else text


def match_passages(searcher: Searcher, arrays: IndexArrays, query: wq.Query) -> Matched:
    """The live passages *query* matches, with Whoosh's BM25F score of each."""
    return _Evaluator(searcher, arrays)(query)


def word_mask(searcher: Searcher, arrays: IndexArrays, words, fieldnames=("title", "body")) -> dict[str, np.ndarray]:
    """For each (stemmed) word, which passages hold it in any of *fieldnames*."""
    masks: dict[str, np.ndarray] = {}
    for word in words:
        mask = np.zeros(len(arrays.live), dtype=bool)
        for fieldname in fieldnames:
            mask[arrays.postings(fieldname, word)[0]] = True
        masks[word] = mask
    return masks
