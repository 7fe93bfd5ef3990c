"""A search's page on a cluster: the articles' own rows matched, filtered, counted, ordered and paged by
the engine, the ranking computed as the Whoosh backend's (:mod:`~search.sphinxql_backend.ranking`),
the page's passages and snippets read from the passages' rows.

* :func:`find` -- a :class:`search.results.Page` for checked parameters, through a cursor on the head.

What it answers as the Whoosh backend does: the matching articles (an exclusion applies to the whole
article), their total and facets by source and month and the days of the timeline, the date filters and
the source filter, relevance (articles holding every word of a plain-words query first, then whole-article
BM25 fused with each article's best two passages' BM25F) or date order (undated last), one article per
story of wire copies unless ``collapse=none``, and the page's best passages with their snippets, only our
``<mark>`` as markup. Grouped by passage: :mod:`~search.sphinxql_backend.passages`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from whoosh import query as wq

from search.params import SearchParams, sources_named
from search.query import ReadQuery, negated_parts, plain_parts
from search.results import FacetCount, Hit, Page, PassageHit, Version
from search.sphinxql_backend.config import HEAD_INDEX
from search.sphinxql_backend.passages import passage_page
from search.sphinxql_backend.querying import SPHINX_SCHEMA, SphinxMatch, marked, sphinx_match, stem, words_match
from search.sphinxql_backend.ranking import (CANDIDATES, MAX_ROWS, PASSAGES_PER_KEY, article_bm25, passage_bm25f,
                                             recency_decay, results_up_to)
from search.sphinxql_backend.stories import matching_keys
from search.whoosh_backend.ranking import B, K1, PASSAGE_WEIGHT, PASSAGES_SCORED, fuse, scales
from search.whoosh_backend.searching import PASSAGES_PER_ARTICLE, SOME_WORDS_WARNING

#: Articles, the best by whole-article BM25, whose passages are scored first for the passage evidence
#: (then those of any other that its passages could bring onto the page).
PASSAGE_CANDIDATES = 200
#: Days of the timeline at most (a century and more), months of the facet, and stories with copies
#: among one search's matches at most (read in two steps: :func:`~search.sphinxql_backend.ranking.results_up_to`).
MAX_DAYS = 40_000
MAX_MONTHS = 10_000
MAX_COPIED = 20_000
#: Articles an exclusion may leave out; a query that excludes more is refused with a warning.
MAX_EXCLUDED = 100_000
#: The engine's words between ``SNIPPET()``'s markers and around them, as in the Whoosh backend's snippets.
SNIPPET_OPTIONS = "'before_match=\x02', 'after_match=\x03', 'limit=300', 'around=12', 'chunk_separator= … '"
_ARTICLE_COLUMNS = "akey, article_id, title_text, url, source, published_text, story, skey"


@dataclass(frozen=True)
class _Filters:
    """The ``WHERE`` conditions beside ``MATCH()`` and their arguments."""

    where: str
    args: tuple


def words_of(read: ReadQuery) -> list[str]:
    """The words a query looks for in title and body, as typed, one per stem (the first typed): what
    ranking counts, as the Whoosh backend counts ``process processes`` as one word.

    >>> from search.query import read_query
    >>> words_of(read_query("processes of process control -processing", SPHINX_SCHEMA))
    ['processes', 'control']
    """
    words: dict[str, str] = {}
    excluded = set(_excluded_leaves(read))
    for leaf in read.query.leaves() if read.query is not None else ():
        if (leaf in excluded or getattr(leaf, "fieldname", None) not in ("title", "body")
                or isinstance(leaf, (wq.Prefix, wq.Wildcard))):
            continue
        for word in getattr(leaf, "words", None) or [getattr(leaf, "text", None)]:
            if isinstance(word, str) and word and "*" not in word:
                words.setdefault(stem(word), word)
    return list(words.values())


def repeat_weights(read: ReadQuery, words: list[str]) -> dict[str, float]:
    """The weight of each of *words* typed more than once in *read*, by its stem as the Whoosh backend
    weighs it (:attr:`search.query.ReadQuery.repeated`); a word typed once is not named.

    >>> from search.query import read_query
    >>> read = read_query("oil prices, crude oil price", SPHINX_SCHEMA)
    >>> {word: round(weight, 2) for word, weight in repeat_weights(read, words_of(read)).items()}
    {'oil': 1.8, 'prices': 1.8}
    """
    return {word: read.repeated[stem(word)] for word in words if stem(word) in read.repeated}


def _excluded_leaves(read: ReadQuery) -> list:
    return [leaf for part in (negated_parts(read.query) if read.query is not None else []) for leaf in part.leaves()]


def find(cursor, params: SearchParams, q_read: ReadQuery, sources: list[str]) -> Page:
    """The page of results of *params*, whose query *q_read* was read with
    :data:`search.sphinxql_backend.querying.SPHINX_SCHEMA`;
    *sources* are the indexed sources' names (for the source filter).

    Sorted by date, only the articles holding every part of a plain query are listed (as the Whoosh
    backend lists them, :func:`~search.whoosh_backend.searching.required_parts`); when none does,
    those holding any part, with :data:`~search.whoosh_backend.searching.SOME_WORDS_WARNING`.
    """
    every = every_part(q_read, q_read.text or params.q) if params.effective_sort != "relevance" else None
    if every is not None:
        # The articles holding every part; the passages shown of each, those the query itself matches.
        page = _find(cursor, params, every, sources, shown=q_read)
        if page.total:
            return page
        page = _find(cursor, params, q_read, sources)
        return replace(page, warnings=[*page.warnings, SOME_WORDS_WARNING]) if page.total else page
    return _find(cursor, params, q_read, sources)


def every_part(read: ReadQuery, text: str) -> ReadQuery | None:
    """*read* requiring every part of its plain query -- each word (in title or body), each phrase, each
    ``prefix*`` by any of its words -- or ``None`` for a single part, a description or a query whose
    own logic decides (:func:`search.query.plain_parts`)."""
    groups = plain_parts(read, text, SPHINX_SCHEMA)
    if not groups:
        return None
    negated = read.query.b if isinstance(read.query, wq.AndNot) else None
    every: wq.Query = wq.And([children[0] if len(children) == 1 else wq.Or(children) for children in groups.values()])
    return replace(read, query=every if negated is None else wq.AndNot(every, negated))


def _find(cursor, params: SearchParams, q_read: ReadQuery, sources: list[str], shown: ReadQuery | None = None) -> Page:
    """The page of *q_read*'s matching articles (or passages); each article's passages shown and scored
    by *shown* when given (an article holding every part of a query may hold no passage with them all)."""
    asked = bool(params.q.strip())
    match = sphinx_match(q_read, asked=asked)
    passage_match = sphinx_match(shown, asked=asked) if shown is not None else match
    if match.nothing:
        return Page(total=0, hits=[], facets={"source": [], "published": []}, days={})
    warnings: list[str] = []
    filters = _filters(cursor, params, match, sources, warnings)
    if filters is None:
        return Page(total=0, hits=[], facets={"source": [], "published": []}, days={}, warnings=warnings)
    match_where = "MATCH(%s) AND " if match.text else ""
    match_args = (match.text,) if match.text else ()
    where, args = f"{match_where}whole = 1{filters.where}", (*match_args, *filters.args)
    by_source, by_day = results_up_to(cursor, lambda rows: [
        (f"SELECT source, COUNT(*) n, SUM(IF(skey = akey, 1, 0)) own FROM {HEAD_INDEX} WHERE {where} GROUP BY source "
         f"ORDER BY n DESC LIMIT {rows} OPTION max_matches={rows}", args),
        (f"SELECT day, COUNT(*) n FROM {HEAD_INDEX} WHERE {where} AND day > 0 GROUP BY day ORDER BY day ASC "
         f"LIMIT {rows} OPTION max_matches={rows}", args),
    ], MAX_DAYS)
    cursor.execute("SHOW META")
    if dict(cursor.fetchall()).get("warning"):
        warnings.append("Part of the archive did not answer (a shard with no live copy): these results are "
                        "incomplete, and counts cover only what answered.")
    # Every matching article has one source (or none: ''), and a day when it has a month: the total (and
    # of it, the articles that name their own story) and the months are added up from the sources and
    # the days, unless there were too many of those to read.
    total, own = sum(int(row[1]) for row in by_source), sum(int(row[2]) for row in by_source)
    if len(by_source) >= MAX_DAYS:
        cursor.execute(f"SELECT COUNT(*), SUM(IF(skey = akey, 1, 0)) own FROM {HEAD_INDEX} WHERE {where}", args)
        total, own = (int(value) for value in cursor.fetchall()[0])
    if len(by_day) < MAX_DAYS:
        by_month = months(by_day)
    else:
        cursor.execute(f"SELECT month, COUNT(*) n FROM {HEAD_INDEX} WHERE {where} AND month > 0 GROUP BY month "
                       f"ORDER BY month DESC LIMIT {MAX_MONTHS} OPTION max_matches={MAX_MONTHS}", args)
        by_month = list(cursor.fetchall())
    if params.collapse == "story" and total:
        total = _stories(cursor, where, args, own)
    facets = {"source": [FacetCount(source, int(n)) for source, n, _ in sorted(by_source, key=lambda row: (-row[1], row[0]))
                         if source],
              "published": [FacetCount(f"{month // 100:04d}-{month % 100:02d}", int(n)) for month, n in by_month]}
    days = {date.fromordinal(int(day)): int(n) for day, n in by_day}
    first = (params.page - 1) * params.per_page
    words = words_of(q_read)
    weights = repeat_weights(q_read, words)
    if params.group == "passage":
        total, hits = passage_page(cursor, params, match.text, filters.where, filters.args, words, SNIPPET_OPTIONS,
                                   weights)
        return Page(total=total, hits=hits, facets=facets, days=days, warnings=warnings)
    explanations: dict[int, dict] = {}
    scored: dict[int, dict[str, float]] = {}
    if params.effective_sort == "relevance" and match.text and words:
        rows, scores, versions = _by_relevance(cursor, params, match, filters, words, first, where, args, explanations,
                                                    scored, tiered=bool(q_read.required), weights=weights)
    elif params.effective_sort == "relevance" and match.text:
        rows, scores, versions = _by_engine(cursor, params, where, args, first, q_read, explanations)
    else:
        rows, scores, versions = _by_date(cursor, params, where, args, first)
        if passage_match.text and words and rows:
            passages = passage_bm25f(cursor, words, passage_match.text, [row[0] for row in rows], weights)
            scored.update(_by_article(passages, {row[1]: row[0] for row in rows}))
            evidence = _evidence(passages)
            scores = [evidence.get(row[1], 0.0) for row in rows]
            explanations = {row[0]: {"passage_evidence": score, "recency": 1.0} for row, score in zip(rows, scores)}
    hits = _hits(cursor, rows, scores, versions, passage_match, words, scored, weights)
    if params.explain:
        hits = [replace(hit, explanation={**explanations.get(row[0], {"passage_evidence": 0.0, "recency": 1.0}),
                                          "total": hit.score}) for hit, row in zip(hits, rows)]
    return Page(total=total, hits=hits, facets=facets, days=days, warnings=warnings)


def best_stories(order: np.ndarray, stories: np.ndarray, count: int) -> np.ndarray:
    """The first articles of *order* (numbers into *stories*, each article's story key) that are in its
    first *count* stories: every wire copy of a story is scored as its first article is.

    >>> best_stories(np.array([3, 0, 1, 2]), np.array([7, 7, 8, 9]), 2).tolist()
    [3, 0, 1]
    """
    ranked = stories[order]
    first = np.unique(ranked, return_index=True)[1]
    kept = ranked[np.sort(first)[:count]]
    return order[np.isin(ranked, kept)]


def months(by_day: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The counts of articles by day (``(day ordinal, count)``) as counts by month (``(yyyymm, count)``),
    the latest month first, as the index keeps months.

    >>> months([(date(1987, 2, 26).toordinal(), 3), (date(1987, 3, 1).toordinal(), 2), (date(1987, 3, 9).toordinal(), 1)])
    [(198703, 3), (198702, 3)]
    """
    counts: dict[int, int] = {}
    for day, count in by_day:
        moment = date.fromordinal(int(day))
        month = moment.year * 100 + moment.month
        counts[month] = counts.get(month, 0) + int(count)
    return sorted(counts.items(), reverse=True)


def _stories(cursor, where: str, args: tuple, own: int) -> int:
    """How many stories the articles matching *where* are in, *own* of which name their own story.
    Sphinx's ``COUNT(DISTINCT)`` adds up each agent's count, and a story's copies are spread over the
    shards, so: the *own*, and of the stories of the matching copies (few: a copy's story is another
    article's), those whose first article does not match."""
    copied, = results_up_to(cursor, lambda rows: [
        (f"SELECT skey, skey <> akey AS copy FROM {HEAD_INDEX} WHERE {where} AND copy = 1 GROUP BY skey "
         f"LIMIT {rows} OPTION max_matches={rows}", args),
    ], MAX_COPIED)
    stories = {int(row[0]) for row in copied}
    matched = matching_keys(cursor, sorted(stories), where, args)
    return own + len(stories - matched)


def _by_article(passages: dict[str, float], keys: dict[str, int]) -> dict[int, dict[str, float]]:
    """*passages*' scores (by passage id) grouped by article key, for every article of *keys* (article
    id -> key) whose passages were scored, none matching or some: what :func:`_hits` need not ask again.

    >>> _by_article({"a#0": 1.0, "a#2": 3.0}, {"a": 7, "b": 9})
    {7: {'a#0': 1.0, 'a#2': 3.0}, 9: {}}
    """
    grouped: dict[int, dict[str, float]] = {key: {} for key in keys.values()}
    for passage_id, score in passages.items():
        grouped[keys[passage_id.rsplit("#", 1)[0]]][passage_id] = score
    return grouped


def _evidence(passages: dict[str, float]) -> dict[str, float]:
    """Each article's passage evidence (by id): the sum of its best passages' scores, as the Whoosh
    backend sums them (:func:`~search.whoosh_backend.ranking.passage_evidence`)."""
    best: dict[str, list[float]] = {}
    for passage_id, score in passages.items():
        best.setdefault(passage_id.rsplit("#", 1)[0], []).append(score)
    return {article_id: sum(sorted(scores, reverse=True)[:PASSAGES_SCORED]) for article_id, scores in best.items()}


def _filters(cursor, params: SearchParams, match: SphinxMatch, sources: list[str], warnings: list[str]) -> _Filters | None:
    """The date range, the source filter and the excluded articles as conditions; ``None`` when they
    leave nothing."""
    where, args = "", []
    if params.date_from:
        where += f" AND day >= {params.date_from.toordinal()}"
    if params.date_to:
        where += f" AND day > 0 AND day <= {params.date_to.toordinal()}"
    if params.source:
        named = sources_named(params.source, sources)
        if not named:
            return None
        where += " AND source IN (" + ", ".join(["%s"] * len(named)) + ")"
        args += named
    if match.excluded:
        cursor.execute(f"SELECT akey FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 1 LIMIT {MAX_EXCLUDED} "
                       f"OPTION max_matches={MAX_EXCLUDED}", (match.excluded,))
        keys = [str(row[0]) for row in cursor.fetchall()]
        if len(keys) >= MAX_EXCLUDED:
            warnings.append(f"The words excluded are in more than {MAX_EXCLUDED:,} articles; nothing was searched.")
            return None
        if keys:
            where += f" AND akey NOT IN ({', '.join(keys)})"
    return _Filters(where, tuple(args))


def _by_relevance(cursor, params: SearchParams, match: SphinxMatch, filters: _Filters, words: list[str],
                  first: int, where: str, args: tuple, explanations: dict[int, dict], scored: dict[int, dict[str, float]],
                  tiered: bool = True, weights: dict[str, float] | None = None) \
        -> tuple[list[tuple], list[float], dict[int, list[Version]]]:
    """The page's article rows by relevance, scored as the Whoosh backend scores them (with ``recency``,
    decayed by age); articles holding every word first when
    *tiered* (a plain-words query, not a description); with ``explain``, the components of each score in
    *explanations*, by article key."""
    found = article_bm25(cursor, words, match.text, filters.where.removeprefix(" AND "), filters.args, CANDIDATES,
                         weights, stories=params.collapse == "story")
    if not len(found.keys):
        return [], [], {}
    best = best_stories(np.argsort(-found.scores, kind="stable"), found.stories, PASSAGE_CANDIDATES)
    passages = passage_bm25f(cursor, words, match.text, found.keys[best].tolist(), weights)
    decay = recency_decay(cursor, where, args, found.keys, params.recency) if params.recency is not None else None
    required = tiered and len(words) > 1
    tiers = ~found.holds_all if required else np.zeros(len(found.keys), dtype=bool)

    def ranked(passages: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int], list[int]]:
        evidence_of = _evidence(passages)
        evidence = np.array([evidence_of.get(article_id, 0.0) for article_id in found.article_ids])
        scores = fuse(found.scores, evidence) * (decay if decay is not None else 1.0)
        order = np.lexsort((-scores, tiers))
        keys = [int(found.keys[number]) for number in order]
        return evidence, scores, order, keys, _page_keys(keys, [int(found.stories[number]) for number in order],
                                                          params.collapse, first, params.per_page)

    evidence, scores, order, keys, wanted = ranked(passages)
    # An article whose passages were not scored could still reach the page by them if its article part
    # and the whole passage weight reach the page's lowest score: one whose words most articles hold,
    # whose article part is next to nothing, is ranked by its passages, as the Whoosh backend ranks it.
    on_page = np.isin(found.keys, wanted)
    unscored = np.ones(len(found.keys), dtype=bool)
    unscored[best] = False
    lowest = float(scores[on_page].min(initial=np.inf))
    reach = found.scores / scales(found.scores, evidence)[0] + PASSAGE_WEIGHT
    more = np.flatnonzero(unscored & (on_page | (reach >= lowest)))
    if len(more):
        passages = {**passages, **passage_bm25f(cursor, words, match.text, found.keys[more].tolist(), weights)}
        best = np.concatenate([best, more])
        evidence, scores, order, keys, wanted = ranked(passages)
    scored.update(_by_article(passages, {found.article_ids[number]: int(found.keys[number]) for number in best}))
    rows = {row[0]: row for row in _article_rows(cursor, wanted)}
    page, versions = _collapse([rows[key] for key in keys if key in rows], params.collapse)
    score_of = {int(found.keys[number]): float(scores[number]) for number in order}
    if params.explain:
        top_article, top_passage = scales(found.scores, evidence)
        stems = [stem(word) for word in words]
        at = {int(key): number for number, key in enumerate(found.keys.tolist())}
        for row in page:
            number = at[row[0]]
            explanations[row[0]] = {
                "article_bm25": {stem: float(found.parts[number, column]) / top_article
                                 for column, stem in enumerate(stems)},
                "passage_evidence": PASSAGE_WEIGHT * float(evidence[number]) / top_passage,
                "all_words": bool(found.holds_all[number]) or not required,
                "recency": float(decay[number]) if decay is not None else 1.0}
    return page, [score_of[row[0]] for row in page], {row[0]: versions.get(row[7], []) for row in page}


