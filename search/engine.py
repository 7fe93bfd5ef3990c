"""The one search function every surface calls, and the article lookup.

* :func:`search` -- parse the query, filter, rank, group passages by article, facet, highlight,
  paginate; returns :class:`Results`;
* :func:`get_article` -- a whole article rebuilt from its passages, with the query's matches marked.

Plain Python in, frozen dataclasses out: no Flask and no click in here.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time as clock
from html import escape

from whoosh.util.times import long_to_datetime
from whoosh.query import And, DateRange, Every, Query, Term
from whoosh.searching import Hit as WhooshHit, Results as WhooshResults, Searcher

from index.errors import ArticleNotFound
from search.params import SearchParams
from search.query import ReadQuery, plain_query, read_query
from search.snippets import opening, passage_snippet, whole_highlight

#: Passages shown per article when results are grouped by article.
PASSAGES_PER_ARTICLE = 3
#: Whoosh's column value for a document without a date (the largest unsigned 64-bit number).
MISSING_NUMBER = 2**64 - 1
#: Below this many results, a spelling suggestion is looked for.
SUGGEST_BELOW = 3


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
class _Group:
    """The matching passages of one article, best first, and the words they hold."""

    docnums: list[int] = field(default_factory=list)
    score: float = 0.0
    words: set[str] = field(default_factory=set)


@dataclass
class _Matches:
    """Every passage a query matched: Whoosh's results, passage scores, and passages by article."""

    results: WhooshResults | None = None
    scores: dict[int, float] = field(default_factory=dict)
    groups: dict[str, _Group] = field(default_factory=dict)


