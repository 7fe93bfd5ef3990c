"""The one search function every surface calls, and the article lookup, above the seam.

* :func:`search` -- read the query into its parse tree, ask the backend (:mod:`search.backend`) for
  the page of results, and add what every backend shares: pagination, the timeline's periods
  (:mod:`search.timeline`), the query's warnings, the results cache; returns :class:`Results`;
* :func:`get_article` -- a whole article, with the query's matches marked.

What a backend does for a search: match, score and rank (by relevance, results holding every word
of a plain-words query first -- not of a description, see :func:`search.query.is_description` --
then by score; by date, undated results last), keep one article per story of wire copies
(the first in that order, the story's other matching articles as its ``other_versions``), count
facets over every match, highlight the page shown.

Plain Python in, frozen dataclasses out (:mod:`search.results`): no Flask and no click in here.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

from index.schema import SCHEMA
from search.backend import Snapshot
from search.cache import ResultsCache
from search.params import SearchParams
from search.query import ReadQuery, read_query
from search.results import ArticleView, Results
from search.timeline import timeline


def search(snapshot: Snapshot, params: SearchParams, cache: ResultsCache | None = None) -> Results:
    """Run one search.

    :param snapshot: the index as this request reads it (:meth:`search.backend.Backend.snapshot`).
    :param params: checked parameters, see :func:`search.params.parse_search_params`.
    :param cache: where results of this state of the index are kept for the same parameters.
    """
    started = time.perf_counter()
    if cache is not None:
        results = cache.get(snapshot.generation, params, lambda: search(snapshot, params))
        return replace(results, took_ms=round((time.perf_counter() - started) * 1000, 2))
    query = read_query(params.q, SCHEMA) if params.q else ReadQuery(None)
    page = snapshot.search(params, query)
    return Results(
        query=params.q, total=page.total, page=params.page, pages=max(1, math.ceil(page.total / params.per_page)),
        per_page=params.per_page, sort=params.effective_sort, group=params.group, collapse=params.collapse,
        took_ms=round((time.perf_counter() - started) * 1000, 2), warnings=[*query.warnings, *page.warnings],
        hits=page.hits, facets={**page.facets, "timeline": timeline(page.days)}, suggestion=page.suggestion,
    )


def get_article(snapshot: Snapshot, article_id: str, q: str = "") -> ArticleView:
    """The article *article_id*, its passages in order; with *q*, matches highlighted.

    :raises ArticleNotFound: when no article has that id.
    """
    query = read_query(q, SCHEMA) if q.strip() else ReadQuery(None)
    view = snapshot.article(article_id, query)
    return replace(view, query=q, warnings=[*query.warnings, *view.warnings])
