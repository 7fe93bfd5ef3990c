"""A search's page grouped by passage on a cluster (``group=passage``): each result one passage.

* :func:`passage_page` -- the total and the page's hits, as the Whoosh backend orders them: by
  relevance, passages holding every word of a plain-words query first, then by the parts of the Whoosh
  backend's passage score (:func:`~search.sphinxql_backend.passage_ranking.passage_parts`: their own
  BM25, their article's relevance, the query's words they hold and how close those stand); by date,
  their articles' dates, undated last,
  then in article order. Unless ``collapse=none``, only the passages of the first article of each
  story in that order are listed, the story's other articles as the result's versions.

The engine finds the candidates: by relevance the best :data:`~search.sphinxql_backend.ranking.CANDIDATES`
articles by its own ranking (each by its best matching passage), whose matching passages are then scored; by date a window of
rows in date order, :data:`WINDOW` times the rows the page needs. The total counts every matching
passage, less those of the later articles of a story found among the candidates: exact whenever
every matching passage is a candidate, as it is for all but the commonest words.
"""

from __future__ import annotations

import html
from dataclasses import replace

import numpy as np

from search.params import SearchParams
from search.results import Hit, PassageHit, Version
from search.sphinxql_backend.config import HEAD_INDEX, row_id
from search.sphinxql_backend.passage_ranking import passage_parts
from search.sphinxql_backend.querying import marked, sphinx_word, words_match
from search.sphinxql_backend.ranking import (CANDIDATES, _results, passage_bm25f, passage_rows_first, recency_decay,
                                             results_up_to)

#: Rows read in date order, per row the page needs, to find the first article of each story.
WINDOW = 4
_COLUMNS = "akey, skey, passage_id, position, IF(day > 0, 1, 0) AS dated, published"


def passage_page(cursor, params: SearchParams, match_text: str, where: str, args: tuple, words: list[str],
                 snippet: str, weights: dict[str, float] | None = None) -> tuple[int, list[Hit]]:
    """The total of passage results and the page's hits. *where* (with *args*) holds the filters after
    ``MATCH()``; *snippet* is the ``SNIPPET()`` options (:data:`~search.sphinxql_backend.searching.SNIPPET_OPTIONS`)."""
    match_where = "MATCH(%s) AND " if match_text else ""
    match_args = (match_text,) if match_text else ()
    condition, condition_args = f"{match_where}whole = 0{where}", (*match_args, *args)
    cursor.execute(f"SELECT COUNT(*) FROM {HEAD_INDEX} WHERE {condition}", condition_args)
    count = int(cursor.fetchone()[0])
    first = (params.page - 1) * params.per_page
    decay: dict[int, float] = {}
    at: dict[str, int] = {}  # by relevance: each scored passage's place in the arrays of *parts*
    parts: dict[str, np.ndarray] = {}
    if params.effective_sort == "relevance" and match_text and words:
        units, scores, decay, at, parts = _by_relevance(cursor, condition, condition_args, match_text, words,
                                                        params.recency, weights)
    else:
        units, scores = _by_date(cursor, params, condition, condition_args, first + params.per_page)
    kept, dropped, versions = _collapse(units, params.collapse)
    page = kept[first : first + params.per_page]
    if params.effective_sort != "relevance" and match_text and words and page:
        scores = passage_bm25f(cursor, words, match_text, sorted({int(unit[0]) for unit in page}), weights)
    hits = _hits(cursor, page, [scores.get(unit[2], 0.0) for unit in page], versions, words, snippet)
    if params.explain:
        # A hit's passage names its unit: a unit whose rows went missing meanwhile has no hit.
        key_of = {unit[2]: int(unit[0]) for unit in page}
        hits = [replace(hit, explanation=_explanation(hit.passages[0].passage_id, key_of, scores, decay, at, parts,
                                                      hit.score))
                for hit in hits]
    return count - dropped, hits


def _explanation(passage_id: str, key_of: dict[str, int], scores: dict[str, float], decay: dict[int, float],
                 at: dict[str, int], parts: dict[str, np.ndarray], total: float) -> dict:
    """The components of a passage's score: by relevance, the parts of
    :func:`~search.sphinxql_backend.passage_ranking.passage_parts`, else its own score; its article's
    recency decay, and the score shown."""
    recency = decay.get(key_of[passage_id], 1.0)
    if passage_id in at:
        explained = {name: float(values[at[passage_id]]) for name, values in parts.items()}
    else:
        # Only a passage scored by relevance is decayed, and it has its parts: this score is not decayed.
        explained = {"passage_score": scores.get(passage_id, 0.0)}
    return {**explained, "recency": recency, "total": total}