def _by_engine(cursor, params: SearchParams, where: str, args: tuple, first: int, read: ReadQuery,
               explanations: dict[int, dict]) -> tuple[list[tuple], list[float], dict[int, list[Version]]]:
    """The page's article rows by the engine's own whole-article BM25, for a query of patterns alone
    (``missil*``): which words a pattern stands for, only the engine knows."""
    cursor.execute(f"SELECT {_ARTICLE_COLUMNS}, WEIGHT() AS w FROM {HEAD_INDEX} WHERE {where} ORDER BY w DESC, akey ASC "
                   f"LIMIT {CANDIDATES} OPTION max_matches={CANDIDATES}, ranker=expr('bm25a({K1}, {B})*1000'), idf='plain'", args)
    found = list(cursor.fetchall())
    scores = np.array([row[8] / 1000 for row in found], dtype=np.float64)
    keys = np.array([row[0] for row in found], dtype=np.int64)
    bm25 = scores  # before any decay: what an explanation shows
    decay = recency_decay(cursor, where, args, keys, params.recency) if params.recency is not None and found else None
    if decay is not None:
        scores = scores * decay
    order = np.argsort(-scores, kind="stable")
    shown, versions = _collapse([found[number][:8] for number in order], params.collapse)
    page = shown[first : first + params.per_page]
    score_of = {int(keys[number]): (float(scores[number]), 1.0 if decay is None else float(decay[number]),
                                    float(bm25[number])) for number in range(len(found))}
    patterns = " ".join(f"{leaf.text}*" for leaf in read.query.leaves() if isinstance(leaf, (wq.Prefix, wq.Wildcard)))
    for row in page:
        _, decayed, undecayed = score_of[row[0]]
        explanations[row[0]] = {"article_bm25": {patterns or "*": undecayed}, "passage_evidence": 0.0,
                                "all_words": True, "recency": decayed}
    return page, [score_of[row[0]][0] for row in page], {row[0]: versions.get(row[7], []) for row in page}


