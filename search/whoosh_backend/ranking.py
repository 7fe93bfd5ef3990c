"""How matching articles are ordered by relevance.

The index holds passages, but people judge a search by whether the right *article* comes first.
An article's score fuses two kinds of evidence:

* **article BM25** -- BM25 over the whole article, with term frequencies summed from its passages'
  postings, the article's own length and the words' rarity among articles (:func:`article_idf`),
  so a story that is about the query throughout beats one that mentions it in passing;
* **passage evidence** -- the sum of its best two passages' scores, so a story with a passage that
  answers the query closely beats one where the words are scattered.

Parameters are chosen by cross-validation, and each component kept only for what it adds on queries
it was not chosen on (``benchmarks/tuning.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from whoosh.query import Query
from whoosh.searching import Searcher

from index.schema import Fields
from search import budget
from search.query import negated_parts
from search.whoosh_backend.arrays import IndexArrays, increasing, run_starts
from search.whoosh_backend.generation import Generation

#: BM25 parameters for whole articles.
K1 = 2.0
B = 0.75
#: A title word counts as much as this many body occurrences.
TITLE_WEIGHT = 2.0
#: Weight of the passage evidence against the article evidence (both scaled to the best result).
PASSAGE_WEIGHT = 0.25
#: How a word's rarity among articles is reckoned in whole-article BM25: ``"robertson"``
#: (:func:`robertson_idf`) or ``"lucene"`` (:func:`lucene_idf`).
IDF = "robertson"
#: What :func:`robertson_idf` gives a word that half the articles or more hold (FTS5's floor): it
#: still counts, so an article that holds it ranks above one that does not, other things equal.
IDF_FLOOR = 1e-6
#: How many of an article's best passages make its passage evidence.
PASSAGES_SCORED = 2

TextFields = (Fields.TITLE, Fields.BODY)


def passage_evidence(starts: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Each article's passage evidence: the sum of its best :data:`PASSAGES_SCORED` passages' scores.

    :param starts: where each article's run of passages starts in *scores* (runs in article order).

    >>> passage_evidence(np.array([0, 3]), np.array([1.0, 3.0, 2.0, 4.0])).tolist()
    [5.0, 4.0]
    """
    if not len(starts):
        return np.zeros(0)
    sizes = np.diff(np.append(starts, len(scores)))
    several = sizes > min(PASSAGES_SCORED, 2)
    if not several.all():
        # An article with no more matching passages than are scored (one or two): its evidence is
        # their sum, without the segmented search for its best ones.
        evidence = np.maximum(scores[starts].astype(np.float64), 0.0)
        two = np.flatnonzero(sizes == 2) if PASSAGES_SCORED >= 2 else np.zeros(0, dtype=np.int64)
        evidence[two] += np.maximum(scores[starts[two] + 1], 0.0)
        if several.any():
            kept = sizes[several]
            evidence[several] = passage_evidence(np.r_[0, np.cumsum(kept)[:-1]], scores[np.repeat(several, sizes)])
        return evidence
    groups = np.repeat(np.arange(len(starts)), sizes)
    left, evidence = scores.astype(np.float64), np.zeros(len(starts))
    for _ in range(PASSAGES_SCORED):
        best = np.maximum.reduceat(left, starts)
        evidence += np.maximum(best, 0.0)  # a run with no passage left gives -inf
        # Take out each run's best (its first, among equals) for the next round.
        at_best = np.flatnonzero(left == best[groups])
        first = at_best[np.r_[True, groups[at_best][1:] != groups[at_best][:-1]]] if len(at_best) else at_best
        left[first] = -np.inf
    return evidence


def query_words(query: Query, searcher: Searcher) -> dict[str, float]:
    """The (stemmed) words the query looks for in title or body, with their boosts; prefixes and
    wildcards expanded to the words of the index they match. Excluded words are not included."""
    excluded = {text for part in negated_parts(query) for _, text in part.iter_all_terms()}
    words: dict[str, float] = {}
    for leaf in query.leaves():
        if getattr(leaf, "fieldname", None) not in TextFields:
            continue
        terms = leaf.expanded_terms(searcher.reader()) if leaf.has_terms() else []
        for _, text in terms:
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            if text not in excluded:
                words[text] = max(words.get(text, 0.0), leaf.boost)
    return words


@dataclass(frozen=True)
class ArticleCounts:
    """A word in the articles that hold it: their numbers, in increasing order, and its whole-article
    BM25 in each (kept per word: twelve bytes per article that holds it)."""

    articles: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.articles)

    def at(self, articles: np.ndarray) -> np.ndarray:
        """The word's BM25 in each of *articles*; zero in those without the word.

        >>> ArticleCounts(np.array([2, 5]), np.array([0.5, 0.9])).at(np.array([0, 5, 2, 9])).tolist()
        [0.0, 0.9, 0.5, 0.0]
        """
        if not len(self.articles):
            return np.zeros(len(articles))
        found = np.minimum(np.searchsorted(self.articles, articles), len(self.articles) - 1)
        return np.where(self.articles[found] == articles, self.scores[found], 0.0)