def _by_relevance(cursor, condition: str, args: tuple, match_text: str, words: list[str], recency: float | None,
                  weights: dict[str, float] | None = None) \
        -> tuple[list[tuple], dict[str, float], dict[int, float], dict[str, int], dict[str, np.ndarray]]:
    """Candidate passages (akey, skey, passage id, position) in the Whoosh backend's order, their scores
    (with *recency*, decayed by their articles' age), each article's decay, and the parts of the scored
    passages' scores (:func:`~search.sphinxql_backend.passage_ranking.passage_parts`) with each passage's
    place in them."""
    found, = _results(cursor, [(
        f"SELECT akey FROM {HEAD_INDEX} WHERE {condition} GROUP BY akey LIMIT {CANDIDATES} "
        f"OPTION max_matches={CANDIDATES}, ranker=expr('sum(tf_idf)*1000000'), idf='plain,tfidf_unnormalized'", args)])
    keys = [int(row[0]) for row in found]
    if not keys:
        return [], {}, {}, {}, {}
    counts, parts = passage_parts(cursor, words, match_text, keys, weights)
    scores = dict(zip(counts.ids, sum(parts.values()).tolist()))
    decay: dict[int, float] = {}
    if recency is not None:
        decay = dict(zip(keys, recency_decay(cursor, condition, args, np.array(keys), recency).tolist()))
        scores = {passage_id: score * decay.get(key, 1.0)
                  for (passage_id, score), key in zip(scores.items(), counts.keys.tolist())}
    in_keys = f" AND akey IN ({', '.join(str(key) for key in keys)})"
    every = "@(title,body) " + " ".join(f"({sphinx_word(word)})" for word in words)
    rows, complete = results_up_to(cursor, lambda limit: [
        (f"SELECT {_COLUMNS} FROM {HEAD_INDEX} WHERE {condition}{in_keys} LIMIT {limit} OPTION max_matches={limit}", args),
        (f"SELECT passage_id FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 0{in_keys} "
         f"LIMIT {limit} OPTION max_matches={limit}", (every,)),
    ], 100_000, passage_rows_first(len(keys)))
    holding = {row[0] for row in complete} if len(words) > 1 else {row[2] for row in rows}
    units = [row[:4] for row in rows]
    order = np.lexsort((-np.array([scores.get(unit[2], 0.0) for unit in units]),
                        np.array([unit[2] not in holding for unit in units])))
    return [units[number] for number in order], {unit[2]: scores.get(unit[2], 0.0) for unit in units}, decay, \
        {passage_id: number for number, passage_id in enumerate(counts.ids)}, parts


def _by_date(cursor, params: SearchParams, condition: str, args: tuple, needed: int) \
        -> tuple[list[tuple], dict[str, float]]:
    """Passages (akey, skey, passage id, position) by their articles' dates, undated last, enough for the page."""
    direction = "ASC" if params.effective_sort == "oldest" else "DESC"
    window = max(needed * (WINDOW if params.collapse == "story" else 1), 1)
    cursor.execute(f"SELECT {_COLUMNS} FROM {HEAD_INDEX} WHERE {condition} "
                   f"ORDER BY dated DESC, published {direction}, akey ASC, position ASC "
                   f"LIMIT {window} OPTION max_matches={window}", args)
    units = [row[:4] for row in cursor.fetchall()]
    return units, {unit[2]: 0.0 for unit in units}


def _collapse(units: list[tuple], collapse: str) -> tuple[list[tuple], int, dict[int, list[int]]]:
    """*units* in order, only the first article of each story's passages kept unless *collapse* is
    ``none``; how many were left out, and the articles left out by story key."""
    if collapse != "story":
        return units, 0, {}
    first: dict[int, int] = {}
    others: dict[int, list[int]] = {}
    kept = []
    for unit in units:
        akey, skey = int(unit[0]), int(unit[1])
        if first.setdefault(skey, akey) == akey:
            kept.append(unit)
        elif akey not in others.setdefault(skey, []):
            others[skey].append(akey)
    return kept, len(units) - len(kept), others


def _hits(cursor, page: list[tuple], scores: list[float], others: dict[int, list[int]], words: list[str],
          snippet: str) -> list[Hit]:
    """A hit per passage of *page*: its article's title and metadata, the passage with its snippet."""
    if not page:
        return []
    marks = words_match(words) if words else ""
    text = f"SNIPPET(body_text, %s, {snippet})" if marks else "body_text"
    ids = ", ".join(str(row_id(unit[2])) for unit in page)
    keys = sorted({int(unit[0]) for unit in page} | {key for unit in page for key in others.get(int(unit[1]), [])})
    passages, articles = _results(cursor, [
        (f"SELECT passage_id, position, start_offset, end_offset, {text} FROM {HEAD_INDEX} WHERE id IN ({ids}) "
         f"LIMIT {len(page)} OPTION max_matches={len(page)}", (marks,) if marks else ()),
        (f"SELECT akey, article_id, title_text, url, source, published_text, story FROM {HEAD_INDEX} "
         f"WHERE whole = 1 AND akey IN ({', '.join(str(key) for key in keys)}) "
         f"LIMIT {len(keys)} OPTION max_matches={len(keys)}", ()),
    ])
    by_id = {row[0]: row for row in passages}
    by_key = {int(row[0]): row for row in articles}
    hits = []
    for unit, score in zip(page, scores):
        article, passage = by_key.get(int(unit[0])), by_id.get(unit[2])
        if article is None or passage is None:
            continue
        _, article_id, title, url, source, published, story = article
        passage_id, position, start, end, passage_text = passage
        versions = [Version(by_key[key][1], by_key[key][4] or None) for key in others.get(int(unit[1]), [])
                    if key in by_key]
        hits.append(Hit(article_id=article_id, title=title, url=url or None, source=source or None,
                        published=published or None, score=round(score, 6),
                        passages=[PassageHit(passage_id, int(position), int(start), int(end),
                                             marked(passage_text).strip() if marks else _escaped(passage_text))],
                        story=story or article_id, other_versions=versions))
    return hits


def _escaped(text: str) -> str:
    return html.escape(text, quote=False).strip()