def _by_date(cursor, params: SearchParams, where: str, args: tuple, first: int) \
        -> tuple[list[tuple], list[float], dict[int, list[Version]]]:
    """The page's article rows by date (newest or oldest first, undated last), or in index order."""
    direction = "ASC" if params.effective_sort == "oldest" else "DESC"
    order = f"dated DESC, published {direction}, akey ASC"
    needed = first + params.per_page
    if params.collapse == "story":
        statement = (f"SELECT {_ARTICLE_COLUMNS}, IF(day > 0, 1, 0) AS dated FROM {HEAD_INDEX} WHERE {where} "
                     f"GROUP BY skey WITHIN GROUP ORDER BY dated DESC, published {direction} ORDER BY {order} "
                     f"LIMIT {first}, {params.per_page} OPTION max_matches={max(needed, 1)}")
    else:
        statement = (f"SELECT {_ARTICLE_COLUMNS}, IF(day > 0, 1, 0) AS dated FROM {HEAD_INDEX} WHERE {where} "
                     f"ORDER BY {order} LIMIT {first}, {params.per_page} OPTION max_matches={max(needed, 1)}")
    cursor.execute(statement, args)
    page = [row[:8] for row in cursor.fetchall()]
    versions: dict[int, list[Version]] = {}
    if params.collapse == "story" and page:
        skeys = ", ".join(str(row[7]) for row in page)
        copies, = results_up_to(cursor, lambda rows: [
            (f"SELECT akey, article_id, source, skey FROM {HEAD_INDEX} WHERE {where} AND skey IN ({skeys}) "
             f"LIMIT {rows} OPTION max_matches={rows}", args)], 10_000)
        shown = {row[0] for row in page}
        for key, article_id, source, skey in copies:
            if key not in shown:
                versions.setdefault(skey, []).append(Version(article_id, source or None))
        versions = {row[0]: versions.get(row[7], []) for row in page}
    return page, [0.0] * len(page), versions


