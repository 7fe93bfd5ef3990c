"""Which passages a Whoosh query matches, and their scores, computed on arrays.

The result is what ``searcher.search(query, limit=None)`` gives -- the same passages with the
same BM25F scores -- but a word's postings are scored all at once (:mod:`search.whoosh_backend.arrays`) instead
of one posting at a time. Words, their ``AND``/``OR``/``NOT`` combinations, ``field:`` terms and
``prefix*`` are evaluated here; any other kind of query (a phrase, a date range) is handed to
Whoosh itself and its scored matches joined in. One difference is deliberate: ``a AND NOT b``
leaves out every passage that holds ``b``, where Whoosh's own matcher lets some through.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.collectors import TimeLimitCollector
from whoosh.searching import Searcher, TimeLimit

from index.store.reading import expanded_words
from index.schema import Fields
from search import budget
from search.whoosh_backend.arrays import IndexArrays, starts_run

#: Whoosh's default BM25F parameters, which the passage scores reproduce.
PASSAGE_B = 0.75
PASSAGE_K1 = 1.2


@dataclass
class Matched:
    """The passages a query matches, in increasing order, and the score of each."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)


def positions(present: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of *docs* are in *present* (sorted; *docs* in any order), and where each stands in *present*.

    >>> positions(np.array([2, 5, 9]), np.array([1, 5, 9, 12]))
    (array([False,  True,  True, False]), array([0, 1, 2, 2]))
    >>> positions(np.array([2, 5, 9]), np.array([9, 1, 5]))[0].tolist()
    [True, False, True]
    """
    if not len(present):
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.int64)
    at = np.minimum(np.searchsorted(present, docs), len(present) - 1)
    return present[at] == docs, at


def bm25(idf: float, weights: np.ndarray, lengths: np.ndarray, average: float, b: float, k1: float) -> np.ndarray:
    """Whoosh's BM25 (``whoosh.scoring.bm25``) over arrays of weights and lengths."""
    return idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / average)))


def term_scores(searcher: Searcher, arrays: IndexArrays, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The passages that hold a word in a field, and the word's score in each (kept with the
    generation, :meth:`IndexArrays.scores`: read-only)."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        docs, weights = arrays.postings(fieldname, text)
        weights = weights.astype(np.float64)
        if fieldname in arrays.lengths and searcher.schema[fieldname].scorable:
            lengths = arrays.lengths[fieldname][docs]
            lengths[lengths == 0] = 1  # Whoosh reads a missing length as 1
            return docs, bm25(arrays.idf(fieldname, text), weights, lengths,
                              arrays.average_lengths[fieldname], PASSAGE_B, PASSAGE_K1)
        return docs, weights

    return arrays.scores(fieldname, text, compute)