def search(searcher: Searcher, params: SearchParams) -> Results:
    """Run one search.

    :param searcher: an open Whoosh searcher over the passage index.
    :param params: checked parameters, see :func:`search.params.parse_search_params`.
    """
    started = time.perf_counter()
    read = read_query(params.q, searcher.schema) if params.q else ReadQuery(None)
    sort = params.effective_sort
    matches = _Matches() if params.q and read.query is None else match(searcher, params, read)
    keys = order_keys(searcher, matches, sort, read, params.group)
    first = (params.page - 1) * params.per_page
    hits = [make_hit(matches, key, read, params.group) for key in keys[first : first + params.per_page]]
    wanted = params.q and (len(keys) < SUGGEST_BELOW or has_unknown_word(searcher, read))
    suggestion = suggest(searcher, params.q, read) if wanted else None
    return Results(
        query=params.q, total=len(keys), page=params.page, pages=max(1, math.ceil(len(keys) / params.per_page)),
        per_page=params.per_page, sort=sort, group=params.group,
        took_ms=round((time.perf_counter() - started) * 1000, 2), warnings=list(read.warnings), hits=hits,
        facets=facet_counts(searcher, matches), suggestion=suggestion,
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


def match(searcher: Searcher, params: SearchParams, read: ReadQuery) -> _Matches:
    """Every matching passage, grouped by article; groups and their passages in score order."""
    query = read.query
    if query is None:
        # No query: every article, represented by its opening passage.
        query = Term("position", 0) if params.group == "article" else Every()
    results = searcher.search(query, filter=filter_query(params), limit=None, terms=bool(read.required))
    article_ids = searcher.reader().column_reader("article_id")
    matches = _Matches(results, {docnum: score for score, docnum in results.top_n})
    for score, docnum in results.top_n:
        group = matches.groups.setdefault(article_ids[docnum], _Group(score=score))
        group.docnums.append(docnum)
        if read.required:
            group.words.update(_word(term) for _, term in results.docterms.get(docnum, ()))
    return matches


def published_column(searcher: Searcher) -> Callable[[int], datetime | None]:
    """Publication time by document number, ``None`` for an undated article.

    Whoosh fills an undated document's column with the largest value, which its own
    translation cannot turn into a datetime, so the raw value is translated here.
    """
    raw = searcher.reader().column_reader("published", translate=False)

    def published(docnum: int) -> datetime | None:
        value = raw[docnum]
        return None if value >= MISSING_NUMBER else long_to_datetime(value)

    return published


def _word(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def order_keys(searcher: Searcher, matches: _Matches, sort: str, read: ReadQuery, group_by: str) -> list:
    """Result keys in display order: article ids, or ``(article_id, docnum)`` grouped by passage.

    By relevance, results holding every word of a plain-words query come first, then by score.
    """
    published = published_column(searcher)
    groups = matches.groups
    if group_by == "article":
        keys: list = list(groups)
        docnum_of = {key: groups[key].docnums[0] for key in keys}
        score_of = {key: groups[key].score for key in keys}
    else:
        keys = [(article_id, docnum) for article_id, group in groups.items() for docnum in group.docnums]
        docnum_of = {key: key[1] for key in keys}
        score_of = {key: matches.scores[key[1]] for key in keys}
    if sort == "relevance":
        article_of = (lambda key: key) if group_by == "article" else (lambda key: key[0])
        keys.sort(key=lambda key: (not read.required <= groups[article_of(key)].words, -score_of[key]))
        return keys
    dates = {key: published(docnum_of[key]) for key in keys}
    dated = sorted((key for key in keys if dates[key] is not None), key=dates.__getitem__, reverse=sort == "newest")
    return dated + [key for key in keys if dates[key] is None]


def make_hit(matches: _Matches, key, read: ReadQuery, group_by: str) -> Hit:
    """The result record for one key of :func:`order_keys`, with highlighted passages."""
    if group_by == "article":
        article_id, docnums, score = key, matches.groups[key].docnums[:PASSAGES_PER_ARTICLE], matches.groups[key].score
    else:
        article_id, docnums, score = key[0], [key[1]], matches.scores[key[1]]
    passages, first = [], None
    for docnum in docnums:
        hit = WhooshHit(matches.results, docnum)
        stored = hit.fields()
        first = first or stored
        snippet = passage_snippet(hit, stored["body"], read.phrases) if read.query is not None \
            else opening(stored["body"])
        passages.append(PassageHit(stored["passage_id"], stored["position"], stored["start"], stored["end"], snippet))
    return Hit(
        article_id=article_id, title=first.get("title", ""), url=first.get("url"), source=first.get("source"),
        published=first.get("published_text"), score=round(float(score), 4), passages=passages,
    )


def facet_counts(searcher: Searcher, matches: _Matches) -> dict[str, list[FacetCount]]:
    """Matching articles counted by source and by month of publication, over the whole result set."""
    reader = searcher.reader()
    sources, dates = reader.column_reader("source"), published_column(searcher)
    by_source: Counter[str] = Counter()
    by_month: Counter[str] = Counter()
    for group in matches.groups.values():
        source, moment = sources[group.docnums[0]], dates(group.docnums[0])
        if source:
            by_source[_word(source)] += 1
        if moment is not None:
            by_month[moment.strftime("%Y-%m")] += 1
    return {
        "source": [FacetCount(v, n) for v, n in sorted(by_source.items(), key=lambda item: (-item[1], item[0]))],
        "published": [FacetCount(v, n) for v, n in sorted(by_month.items(), reverse=True)],
    }


def has_unknown_word(searcher: Searcher, read: ReadQuery) -> bool:
    """Whether some word of the query occurs nowhere in the index (a likely misspelling)."""
    if read.query is None:
        return False
    found: dict[str, bool] = {}
    for fieldname, text in read.query.iter_all_terms():
        found[text] = found.get(text, False) or searcher.doc_frequency(fieldname, text) > 0
    return not all(found.values())


def suggest(searcher: Searcher, text: str, read: ReadQuery) -> str | None:
    """A respelling of *text* from the index's own (unstemmed) vocabulary, when one differs from it."""
    query = read.query if read.query is not None else plain_query(text, searcher.schema)
    corrector = searcher.corrector("body")
    try:
        corrected = searcher.correct_query(query, text, correctors={"title": corrector, "body": corrector},
                                           maxdist=2, prefix=1)
    except Exception:  # noqa: BLE001 -- a suggestion is a nicety; never fail a search over it
        return None
    if corrected.query == query or corrected.string.strip().lower() == text.strip().lower():
        return None
    return corrected.string


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
    stored = sorted(searcher.documents(article_id=article_id), key=lambda fields: fields["position"])
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