def lucene_idf(count: int, holding: int) -> float:
    """The rarity of a word held by *holding* of *count* articles (or passages), as Lucene computes
    BM25's: it falls towards zero for a word that most hold (where Whoosh's,
    :func:`~search.whoosh_backend.arrays.whoosh_idf`, stays near 1), and is never below it.

    >>> round(lucene_idf(100, 1), 2), round(lucene_idf(100, 50), 2), round(lucene_idf(100, 100), 3)
    (4.21, 0.69, 0.005)
    """
    return math.log(1 + (count - holding + 0.5) / (holding + 0.5))


def robertson_idf(count: int, holding: int) -> float:
    """The rarity of a word held by *holding* of *count* articles as Robertson and Sparck Jones
    define it for BM25, and as SQLite FTS5 computes it: a word held by half the articles or more
    weighs next to nothing (:data:`IDF_FLOOR`), so a long descriptive query is ranked by its rarer
    words alone.

    >>> round(robertson_idf(100, 1), 2), round(robertson_idf(100, 40), 2), robertson_idf(100, 60) == IDF_FLOOR
    (4.19, 0.4, True)
    """
    return max(math.log((count - holding + 0.5) / (holding + 0.5)), IDF_FLOOR)


def article_idf(count: int, holding: int) -> float:
    """The rarity of a word held by *holding* of *count* articles, in whole-article BM25:
    :func:`robertson_idf` or :func:`lucene_idf`, as :data:`IDF` says."""
    return robertson_idf(count, holding) if IDF == "robertson" else lucene_idf(count, holding)


def article_frequencies(arrays: IndexArrays, words: Iterable[str],
                        idf: Callable[[int, int], float] = article_idf) -> dict[str, ArticleCounts]:
    """For each word, the articles that hold it and its whole-article BM25 in each, from its
    frequency there (:func:`article_tf`), with *idf* (computed once per word, then cached)."""
    key = ("frequency", idf, IDF, K1, B, TITLE_WEIGHT)
    return {word: arrays.per_article(key, word, lambda: _frequency(arrays, word, idf)) for word in words}


def _frequency(arrays: IndexArrays, word: str, idf: Callable[[int, int], float]) -> ArticleCounts:
    """One word's :class:`ArticleCounts` (see :func:`article_frequencies`)."""
    budget.check()
    count, average = collection_totals(arrays)
    articles, tf = article_tf(arrays, word)
    lengths = arrays.article_words[articles]
    lengths = np.where(lengths > 0, lengths, 1.0)
    rarity = idf(count, len(articles))
    scores = rarity * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * lengths / (average or 1)))
    return ArticleCounts(articles.astype(np.int32), scores)


def article_tf(arrays: IndexArrays, word: str) -> tuple[np.ndarray, np.ndarray]:
    """The articles that hold *word* (in increasing order) and its frequency in each: body
    occurrences summed over the article's passages, plus :data:`TITLE_WEIGHT` times the title's
    (counted once, as every passage repeats the title)."""
    docs, weights = arrays.postings(Fields.BODY, word)
    title_docs, title_weights = arrays.postings(Fields.TITLE, word)
    in_body, in_title = arrays.article[docs], arrays.article[title_docs]
    if increasing(in_body) and increasing(in_title):
        # An article's passages follow each other: its postings are one run, summed as such, and the
        # work follows the word's postings, not the index's articles.
        starts = run_starts(in_body)
        articles = in_body[starts]
        tf = np.add.reduceat(weights.astype(np.float64), starts) if len(starts) else np.zeros(0)
        if len(in_title):  # a title's word counts once an article, though each passage repeats the title
            title_starts = run_starts(in_title)
            titled, title_tf = in_title[title_starts], title_weights[np.r_[title_starts[1:], len(in_title)] - 1]
            at = np.minimum(np.searchsorted(articles, titled), max(len(articles) - 1, 0))
            if not (len(articles) and np.array_equal(articles[at], titled)):
                # Some articles hold the word in their title alone: merge the two increasing runs.
                every = np.sort(np.concatenate([articles, titled]), kind="stable")
                every = every[run_starts(every)]
                merged = np.zeros(len(every))
                merged[np.searchsorted(every, articles)] = tf
                articles, tf, at = every, merged, np.searchsorted(every, titled)
            tf[at] += TITLE_WEIGHT * title_tf.astype(np.float64)
        held = tf != 0
        return (articles, tf) if held.all() else (articles[held], tf[held])
    tf = np.bincount(in_body, weights=weights.astype(np.float64), minlength=arrays.article_count)
    titled = np.zeros(arrays.article_count)
    titled[in_title] = title_weights
    tf = tf + TITLE_WEIGHT * titled
    articles = np.flatnonzero(tf)
    return articles, tf[articles]


def collection_totals(arrays: IndexArrays) -> tuple[int, float]:
    """How many articles the index holds and their average length in words."""
    count = arrays.article_count
    return count, float(arrays.article_words.sum() / (count or 1))


