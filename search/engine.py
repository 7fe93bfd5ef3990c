"""The one search function every surface calls, and the article lookup.

* :func:`search` -- parse the query, filter, rank, group passages by article, facet, highlight,
  paginate; returns :class:`Results`;
* :func:`get_article` -- a whole article rebuilt from its passages, with the query's matches marked.

Plain Python in, frozen dataclasses out: no Flask and no click in here.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time as clock
from html import escape

from whoosh.query import And, DateRange, Every, Or, Query, Term
from whoosh.searching import Hit as WhooshHit, Results as WhooshResults, Searcher
from whoosh.util.times import long_to_datetime

from index.errors import ArticleNotFound
from index.schema import SEARCH_FIELDS
from search.params import SearchParams
from search.query import OPERATORS, ReadQuery, negated_parts, read_query
from search.ranking import passage_evidence, rank_articles
from search.searchers import column, stored_passages
from search.snippets import opening, passage_snippet, whole_highlight

#: Passages shown per article when results are grouped by article.
PASSAGES_PER_ARTICLE = 3
#: Whoosh's column value for a document without a date (the largest unsigned 64-bit number).
MISSING_NUMBER = 2**64 - 1
#: Words a spelling suggestion may replace: letters only, not a field name before a colon.
_SPELLED_WORD = re.compile(r"(?<![\w:*])[^\W\d_]{3,}(?![\w:*])")


@dataclass(frozen=True)
class PassageHit:
    """One passage of a result, with its highlighted snippet."""

    passage_id: str
    position: int
    start: int
    end: int
    snippet: str


@dataclass(frozen=True)
class Hit:
    """One result: an article (or, grouped by passage, one passage of it)."""

    article_id: str
    title: str
    url: str | None
    source: str | None
    published: str | None
    score: float
    passages: list[PassageHit]


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True)
class Results:
    """A page of results and what describes the whole result set."""

    query: str
    total: int
    page: int
    pages: int
    per_page: int
    sort: str
    group: str
    took_ms: float
    warnings: list[str]
    hits: list[Hit]
    facets: dict[str, list[FacetCount]]
    suggestion: str | None = None


@dataclass
class _Unit:
    """One result before it is rendered: an article's matching passages (best first), or one passage."""

    article_id: str
    docnums: list[int]
    score: float
    complete: bool = True


def search(searcher: Searcher, params: SearchParams) -> Results:
    """Run one search.

    :param searcher: an open Whoosh searcher over the passage index.
    :param params: checked parameters, see :func:`search.params.parse_search_params`.
    """
    started = time.perf_counter()
    read = read_query(params.q, searcher.schema) if params.q else ReadQuery(None)
    sort = params.effective_sort
    results, units = (None, []) if params.q and read.query is None else match(searcher, params, read)
    units = order_units(searcher, units, sort)
    first = (params.page - 1) * params.per_page
    hits = [make_hit(results, unit, read) for unit in units[first : first + params.per_page]]
    return Results(
        query=params.q, total=len(units), page=params.page, pages=max(1, math.ceil(len(units) / params.per_page)),
        per_page=params.per_page, sort=sort, group=params.group,
        took_ms=round((time.perf_counter() - started) * 1000, 2), warnings=list(read.warnings), hits=hits,
        facets=facet_counts(searcher, units), suggestion=suggest(searcher, params.q) if params.q else None,
    )