def _page_keys(keys: list[int], stories: list[int], collapse: str, first: int, count: int) -> list[int]:
    """Of *keys* in order (with their *stories*), those the page from *first* shows, *count* of them (the
    first of each story unless *collapse* is ``none``), and the other copies of the page's stories:
    the articles whose rows the page needs.

    >>> _page_keys([1, 2, 3, 4, 5], [10, 10, 30, 40, 30], "story", 1, 1)
    [3, 5]
    >>> _page_keys([1, 2, 3], [10, 10, 30], "none", 0, 2)
    [1, 2]
    """
    if collapse != "story":
        return keys[first : first + count]
    shown = set(list(dict.fromkeys(stories))[first : first + count])
    return [key for key, story in zip(keys, stories) if story in shown]


def _article_rows(cursor, keys: list[int]) -> list[tuple]:
    if not keys:
        return []
    cursor.execute(f"SELECT {_ARTICLE_COLUMNS} FROM {HEAD_INDEX} WHERE whole = 1 AND akey IN "
                   f"({', '.join(str(key) for key in keys)}) LIMIT {len(keys)} OPTION max_matches={len(keys)}")
    return list(cursor.fetchall())


def _collapse(rows: list[tuple], collapse: str) -> tuple[list[tuple], dict[int, list[Version]]]:
    """*rows* in order, the first of each story kept unless *collapse* is ``none``; the others by story key."""
    if collapse != "story":
        return rows, {}
    kept, seen, versions = [], set(), {}
    for row in rows:
        if row[7] in seen:
            versions.setdefault(row[7], []).append(Version(row[1], row[4] or None))
        else:
            seen.add(row[7])
            kept.append(row)
    return kept, versions


