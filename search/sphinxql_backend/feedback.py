"""Feedback on a cluster, as the Whoosh backend gives it (:func:`search.whoosh_backend.ranking.rank_articles`):
a query of :data:`~search.whoosh_backend.ranking.FEEDBACK_MIN_WORDS` words or more learns words from its
best articles and re-scores the first articles with them.

* :func:`with_feedback` -- the articles' BM25 with feedback's words added, and those words.

RM3's expansion: the words that weigh most in the :data:`~search.whoosh_backend.ranking.FEEDBACK_ARTICLES`
best articles' texts (each text weighted by its score, each word by its share of the text and its rarity
over the passages), scaled to :data:`~search.whoosh_backend.ranking.FEEDBACK_WEIGHT`; their whole-article
BM25 is added to the first :data:`~search.whoosh_backend.ranking.FEEDBACK_DEPTH` articles in the order
shown without feedback. The rarity of a word is asked of the head, for the
:data:`WEIGHED_WORDS` words that weigh most in the texts (the Whoosh backend weighs every word).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from index.schema import SCHEMA, Fields
from search.sphinxql_backend.config import HEAD_INDEX
from search.sphinxql_backend.querying import escape
from search.sphinxql_backend.ranking import ArticleScores, article_bm25, statistics
from search.whoosh_backend.ranking import (
    FEEDBACK_ARTICLES,
    FEEDBACK_DEPTH,
    FEEDBACK_MIN_WORDS,
    FEEDBACK_WEIGHT,
    FEEDBACK_WORDS,
    PASSAGE_WEIGHT,
    best_first,
    fuse,
)

#: Words of the best articles' texts whose rarity is asked for, those that weigh most in the texts.
WEIGHED_WORDS = 100


def with_feedback(cursor, found: ArticleScores, evidence: np.ndarray, words: list[str]) -> tuple[np.ndarray, dict[str, float]]:
    """The candidates' whole-article BM25 with feedback's words added to the first of them, and
    feedback's words (as the texts write them) with their weights; unchanged for fewer than
    :data:`~search.whoosh_backend.ranking.FEEDBACK_MIN_WORDS` words."""
    direct = found.scores
    best = best_first(direct, FEEDBACK_ARTICLES)
    if len(words) < FEEDBACK_MIN_WORDS or not len(best) or direct[best[0]] <= 0:
        return direct, {}
    texts = article_texts(cursor, [int(found.keys[number]) for number in best])
    weighted = [(texts.get(int(found.keys[number]), ""), direct[number] / direct[best[0]]) for number in best]
    extra = feedback_words(cursor, weighted, words)
    if not extra:
        return direct, {}
    depth = best_first(fuse(direct, evidence) + np.where(found.holds_all, 2 + PASSAGE_WEIGHT, 0.0), FEEDBACK_DEPTH)
    keys = ", ".join(str(int(key)) for key in found.keys[depth])
    match = "@(title,body) (" + " | ".join(escape(word) for word in extra) + ")"
    fed = article_bm25(cursor, list(extra), match, f"akey IN ({keys})", (), len(depth))
    added = dict(zip(fed.keys.tolist(), (fed.parts @ np.array(list(extra.values()))).tolist())) if len(fed.keys) else {}
    direct = direct.copy()
    direct[depth] += np.array([added.get(int(key), 0.0) for key in found.keys[depth]])
    return direct, extra


def article_texts(cursor, keys: list[int]) -> dict[int, str]:
    """Each article's title and body (from its passages' rows), by article key."""
    if not keys:
        return {}
    cursor.execute(f"SELECT akey, title_text, body_text FROM {HEAD_INDEX} WHERE whole = 0 AND akey IN "
                   f"({', '.join(str(key) for key in keys)}) ORDER BY akey ASC, position ASC "
                   "LIMIT 10000 OPTION max_matches=10000")
    parts: dict[int, list[str]] = {}
    for key, title, body in cursor.fetchall():
        parts.setdefault(int(key), [title]).append(body)
    return {key: "\n".join(texts) for key, texts in parts.items()}


def feedback_words(cursor, texts: list[tuple[str, float]], words: list[str]) -> dict[str, float]:
    """RM3's expansion of the query *words* from *texts* (text, weight): at most
    :data:`~search.whoosh_backend.ranking.FEEDBACK_WORDS` words, as the texts most often write them."""
    analyzer = SCHEMA[Fields.BODY].analyzer
    query = {token.text for word in words for token in analyzer(word)}
    weights: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for text, weight in texts:
        tokens = Counter()
        for token in analyzer(text, keeporiginal=True):
            tokens[token.text] += 1
            spellings.setdefault(token.text, Counter())[token.original.lower()] += 1
        length = sum(tokens.values()) or 1
        for word, tf in tokens.items():
            weights[word] += weight * tf / length
    stems = [stem for stem, _ in weights.most_common() if stem not in query][:WEIGHED_WORDS]
    if not stems:
        return {}
    written = {stem: spellings[stem].most_common(1)[0][0] for stem in stems}
    totals, *held = statistics(cursor, [
        (f"SELECT COUNT(*), SUM(title_words), SUM(body_words) FROM {HEAD_INDEX} WHERE whole = 0", ()),
        *[(f"SELECT COUNT(*) FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 0", (f"@body {escape(written[stem])}",))
          for stem in stems]])
    passages = int(totals[0][0]) if totals else 0
    rare = {}
    for stem, rows in zip(stems, held):
        frequency = int(rows[0][0]) if rows else 0
        if frequency:
            rare[stem] = weights[stem] * math.log(1 + passages / frequency)
    chosen = sorted(rare, key=rare.__getitem__, reverse=True)[:FEEDBACK_WORDS]
    top = max((rare[stem] for stem in chosen), default=1.0)
    return {written[stem]: FEEDBACK_WEIGHT * rare[stem] / top for stem in chosen}