def article_bm25(arrays: IndexArrays, frequencies: Mapping[str, ArticleCounts], words: Mapping[str, float],
                 articles: np.ndarray) -> np.ndarray:
    """Whole-article BM25 of *articles* (article numbers) for *words* (word -> weight), from their
    :func:`article_frequencies`; an array in the order of *articles*."""
    return _bm25_holding(arrays, frequencies, words, articles)[0]


def _bm25_holding(arrays: IndexArrays, frequencies: Mapping[str, ArticleCounts], words: Mapping[str, float],
                  articles: np.ndarray, required: Iterable[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """:func:`article_bm25`, and whether each of *articles* holds every one of the *required* words."""
    required = set(required)
    if len(articles) > 1 and np.any(articles[1:] <= articles[:-1]) and increasing(articles):
        # Repeated articles in order (one per passage, say): each scored once.
        starts = run_starts(articles)
        scores, holding = _bm25_holding(arrays, frequencies, words, articles[starts], required)
        sizes = np.diff(np.append(starts, len(articles)))
        return np.repeat(scores, sizes), np.repeat(holding, sizes)
    if len(articles) > 1 and np.any(articles[1:] <= articles[:-1]):  # in no order
        every, holding = np.zeros(arrays.article_count), np.full(arrays.article_count, not required - frequencies.keys())
        for word, frequency in frequencies.items():
            every[frequency.articles] += words[word] * frequency.scores
            if word in required:
                holds = np.zeros(arrays.article_count, dtype=bool)
                holds[frequency.articles] = True
                holding &= holds
        return every[articles], holding[articles]
    scores, holding = np.zeros(len(articles)), np.full(len(articles), not required - frequencies.keys())
    # Where each article stands among *articles*, by article number: each word's articles are then
    # found there in one gather, however many articles hold the word.
    place = np.full(arrays.article_count, -1, dtype=np.int64 if len(articles) >= 2**31 else np.int32)
    place[articles] = np.arange(len(articles))
    for word, frequency in frequencies.items():
        at = place[frequency.articles]
        held = at >= 0
        at = at[held]
        scores[at] += words[word] * frequency.scores[held]
        if word in required:
            holds = np.zeros(len(articles), dtype=bool)
            holds[at] = True
            holding &= holds
    return scores, holding


def fuse(article_scores: np.ndarray, passage_scores: np.ndarray) -> np.ndarray:
    """Both kinds of evidence, each scaled to its best value, added with :data:`PASSAGE_WEIGHT`."""
    top_article, top_passage = scales(article_scores, passage_scores)
    return article_scores / top_article + PASSAGE_WEIGHT * passage_scores / top_passage


@dataclass(frozen=True)
class Ranking:
    """Relevance scores of the matching articles, and whether each holds every required word
    (arrays in the order of the articles ranked); and what :func:`explain_article` needs to take a
    score apart: the query's words and the two scales of :func:`fuse`."""

    scores: np.ndarray
    complete: np.ndarray
    words: Mapping[str, float] | None = None
    top_article: float = 1.0
    top_passage: float = 1.0


def scales(article_scores: np.ndarray, passage_scores: np.ndarray) -> tuple[float, float]:
    """The best article and passage evidence, by which :func:`fuse` divides (1 when there is none)."""
    return float(article_scores.max(initial=0.0)) or 1.0, float(passage_scores.max(initial=0.0)) or 1.0


def ranked(direct: np.ndarray, passage_scores: np.ndarray, complete: np.ndarray, words: Mapping[str, float]) -> Ranking:
    """The :class:`Ranking` of fused *direct* and *passage_scores*."""
    top_article, top_passage = scales(direct, passage_scores)
    return Ranking(fuse(direct, passage_scores), complete, words, top_article, top_passage)


def explain_article(gen: Generation, ranking: Ranking, article: int, evidence: float, complete: bool) -> dict:
    """The components of one article's score under *ranking* (see :func:`rank_articles`): each word's
    article BM25, scaled as :func:`fuse` scales it, the passage evidence's share, and
    whether the article is in the all-words tier (which orders, but adds nothing). They add up to the
    score, before any recency decay."""
    arrays, at = gen.arrays, np.array([article])
    words = ranking.words or {}
    frequencies = article_frequencies(arrays, words)
    bm25 = {word: float(words[word] * frequencies[word].at(at)[0]) / ranking.top_article
            for word in words}
    passages = PASSAGE_WEIGHT * evidence / ranking.top_passage if words else evidence
    return {"article_bm25": bm25, "passage_evidence": passages, "all_words": complete}


def rank_articles(gen: Generation, query: Query, articles: np.ndarray, passage_scores: np.ndarray,
                  required: frozenset[str] = frozenset()) -> Ranking:
    """Score each matching article.

    :param articles: the matching articles' numbers (see :mod:`search.whoosh_backend.arrays`).
    :param passage_scores: each article's passage evidence, see :func:`passage_evidence`.
    :param required: the words an all-words match holds (anywhere in the article).
    """
    words = query_words(query, gen.searcher)
    if not words:
        return Ranking(passage_scores, np.full(len(articles), not required), words={})
    frequencies = article_frequencies(gen.arrays, words)
    direct, complete = _bm25_holding(gen.arrays, frequencies, words, articles, required)
    return ranked(direct, passage_scores, complete, words)