def _hits(cursor, rows: list[tuple], scores: list[float], versions: dict[int, list[Version]],
          match: SphinxMatch, words: list[str], scored: dict[int, dict[str, float]] | None = None,
          weights: dict[str, float] | None = None) -> list[Hit]:
    """The page's hits: each article's best matching passages (at most :data:`PASSAGES_PER_ARTICLE`,
    else its opening passage), with snippets. *scored* holds the passage scores already computed, by
    article key: only the others' are asked for."""
    if not rows:
        return []
    keys = [row[0] for row in rows]
    scored = scored or {}
    missing = [key for key in keys if key not in scored]
    best = passage_bm25f(cursor, words, match.text, missing, weights) if match.text and words and missing else {}
    for key in keys:
        best.update(scored.get(key, {}))
    chosen: dict[str, list[str]] = {}
    for passage_id in sorted(best, key=lambda passage: -best[passage]):
        article_id = passage_id.rsplit("#", 1)[0]
        if len(chosen.setdefault(article_id, [])) < PASSAGES_PER_ARTICLE:
            chosen[article_id].append(passage_id)
    marks = words_match(words) if words else ""
    keys_list = ", ".join(str(key) for key in keys)
    limit = min(MAX_ROWS, PASSAGES_PER_KEY * len(keys))
    snippet = f"SNIPPET(body_text, %s, {SNIPPET_OPTIONS})" if marks else "body_text"
    cursor.execute(f"SELECT akey, passage_id, position, start_offset, end_offset, {snippet} FROM {HEAD_INDEX} "
                   f"WHERE whole = 0 AND akey IN ({keys_list}) ORDER BY akey ASC, position ASC "
                   f"LIMIT {limit} OPTION max_matches={limit}", (marks,) if marks else ())
    passages: dict[str, tuple] = {}
    openings: dict[int, tuple] = {}
    for key, passage_id, position, start, end, text in cursor.fetchall():
        passages[passage_id] = (passage_id, position, start, end, text)
        if position == 0:
            openings[key] = (passage_id, position, start, end, text)
    hits = []
    for row, score in zip(rows, scores):
        key, article_id, title, url, source, published, story, _ = row
        shown = [passages[passage_id] for passage_id in chosen.get(article_id, []) if passage_id in passages]
        if not shown and key in openings:
            shown = [openings[key]]
        hits.append(Hit(article_id=article_id, title=title, url=url or None, source=source or None,
                        published=published or None, score=round(score, 4),  # as the Whoosh backend rounds it
                        passages=[PassageHit(passage_id, int(position), int(start), int(end), marked(text).strip())
                                  for passage_id, position, start, end, text in shown],
                        story=story or article_id, other_versions=versions.get(key, [])))
    return hits


def source_names(cursor) -> list[str]:
    """The names of the sources of the articles on the cluster, for the source filter."""
    rows, = results_up_to(cursor, lambda rows: [
        (f"SELECT source FROM {HEAD_INDEX} WHERE whole = 1 GROUP BY source LIMIT {rows} OPTION max_matches={rows}", ())],
        100_000)
    return [row[0] for row in rows if row[0]]
