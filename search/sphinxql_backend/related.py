"""Related coverage on a cluster: the other articles most like one article, by the Whoosh backend's rules
(:mod:`search.whoosh_backend.related`).

* :func:`related_articles` -- a :class:`search.results.Related`.

The key terms are the words that characterise the article against the whole cluster: the words of its
passages (stems, as the Whoosh index's analyzer makes them, stop words and numbers left out), weighed
by the divergence-from-randomness model Whoosh's ``key_terms`` uses (Bo1) over the number of articles
that hold each word, which the head counts; words only this article holds, and words more than
:data:`~search.whoosh_backend.related.COMMON_ARTICLE_SHARE` of the articles hold, are left out. The
articles holding them are then ranked by the whole-article BM25 a search ranks with
(:func:`search.sphinxql_backend.ranking.article_bm25`, with Lucene's idf), each word's part weighed by
its weight as a key term; an article is related from
:data:`~search.whoosh_backend.related.MIN_SHARE` of the article's score for its own key terms, close
coverage from :data:`~search.whoosh_backend.related.CLOSE_SHARE`, each story shown once.
"""

from __future__ import annotations

import math
import time
from collections import Counter

import numpy as np

from index.errors import ArticleNotFound
from index.schema import SCHEMA, Fields
from search.results import Related, RelatedArticle
from search.sphinxql_backend.articles import ARTICLE_PASSAGES
from search.sphinxql_backend.config import HEAD_INDEX, article_key
from search.sphinxql_backend.querying import sphinx_word, words_match
from search.sphinxql_backend.ranking import article_bm25, results_up_to, statistics
from search.whoosh_backend.ranking import lucene_idf
from search.whoosh_backend.related import (
    _LETTER,
    CLOSE_SHARE,
    COMMON_ARTICLE_SHARE,
    KEY_TERM_CANDIDATES,
    KEY_TERM_PASSAGES,
    KEY_TERMS,
    MIN_ARTICLES,
    MIN_SHARE,
    order_related,
    stop_stems,
)

_STOPPED = stop_stems(SCHEMA[Fields.BODY].analyzer)


def related_articles(cursor, article_id: str, limit: int) -> Related:
    """The *limit* articles most like *article_id*, its own story's articles left out.

    :raises ArticleNotFound: when no article has that id.
    """
    started = time.perf_counter()
    key = article_key(article_id)
    rows, = results_up_to(cursor, lambda limit: [
        (f"SELECT article_id, title_text, body_text, skey FROM {HEAD_INDEX} WHERE akey = %s AND whole = 0 "
         f"ORDER BY position ASC LIMIT {limit} OPTION max_matches={limit}", (key,))], ARTICLE_PASSAGES)
    rows = [row for row in rows if row[0] == article_id]
    if not rows:
        raise ArticleNotFound(f"no article has the id {article_id!r}", "article_id")
    (count,) = statistics(cursor, [(f"SELECT COUNT(*) FROM {HEAD_INDEX} WHERE whole = 1", ())])
    articles = int(count[0][0]) if count else 0
    if articles < MIN_ARTICLES:
        return Related(article_id, [], [], round((time.perf_counter() - started) * 1000, 2))
    terms = key_terms(cursor, [rows[0][1]] + [row[2] for row in rows[:KEY_TERM_PASSAGES]], articles)
    found: list[RelatedArticle] = []
    if terms:
        words = list(terms)
        match = "@(title,body) " + words_match(words)
        found = article_bm25(cursor, words, match, idf=lucene_idf)  # as before the ranking took Robertson's
        # Each word's BM25 weighed by its weight as a key term, as the Whoosh backend weighs them.
        similarity = found.parts @ np.array([terms[word] for word in words])
        own_at = [number for number, other in enumerate(found.article_ids) if other == article_id]
        own = float(similarity[own_at[0]]) if own_at else 0.0
        order = np.argsort(-similarity, kind="stable")
        candidates = [(found.article_ids[number], float(similarity[number])) for number in order
                      if own > 0 and similarity[number] >= MIN_SHARE * own and found.article_ids[number] != article_id]
        found = _shown(cursor, candidates, int(rows[0][3]), own, limit)
    return Related(article_id, list(terms), order_related(found),
                   round((time.perf_counter() - started) * 1000, 2))


def key_terms(cursor, texts: list[str], articles: int, count: int = KEY_TERMS) -> dict[str, float]:
    """The words that best characterise the article of *texts* (its title, then its passages), as the
    article most often writes them, weighed by Bo1 over the number of the cluster's *articles* that
    hold them (counted by their stems: "missiles" counts "missile" too)."""
    analyzer = SCHEMA[Fields.BODY].analyzer
    frequency: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        for token in analyzer(text, keeporiginal=True):
            frequency[token.text] += 1
            spellings.setdefault(token.text, Counter())[token.original.lower()] += 1
    stems = [word for word, _ in frequency.most_common()
             if _LETTER.search(word) and word not in _STOPPED][: KEY_TERM_CANDIDATES]
    if not stems:
        return {}
    written = {stem: spellings[stem].most_common(1)[0][0] for stem in stems}
    # Word statistics, kept a while as a search keeps its words' (:func:`~search.sphinxql_backend.ranking.statistics`).
    held = statistics(cursor, [(f"SELECT COUNT(*) FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 1",
                              (f"@(title,body) {sphinx_word(written[stem])}",)) for stem in stems])
    weights = {}
    for stem, rows in zip(stems, held):
        holding = int(rows[0][0]) if rows else 0
        if holding <= 1 or holding > COMMON_ARTICLE_SHARE * articles:
            continue
        share = holding / articles  # Bo1: the word's expected share, against its count in the article
        weights[written[stem]] = frequency[stem] * math.log2((1 + share) / share) + math.log2(1 + share)
    best = sorted(weights, key=lambda word: -weights[word])[:count]
    return {word: weights[word] for word in best}


def _shown(cursor, candidates: list[tuple[str, float]], own_story: int, own: float, limit: int) -> list[RelatedArticle]:
    """The first *limit* of *candidates* (id, score) of stories not met yet, the article's own first."""
    if not candidates:
        return []
    keys = ", ".join(str(article_key(other)) for other, _ in candidates)
    cursor.execute(f"SELECT article_id, title_text, url, source, published_text, skey FROM {HEAD_INDEX} "
                   f"WHERE whole = 1 AND akey IN ({keys}) LIMIT {len(candidates)} OPTION max_matches={len(candidates)}")
    rows = {row[0]: row for row in cursor.fetchall()}
    met, found = {own_story}, []
    for other, score in candidates:
        row = rows.get(other)
        if row is None or int(row[5]) in met:
            continue
        met.add(int(row[5]))
        share = score / own
        found.append(RelatedArticle(other, row[1], row[2] or None, row[3] or None, row[4] or None, round(share, 4),
                                    share >= CLOSE_SHARE))
        if len(found) == limit:
            break
    return found

