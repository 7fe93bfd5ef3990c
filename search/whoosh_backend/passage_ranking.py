"""Which passages answer a query best: the order of passages grouped by passage.

A passage's own score -- :func:`search.whoosh_backend.matching.match_passages`' BM25F over its title
and text, or with :data:`RARE_WORDS` the BM25 of :func:`passage_bm25`, whose rarity of a word falls
to nothing for a word most passages hold -- is scaled to the best passage's and added to, each with its weight:

* the **article's relevance** (:data:`ARTICLE_CONTEXT`): its whole-article BM25
  (:func:`~search.whoosh_backend.ranking.article_bm25`), scaled to the best article's -- a passage of
  a story about the question is likelier to answer it than one that merely shares its words;
* the **coverage** of the query (:data:`COVERAGE_WEIGHT`): the share of the query's words, each
  weighted by its rarity among articles, that the passage's own text holds;
* the **proximity** of the query's words (:data:`PROXIMITY_WEIGHT`), for the :data:`PROXIMITY_DEPTH`
  best passages by the rest: how close different query words stand in the passage's text
  (:func:`proximity`), the words of an answer standing together rather than scattered.

Under an article (``group=article``) its passages are shown by their own score: ordering them by these
parts too was measured and not kept (see the README). The weights are chosen by
``benchmarks/passages.py`` on graded passages of question topics, by cross-validation (see the
README's "Passages that answer"); an article's opening passage, measured there too, earned no weight.
"""

from __future__ import annotations

import numpy as np
from whoosh.query import Query

from index.schema import Fields
from search.whoosh_backend.arrays import distinct
from search.whoosh_backend.generation import Generation
from search.whoosh_backend.matching import PASSAGE_B, PASSAGE_K1, positions
from search.whoosh_backend.ranking import article_bm25, article_frequencies, lucene_idf, query_words

RARE_WORDS = True
#: In :func:`passage_bm25`, a title occurrence counts as this many in the text.
PASSAGE_TITLE_WEIGHT = 1.0
ARTICLE_CONTEXT = 0.5
COVERAGE_WEIGHT = 0.5
PROXIMITY_WEIGHT = 0.25
PROXIMITY_DEPTH = 100


def word_weights(gen: Generation, words: dict[str, float]) -> dict[str, float]:
    """Each of *words* (stemmed word -> boost) weighted by its boost times its rarity among articles."""
    arrays = gen.arrays
    frequencies = article_frequencies(arrays, words)
    return {word: boost * lucene_idf(arrays.article_count, len(frequencies[word])) for word, boost in words.items()}


def coverage(gen: Generation, words: dict[str, float], docs: np.ndarray) -> np.ndarray:
    """The share of *words* (stemmed word -> boost), each weighted by :func:`word_weights`, that each
    of the passages *docs* holds in its own text."""
    weights = word_weights(gen, words)
    held = np.zeros(len(docs))
    for word, weight in weights.items():
        held += weight * positions(gen.arrays.postings(Fields.BODY, word)[0], docs)[0]
    total = sum(weights.values())
    return held / total if total else held


def passages_holding(arrays, word: str) -> int:
    """How many passages hold *word* in title or text (computed once per word and generation)."""
    def count() -> np.ndarray:
        return np.array([len(distinct(np.concatenate([arrays.postings(Fields.BODY, word)[0],
                                                       arrays.postings(Fields.TITLE, word)[0]])))])

    return int(arrays.per_article("passages holding", word, count)[0])


def passage_bm25(gen: Generation, words: dict[str, float], docs: np.ndarray) -> np.ndarray:
    """BM25 of the passages *docs* for *words* (stemmed word -> boost) over title and text together, a
    title occurrence counting :data:`PASSAGE_TITLE_WEIGHT` times, each word's
    rarity Lucene's (:func:`~search.whoosh_backend.ranking.lucene_idf`) counted in passages: so the
    common words of a question weigh little beside its names and subjects."""
    arrays = gen.arrays
    count = int(arrays.live.sum())
    lengths = arrays.lengths[Fields.BODY][docs] + arrays.lengths[Fields.TITLE][docs]
    average = (arrays.average_lengths[Fields.BODY] + arrays.average_lengths[Fields.TITLE]) or 1.0
    norm = PASSAGE_K1 * ((1 - PASSAGE_B) + PASSAGE_B * lengths / average)
    scores = np.zeros(len(docs))
    for word, boost in words.items():
        body, body_weights = arrays.postings(Fields.BODY, word)
        title, title_weights = arrays.postings(Fields.TITLE, word)
        holding = passages_holding(arrays, word)
        tf = np.zeros(len(docs))
        for postings, weights, factor in ((body, body_weights, 1.0), (title, title_weights, PASSAGE_TITLE_WEIGHT)):
            found, at = positions(postings, docs)
            if len(postings):
                tf += np.where(found, weights[at], 0.0) * factor
        scores += boost * lucene_idf(count, holding) * tf * (PASSAGE_K1 + 1) / (tf + norm)
    return scores