def filter_query(params: SearchParams) -> Query | None:
    """Date range (inclusive) and source restrictions, or ``None``."""
    parts: list[Query] = []
    if params.date_from or params.date_to:
        start = datetime.combine(params.date_from, clock.min) if params.date_from else None
        end = datetime.combine(params.date_to, clock.max) if params.date_to else None
        parts.append(DateRange("published", start, end))
    if params.source:
        parts.append(Term("source", params.source.lower()))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def match(searcher: Searcher, params: SearchParams, read: ReadQuery) -> tuple[WhooshResults, list[_Unit]]:
    """Whoosh's results for every matching passage, and the result units they make, unordered.

    Articles (or passages) that hold a word the query excludes anywhere in the article are left
    out: an exclusion applies to the article, not only to the matching passage.
    """
    query = read.query
    if query is None:
        # No query: every article, represented by its opening passage.
        query = Term("position", 0) if params.group == "article" else Every()
    # Which words each passage holds is only needed to rank passages; articles learn it from ranking.
    by_passage = bool(read.required) and params.group == "passage"
    results = searcher.search(query, filter=filter_query(params), limit=None, terms=by_passage)
    article_ids = column(searcher.reader(), "article_id")
    excluded = excluded_articles(searcher, read)
    by_article: dict[str, list[tuple[float, int]]] = {}
    for score, docnum in results.top_n:
        article_id = article_ids[docnum]
        if article_id not in excluded:
            by_article.setdefault(article_id, []).append((score, docnum))
    if params.group == "passage":
        docterms = results.docterms if by_passage else {}
        units = [_Unit(article_id, [docnum], score,
                       read.required <= {_word(term) for _, term in docterms.get(docnum, ())})
                 for article_id, passages in by_article.items() for score, docnum in passages]
    else:
        units = [_Unit(article_id, [docnum for _, docnum in passages], passage_evidence([s for s, _ in passages]))
                 for article_id, passages in by_article.items()]
        if read.query is not None and params.effective_sort == "relevance":
            ranking = rank_articles(searcher, read.query, {unit.article_id: unit.score for unit in units},
                                    {unit.article_id: unit.docnums[0] for unit in units}, read.required)
            for unit in units:
                unit.score = ranking.scores[unit.article_id]
                unit.complete = unit.article_id in ranking.complete
    return results, units


def excluded_articles(searcher: Searcher, read: ReadQuery) -> set[str]:
    """Ids of the articles that hold anything the query excludes (``-word``, ``NOT``)."""
    excluded = negated_parts(read.query) if read.query is not None else []
    if not excluded:
        return set()
    article_ids = column(searcher.reader(), "article_id")
    return {article_ids[docnum] for docnum in searcher.docs_for_query(Or(excluded))}


def order_units(searcher: Searcher, units: list[_Unit], sort: str) -> list[_Unit]:
    """Units in display order. By relevance, results holding every word of a plain-words query come
    first, then by score; by date, undated results come last."""
    if sort == "relevance":
        return sorted(units, key=lambda unit: (not unit.complete, -unit.score))
    published = published_column(searcher)
    dates = [(published(unit.docnums[0]), unit) for unit in units]
    dated = sorted((pair for pair in dates if pair[0] is not None), key=lambda pair: pair[0],
                   reverse=sort == "newest")
    return [unit for _, unit in dated] + [unit for moment, unit in dates if moment is None]


def make_hit(results: WhooshResults, unit: _Unit, read: ReadQuery) -> Hit:
    """The result record of one unit, with its best passages highlighted."""
    passages, first = [], None
    for docnum in unit.docnums[:PASSAGES_PER_ARTICLE]:
        hit = WhooshHit(results, docnum)
        stored = hit.fields()
        first = first or stored
        snippet = passage_snippet(hit, stored["body"], read.phrases) if read.query is not None \
            else opening(stored["body"])
        passages.append(PassageHit(stored["passage_id"], stored["position"], stored["start"], stored["end"], snippet))
    return Hit(
        article_id=unit.article_id, title=first.get("title", ""), url=first.get("url"), source=first.get("source"),
        published=first.get("published_text"), score=round(float(unit.score), 4), passages=passages,
    )


