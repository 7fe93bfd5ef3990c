"""Which passages answer a query best on a cluster (``group=passage``, by relevance): the parts of the
Whoosh backend's passage score (:mod:`search.whoosh_backend.passage_ranking`), with its weights,
computed from what the engine reports.

* ``passage_score`` -- with :data:`~search.whoosh_backend.passage_ranking.RARE_WORDS`, BM25 over title
  and text together with each word's rarity counted in passages (:func:`passage_bm25`), else Whoosh's
  BM25F (:func:`~search.sphinxql_backend.ranking.bm25f`); scaled to the best passage's;
* ``article_relevance`` -- the passage's article's whole-article BM25
  (:func:`~search.sphinxql_backend.ranking.article_bm25`), scaled to the best article's;
* ``coverage`` -- the share of the query's words, each weighted by its rarity among articles, that the
  passage's own text holds;
* ``proximity`` -- for the best passages by the rest, how close different query words stand in the
  text (:func:`~search.whoosh_backend.passage_ranking.closeness`), read from the passages' text as the
  Whoosh index's analyzer numbers its words.

Word counts come from :func:`~search.sphinxql_backend.ranking.passage_counts`; the candidates are the
matching passages of the articles the engine finds first (``keys``), where the Whoosh backend scores
every matching passage, so the best passage and article the parts are scaled to are those of the
candidates. Fields' lengths are counted apart by the two backends (see
:mod:`~search.sphinxql_backend.ranking`): a passage's own score may differ by up to 2%, which, as may
ties (wire copies), can change which passages fall within the best
:data:`~search.whoosh_backend.passage_ranking.PROXIMITY_DEPTH`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from index.schema import SCHEMA, TITLE_BOOST, Fields
from index.store.tokens import Steps, analysis_steps, word_places
from search.sphinxql_backend.config import HEAD_INDEX, row_id
from search.sphinxql_backend.querying import keywords, sphinx_word, stem
from search.sphinxql_backend.ranking import (PassageCounts, _results, _spread, article_bm25, article_statistics, bm25f,
                                             passage_counts, statistics, weighing)
from search.whoosh_backend import passage_ranking as weights_of
from search.whoosh_backend.matching import PASSAGE_B, PASSAGE_K1
from search.whoosh_backend.ranking import lucene_idf


def passage_parts(cursor, words: list[str], match: str, keys: list[int],
                  weights: dict[str, float] | None = None) -> tuple[PassageCounts, dict[str, np.ndarray]]:
    """The matching passages of the articles *keys* (:class:`~search.sphinxql_backend.ranking.PassageCounts`)
    and the parts of their scores by name, each already weighted (arrays in the order of the passages'
    ids): their sum orders the passages, as :func:`search.whoosh_backend.passage_ranking.passage_parts` does."""
    counts = passage_counts(cursor, words, match, keys)
    boosts = weighing(words, weights)
    rare, context = weights_of.RARE_WORDS, weights_of.ARTICLE_CONTEXT
    coverage, closeness = weights_of.COVERAGE_WEIGHT, weights_of.PROXIMITY_WEIGHT
    if not counts.ids or not words or not (rare or context or coverage or closeness):
        return counts, {"passage_score": bm25f(counts, boosts)}
    own = passage_bm25(cursor, counts, words, boosts) if rare else bm25f(counts, boosts)
    parts = {"passage_score": own / (float(own.max(initial=0.0)) or 1.0)}
    articles, _, held = article_statistics(cursor, words)
    rarity = boosts * np.array([lucene_idf(articles, holding) for holding in held])
    if context:
        found = article_bm25(cursor, words, match, f"akey IN ({', '.join(str(key) for key in keys)})",
                             candidates=len(keys), weights=weights)
        relevance = dict(zip(found.keys.tolist(), (found.scores / (float(found.scores.max(initial=0.0)) or 1.0)).tolist()))
        parts["article_relevance"] = context * np.array([relevance.get(key, 0.0) for key in counts.keys.tolist()])
    if coverage:
        total = float(rarity.sum())
        held_text = (counts.body_tf > 0) @ rarity
        parts["coverage"] = coverage * (held_text / total if total else held_text)
    if len(words) > 1 and closeness:
        best = np.argsort(-sum(parts.values()), kind="stable")[:weights_of.PROXIMITY_DEPTH]
        parts["proximity"] = np.zeros(len(counts.ids))
        parts["proximity"][best] = closeness * proximity(cursor, [counts.ids[number] for number in best], words, rarity)
    return counts, parts


def passage_bm25(cursor, counts: PassageCounts, words: list[str], boosts: np.ndarray) -> np.ndarray:
    """BM25 of the passages of *counts* over title and text together (a title occurrence counting
    :data:`~search.whoosh_backend.passage_ranking.PASSAGE_TITLE_WEIGHT` times its field boost), each word
    weighted by *boosts* and by its rarity among passages (Lucene's idf), as
    :func:`search.whoosh_backend.passage_ranking.passage_bm25` scores them."""
    held = _spread(statistics(cursor, [
        (f"SELECT COUNT(*) FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 0", (f"@(title,body) {sphinx_word(word)}",))
        for word in words if keywords(word)]), words)
    rarity = boosts * np.array([lucene_idf(counts.count, int(rows[0][0])) for rows in held])
    tf = counts.body_tf + counts.title_tf * TITLE_BOOST * weights_of.PASSAGE_TITLE_WEIGHT
    norm = PASSAGE_K1 * ((1 - PASSAGE_B) + PASSAGE_B * (counts.title_words + counts.body_words) / sum(counts.averages))
    return (rarity * tf * (PASSAGE_K1 + 1) / (tf + norm[:, None])).sum(axis=1)


def proximity(cursor, passage_ids: list[str], words: list[str], rarity: np.ndarray) -> np.ndarray:
    """How close different ones of *words* (each weighted by *rarity*) stand in the text of each of
    *passage_ids*, between 0 and 1 (:func:`~search.whoosh_backend.passage_ranking.closeness`)."""
    if not passage_ids:
        return np.zeros(0)
    ids = ", ".join(str(row_id(passage_id)) for passage_id in passage_ids)
    texts, = _results(cursor, [(f"SELECT passage_id, body_text FROM {HEAD_INDEX} WHERE id IN ({ids}) "
                                f"LIMIT {len(passage_ids)} OPTION max_matches={len(passage_ids)}", ())])
    text_of = dict(texts)
    stems = {stem(word): number for number, word in reversed(list(enumerate(words)))}
    wanted = frozenset(stems)
    at, places, word_ids = [], [], []
    for number, passage_id in enumerate(passage_ids):
        for place, word in body_places(text_of.get(passage_id, ""), wanted):
            at.append(number)
            places.append(place)
            word_ids.append(stems[word])
    return weights_of.closeness(np.array(at, dtype=np.int64), np.array(places, dtype=np.int64),
                                np.array(word_ids, dtype=np.int64), rarity, len(passage_ids))


def body_places(text: str, stems: frozenset[str]) -> list[tuple[int, str]]:
    """Where each of *stems* stands in a passage's *text*, as the Whoosh index's analyzer numbers the
    words of the text (:func:`index.store.tokens.word_places`)."""
    steps = _body_steps()
    if steps is not None:
        return word_places(steps, text, stems)
    return [(token.pos, token.text) for token in SCHEMA[Fields.BODY].analyzer(text, positions=True)
            if token.text in stems]


@lru_cache(maxsize=1)
def _body_steps() -> Steps | None:
    return analysis_steps(SCHEMA[Fields.BODY].analyzer)