class _Evaluator:
    """Evaluates a query tree bottom up, each node's matches kept as sorted passage numbers and scores:
    the work follows the number of matches, not the size of the index."""

    #: A union of fewer matches than the index's passages over this is merged by sorting them;
    #: a larger one is added up in arrays over every passage.
    SPARSE = 16

    def __init__(self, searcher: Searcher, arrays: IndexArrays) -> None:
        self.searcher, self.arrays = searcher, arrays
        self.size = len(arrays.live)

    @staticmethod
    def empty() -> Matched:
        return Matched(np.zeros(0, dtype=np.int64), np.zeros(0))

    def __call__(self, query: wq.Query) -> Matched:
        budget.check()  # between one word's (or node's) work and the next
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
            found = self.without(self(query.a), self(query.b))
        elif kind is wq.AndMaybe:
            found, maybe = self(query.a), self(query.b)
            held, at = positions(maybe.docs, found.docs)
            found.scores = found.scores + np.where(held, maybe.scores[at] if len(maybe) else 0.0, 0.0)
        elif kind is wq.Require:
            found, required = self(query.a), self(query.b)
            held, _ = positions(required.docs, found.docs)
            found = Matched(found.docs[held], found.scores[held])
        elif kind is wq.Not:
            everything = np.flatnonzero(self.arrays.live)
            found = self.without(Matched(everything, np.zeros(len(everything))), self(query.query))
        elif kind is wq.Every and not query.fieldname:
            everything = np.flatnonzero(self.arrays.live)
            found = Matched(everything, np.ones(len(everything)))
        elif query is wq.NullQuery:
            found = self.empty()
        elif isinstance(query, (wq.Prefix, wq.Wildcard)):
            # Whoosh ORs the words a pattern expands to, each scored as a word of its own.
            found = self.union([self.term(query.fieldname, _text(text))
                                for text in expanded_words(query, self.searcher.reader())])
        else:
            return self.by_whoosh(query)  # Whoosh's own scores already include the boost
        if query.boost != 1.0:
            found.scores = found.scores * query.boost
        return found

    def term(self, fieldname: str, text: str) -> Matched:
        if fieldname not in self.searcher.schema:
            return self.empty()
        return Matched(*term_scores(self.searcher, self.arrays, fieldname, text))  # live passages only

    def union(self, parts: list[Matched]) -> Matched:
        parts = [part for part in parts if len(part)]
        if len(parts) < 2:
            return parts[0] if parts else self.empty()
        total = sum(len(part) for part in parts)
        every = np.concatenate([part.docs for part in parts])
        if total * self.SPARSE < self.size:
            # Each part's passages are in order: a stable sort merges their runs (NumPy's timsort, near
            # linear; np.unique sorted them all anew, four times as long). One count over the merged
            # passages' numbers adds each passage's scores in the parts' order.
            order = np.argsort(every, kind="stable")
            merged = every[order]
            new = starts_run(merged)
            by_doc = np.empty(len(every), dtype=np.int64)
            by_doc[order] = np.cumsum(new) - 1
            docs = merged[new]
            return Matched(docs, np.bincount(by_doc, weights=np.concatenate([part.scores for part in parts]),
                                             minlength=len(docs)))
        # One count over every part's passages adds each passage's scores in the parts' order.
        scores = np.bincount(every, weights=np.concatenate([part.scores for part in parts]), minlength=self.size)
        matched = np.zeros(self.size, dtype=bool)
        matched[every] = True
        docs = np.flatnonzero(matched)
        return Matched(docs, scores[docs])

    def disjunction_max(self, parts: list[Matched], tiebreak: float) -> Matched:
        if not parts:
            return self.empty()
        stacked = np.zeros((len(parts), self.size))
        matched = np.zeros(self.size, dtype=bool)
        for row, part in zip(stacked, parts):
            row[part.docs] = part.scores
            matched[part.docs] = True
        best = stacked.max(axis=0)
        docs = np.flatnonzero(matched)
        return Matched(docs, (best + tiebreak * (stacked.sum(axis=0) - best))[docs])

    def intersection(self, children: list[wq.Query]) -> Matched:
        found = None
        for child in children:
            if isinstance(child, wq.Not):
                # AND NOT: only removes passages.
                if found is None:
                    everything = np.flatnonzero(self.arrays.live)
                    found = Matched(everything, np.zeros(len(everything)))
                found = self.without(found, self(child.query))
                continue
            part = self(child)
            if found is None:
                found = part
            else:
                held, at = positions(part.docs, found.docs)
                found = Matched(found.docs[held], found.scores[held] + part.scores[at[held]])
        return found if found is not None else self.empty()

    @staticmethod
    def without(found: Matched, excluded: Matched) -> Matched:
        held, _ = positions(excluded.docs, found.docs)
        return Matched(found.docs[~held], found.scores[~held])

    def by_whoosh(self, query: wq.Query) -> Matched:
        collector = self.searcher.collector(limit=None)
        seconds = budget.remaining()
        if seconds is not None:  # Whoosh's own matcher stops when the budget runs out
            collector = TimeLimitCollector(collector, timelimit=max(seconds, 0.001), use_alarm=False)
        try:
            self.searcher.search_with_collector(query, collector)
        except TimeLimit:
            budget.spent()
        pairs = collector.results().top_n
        if not pairs:
            return self.empty()
        scores, docs = (np.array(values) for values in zip(*pairs))
        order = np.argsort(docs, kind="stable")
        return Matched(docs[order].astype(np.int64), scores[order].astype(np.float64))


def _text(text: bytes | str) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else text


def match_passages(searcher: Searcher, arrays: IndexArrays, query: wq.Query) -> Matched:
    """The live passages *query* matches, with Whoosh's BM25F score of each."""
    return _Evaluator(searcher, arrays)(query)


def word_mask(searcher: Searcher, arrays: IndexArrays, words,
              fieldnames=(Fields.TITLE, Fields.BODY)) -> dict[str, np.ndarray]:
    """For each (stemmed) word, which passages hold it in any of *fieldnames*."""
    masks: dict[str, np.ndarray] = {}
    for word in words:
        mask = np.zeros(len(arrays.live), dtype=bool)
        for fieldname in fieldnames:
            mask[arrays.postings(fieldname, word)[0]] = True
        masks[word] = mask
    return masks