def facet_counts(searcher: Searcher, units: list[_Unit]) -> dict[str, list[FacetCount]]:
    """Matching articles counted by source and by month of publication, over the whole result set.

    Sources are counted case-insensitively, as the source filter matches them, under the first
    spelling met.
    """
    sources, dates = column(searcher.reader(), "source"), published_column(searcher)
    by_source: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    by_month: Counter[str] = Counter()
    for article_id, docnum in {unit.article_id: unit.docnums[0] for unit in units}.items():
        source, moment = sources[docnum], dates(docnum)
        if source:
            name = _word(source)
            by_source[spelling.setdefault(name.lower(), name)] += 1
        if moment is not None:
            by_month[moment.strftime("%Y-%m")] += 1
    return {
        "source": [FacetCount(v, n) for v, n in sorted(by_source.items(), key=lambda item: (-item[1], item[0]))],
        "published": [FacetCount(v, n) for v, n in sorted(by_month.items(), reverse=True)],
    }


def published_column(searcher: Searcher) -> Callable[[int], datetime | None]:
    """Publication time by document number, ``None`` for an undated article.

    Whoosh fills an undated document's column with the largest value, which its own
    translation cannot turn into a datetime, so the raw value is translated here.
    """
    raw = column(searcher.reader(), "published", translate=False)

    def published(docnum: int) -> datetime | None:
        value = raw[docnum]
        return None if value >= MISSING_NUMBER else long_to_datetime(value)

    return published


def _word(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def suggest(searcher: Searcher, text: str) -> str | None:
    """*text* with each word that occurs nowhere in the index replaced by the closest word that does
    (Whoosh's spelling corrector over the body's unstemmed words); ``None`` when nothing changes."""
    analyzer, corrector = searcher.schema["body"].analyzer, searcher.corrector("body")

    def respell(found: re.Match) -> str:
        word = found.group(0)
        stems = [token.text for token in analyzer(word)]
        if word in OPERATORS or not stems or any(
            searcher.doc_frequency(fieldname, stem) for stem in stems for fieldname in SEARCH_FIELDS
        ):
            return word
        options = corrector.suggest(word.lower(), limit=1, maxdist=2, prefix=1)
        return options[0] if options else word

    corrected = _SPELLED_WORD.sub(respell, text)
    return corrected if corrected != text else None


@dataclass(frozen=True)
class ArticlePassage:
    passage_id: str
    position: int
    start: int
    end: int
    matched: bool
    html: str


@dataclass(frozen=True)
class ArticleView:
    """A whole article rebuilt from its passages; with a query, matching passages marked."""

    article_id: str
    title: str
    url: str | None
    source: str | None
    published: str | None
    author: str | None
    section: str | None
    body: str
    passages: list[ArticlePassage]
    query: str = ""
    warnings: list[str] = field(default_factory=list)


def get_article(searcher: Searcher, article_id: str, q: str = "") -> ArticleView:
    """The article *article_id*, its passages in order; with *q*, matches highlighted.

    :raises ArticleNotFound: when no passage has that article id.
    """
    stored = stored_passages(searcher, article_id)
    if not stored:
        raise ArticleNotFound(f"no article has the id {article_id!r}", "article_id")
    read = read_query(q, searcher.schema) if q.strip() else ReadQuery(None)
    marked: dict[int, str] = {}
    if read.query is not None:
        results = searcher.search(read.query, filter=Term("article_id", article_id), limit=None, terms=True)
        for hit in results:
            marked[hit["position"]] = whole_highlight(hit, hit["body"], read.phrases)
    # A passage matches when its own text does: a title match alone would mark them all.
    passages = [
        ArticlePassage(fields["passage_id"], fields["position"], fields["start"], fields["end"],
                       "<mark>" in marked.get(fields["position"], ""),
                       marked.get(fields["position"]) or escape(fields["body"], quote=False))
        for fields in stored
    ]
    first = stored[0]
    return ArticleView(
        article_id=article_id, title=first.get("title", ""), url=first.get("url"), source=first.get("source"),
        published=first.get("published_text"), author=first.get("author"), section=first.get("section"),
        body="".join(fields.get("lead", "") + fields["body"] for fields in stored), passages=passages,
        query=q, warnings=list(read.warnings),
    )