def proximity(gen: Generation, words: dict[str, float], docs: np.ndarray) -> np.ndarray:
    """How close different query words stand in each of the passages *docs*, between 0 and 1
    (:func:`closeness`, the words weighted by :func:`word_weights`)."""
    arrays = gen.arrays
    weights = word_weights(gen, words)
    listed = [int(doc) for doc in docs]
    at_doc, places, word_ids = [], [], []
    for number, word in enumerate(words):
        for doc, found in arrays.characters(Fields.BODY, word, listed).items():
            at_doc += [doc] * len(found)
            places += [position for position, _, _ in found]
            word_ids += [number] * len(found)
    ordered_docs = np.sort(docs)
    totals = closeness(np.searchsorted(ordered_docs, at_doc), np.asarray(places, dtype=np.int64),
                       np.asarray(word_ids, dtype=np.int64), np.array(list(weights.values())), len(listed))
    # *totals* is in the order of the sorted docs; give it back in the order of *docs*.
    return totals[np.searchsorted(ordered_docs, docs)]


def closeness(passages: np.ndarray, places: np.ndarray, word_ids: np.ndarray, weights: np.ndarray,
              count: int) -> np.ndarray:
    """Büttcher, Clarke and Lushman's term proximity of *count* passages, between 0 and 1, from every
    occurrence of a query word in them: its passage (a number below *count*), its place in the text and
    its word (a number into *weights*, each word's boost times its rarity among articles).

    Every two neighbouring occurrences of different words (in the order of the text) add the product
    of their weights over the square of the distance between them in words; the sum is scaled by what
    the query's words would add standing side by side, and capped at 1.

    >>> closeness(np.array([0, 0, 1, 1]), np.array([3, 4, 0, 2]), np.array([0, 1, 0, 1]), np.array([1.0, 1.0]), 2).tolist()
    [1.0, 0.25]
    """
    ordered = sorted(weights.tolist(), reverse=True)
    best = sum(a * b for a, b in zip(ordered, ordered[1:])) or 1.0
    if not len(passages):
        return np.zeros(count)
    order = np.lexsort((places, passages))  # by passage, then by place in it
    passages, places, word_ids = passages[order], places[order], word_ids[order]
    weight = weights[word_ids]
    # Neighbouring occurrences of different words in the same passage.
    pair = (passages[1:] == passages[:-1]) & (word_ids[1:] != word_ids[:-1])
    distance = np.maximum(1, places[1:] - places[:-1])
    adds = np.where(pair, weight[1:] * weight[:-1] / distance.astype(np.float64) ** 2, 0.0)
    return np.minimum(1.0, np.bincount(passages[1:], weights=adds, minlength=count) / best)


def passage_parts(gen: Generation, query: Query, docs: np.ndarray, scores: np.ndarray) -> dict[str, np.ndarray]:
    """The parts of the score by which the matching passages *docs* (with their own *scores*) are
    ordered, by name, each already weighted: ``passage_score`` (the own score, scaled to the best
    one's, when any other part counts) and those of ``article_relevance``, ``coverage`` and
    ``proximity`` that count; their sum orders the passages."""
    if not len(docs) or not (RARE_WORDS or COVERAGE_WEIGHT or PROXIMITY_WEIGHT or ARTICLE_CONTEXT):
        return {"passage_score": scores}
    words = query_words(query, gen.searcher)
    if words and RARE_WORDS:
        scores = passage_bm25(gen, words, docs)
    parts = {"passage_score": scores / (float(scores.max(initial=0.0)) or 1.0)}
    if words and ARTICLE_CONTEXT:
        articles, inverse = np.unique(gen.arrays.article[docs], return_inverse=True)
        relevance = article_bm25(gen.arrays, article_frequencies(gen.arrays, words), words, articles)
        parts["article_relevance"] = ARTICLE_CONTEXT * (relevance / (float(relevance.max(initial=0.0)) or 1.0))[inverse]
    if words and COVERAGE_WEIGHT:
        parts["coverage"] = COVERAGE_WEIGHT * coverage(gen, words, docs)
    if len(words) > 1 and PROXIMITY_WEIGHT:
        best = np.argsort(-sum(parts.values()), kind="stable")[:PROXIMITY_DEPTH]
        parts["proximity"] = np.zeros(len(docs))
        parts["proximity"][best] = PROXIMITY_WEIGHT * proximity(gen, words, docs[best])
    return parts
