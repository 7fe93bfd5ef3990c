"""Searching the Whoosh index: what the Whoosh backend answers for a search and for an article.

* :func:`find` -- match, filter, rank, group passages by article, keep one article per story of
  wire copies (:mod:`search.whoosh_backend.stories`), count facets, highlight the page asked for;
  returns a :class:`search.results.Page`;
* :func:`article_view` -- a whole article rebuilt from its passages, with the query's matches marked;
* :func:`suggest` -- did-you-mean, from the index's own words.

Every function takes the request's :class:`~search.whoosh_backend.generation.Generation`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time as clock
from functools import lru_cache
from html import escape

import numpy as np
from whoosh.query import Every, Or, Term
from whoosh.searching import Hit as WhooshHit, Results as WhooshResults

from index.errors import ArticleNotFound
from index.schema import Fields, SEARCH_FIELDS
from index.store.highlight import pinpoint_results
from search.params import SearchParams
from search.query import OPERATORS, ReadQuery, negated_parts
from search.results import ArticlePassage, ArticleView, FacetCount, Hit, Page, PassageHit
from search.whoosh_backend.arrays import UNDATED, IndexArrays
from search.whoosh_backend.generation import Generation
from search.whoosh_backend.matching import match_passages, word_mask
from search.whoosh_backend.ranking import passage_evidence, rank_articles
from search.whoosh_backend.related import surface_words
from search.whoosh_backend.snippets import opening, passage_snippet, whole_highlight
from search.whoosh_backend.stories import article_versions, collapse_stories

#: Passages shown per article when results are grouped by article.
PASSAGES_PER_ARTICLE = 3
#: Words a spelling suggestion may replace: letters only, not a field name before a colon.
_SPELLED_WORD = re.compile(r"(?<![\w:*])[^\W\d_]{3,}(?![\w:*])")


@dataclass
class _Unit:
    """One result before it is rendered: an article's matching passages (best first), or one passage."""

    article_id: str
    docnums: list[int]
    score: float
    complete: bool = True


@dataclass
class Matches:
    """Every result of a search, unordered, as arrays (one entry per result unit: an article, or
    with ``group=passage`` a passage); the few shown become :class:`_Unit` with :meth:`unit`."""

    arrays: IndexArrays
    articles: np.ndarray   # article number per unit
    scores: np.ndarray
    complete: np.ndarray   # whether the unit holds every word of an all-words match
    passages: np.ndarray   # matching passages, grouped as the units are, in index order within a unit
    passage_scores: np.ndarray
    starts: np.ndarray     # where each unit's passages start in *passages* (and one past the end)
    distinct: bool = True  # whether no two units are of the same article

    def __len__(self) -> int:
        return len(self.articles)

    def unit(self, index: int) -> _Unit:
        """A unit to show, its passages best first."""
        start, end = self.starts[index], self.starts[index + 1]
        docnums = self.passages[start:end][np.argsort(-self.passage_scores[start:end], kind="stable")]
        return _Unit(self.arrays.article_ids[self.articles[index]], [int(docnum) for docnum in docnums],
                     float(self.scores[index]), bool(self.complete[index]))

    @classmethod
    def none(cls, arrays: IndexArrays) -> Matches:
        empty = np.zeros(0, dtype=np.int64)
        return cls(arrays, empty, np.zeros(0), np.zeros(0, dtype=bool), empty, np.zeros(0), np.zeros(1, dtype=np.int64))


def find(gen: Generation, params: SearchParams, read: ReadQuery) -> Page:
    """Every match of the search *params* (whose query *read* is), ordered, one article per story
    unless ``collapse=none``; the page asked for highlighted, and the facets of every match."""
    sort = params.effective_sort
    found = Matches.none(gen.arrays) if params.q and read.query is None else match(gen, params, read)
    order = order_units(found, sort)
    shown = collapse_stories(gen, found.articles, order, params.collapse)
    first = (params.page - 1) * params.per_page
    page = shown.order[first : first + params.per_page]
    units = [found.unit(index) for index in page]
    marked = highlighting(gen, read, units)
    hits = [replace(make_hit(marked, unit, read), story=shown.story(index), other_versions=shown.versions(index))
            for index, unit in zip(page, units)]
    facets, days = facet_counts(found)
    return Page(total=len(shown.order), hits=hits, facets=facets, days=days,
                suggestion=suggest(gen, params.q) if params.q else None)


def filter_articles(arrays: IndexArrays, params: SearchParams) -> np.ndarray | None:
    """Which articles the date range (inclusive) and source allow, by article number; ``None`` for all."""
    allowed = None
    if params.date_from or params.date_to:
        published = arrays.published
        allowed = ~np.isnat(published)
        if params.date_from:
            allowed &= published >= np.datetime64(datetime.combine(params.date_from, clock.min), "us")
        if params.date_to:
            allowed &= published <= np.datetime64(datetime.combine(params.date_to, clock.max), "us")
    if params.source:
        code = arrays.source_code(params.source)
        by_source = arrays.source == code if code is not None else np.zeros(arrays.article_count, dtype=bool)
        allowed = by_source if allowed is None else allowed & by_source
    return allowed


def match(gen: Generation, params: SearchParams, read: ReadQuery) -> Matches:
    """Every result unit of the search, scored, unordered.

    Articles (or passages) that hold a word the query excludes anywhere in the article are left
    out: an exclusion applies to the article, not only to the matching passage.
    """
    arrays = gen.arrays
    if read.query is None:
        # No query: every article, represented by its opening passage (or every passage).
        docs = np.sort(arrays.first_passage) if params.group == "article" else np.flatnonzero(arrays.live)
        scores = np.zeros(len(docs))
    else:
        matched = match_passages(gen.searcher, arrays, read.query)
        docs, scores = matched.docs, matched.scores
    allowed = filter_articles(arrays, params)
    excluded = excluded_articles(gen, read)
    if excluded is not None:
        allowed = ~excluded if allowed is None else allowed & ~excluded
    articles = arrays.article[docs]
    if allowed is not None:
        keep = allowed[articles]
        docs, articles, scores = docs[keep], articles[keep], scores[keep]
    if params.group == "passage":
        complete = np.ones(len(docs), dtype=bool)
        if read.query is not None:
            for holds in word_mask(gen.searcher, arrays, read.required).values():
                complete &= holds[docs]
        return Matches(arrays, articles, scores, complete, docs, scores, np.arange(len(docs) + 1), distinct=False)
    # Grouped by article. An article's passages are written together, so in index order they already
    # follow each other (and articles are numbered in that order): then no sorting is needed.
    if len(articles) and np.any(articles[1:] < articles[:-1]):
        order = np.argsort(articles, kind="stable")
        docs, articles, scores = docs[order], articles[order], scores[order]
    new_article = np.ones(len(articles), dtype=bool)
    new_article[1:] = articles[1:] != articles[:-1]
    starts = np.flatnonzero(new_article)
    units = articles[starts]
    evidence = passage_evidence(starts, scores)
    complete = np.ones(len(units), dtype=bool)
    if read.query is not None and params.effective_sort == "relevance":
        ranking = rank_articles(gen, read.query, units, evidence, read.required)
        evidence, complete = ranking.scores, ranking.complete
    return Matches(arrays, units, evidence, complete, docs, scores, np.append(starts, len(docs)))


def excluded_articles(gen: Generation, read: ReadQuery) -> np.ndarray | None:
    """Which articles hold anything the query excludes (``-word``, ``NOT``), by article number."""
    excluded = negated_parts(read.query) if read.query is not None else []
    if not excluded:
        return None
    arrays = gen.arrays
    holding = match_passages(gen.searcher, arrays, Or(excluded)).docs
    out = np.zeros(arrays.article_count, dtype=bool)
    out[arrays.article[holding]] = True
    return out


def order_units(found: Matches, sort: str) -> np.ndarray:
    """Unit indices in display order. By relevance, results holding every word of a plain-words
    query (not a description, see :func:`search.query.is_description`) come first, then by score;
    by date, undated results come last."""
    if sort == "relevance":
        return np.lexsort((-found.scores, ~found.complete))
    published = found.arrays.published[found.articles]
    dated = ~np.isnat(published)
    moments = published.astype(np.int64)
    order = np.argsort(-moments if sort == "newest" else moments, kind="stable")
    return np.concatenate([order[dated[order]], order[~dated[order]]])


def highlighting(gen: Generation, read: ReadQuery, units: list[_Unit]) -> WhooshResults:
    """The Whoosh results object the highlighter reads the shown passages' matches from."""
    if read.query is None or read.phrases:
        # Only the query is needed: the highlighter analyses each passage again.
        return WhooshResults(gen.searcher, read.query or Every(), [])
    arrays = gen.arrays
    shown = [docnum for unit in units for docnum in unit.docnums[:PASSAGES_PER_ARTICLE]]
    return pinpoint_results(gen.searcher, read.query, Fields.BODY, shown,
                            lambda fieldname, text: arrays.postings(fieldname, text)[0], arrays.characters)


def make_hit(results: WhooshResults, unit: _Unit, read: ReadQuery) -> Hit:
    """The result record of one unit, with its best passages highlighted."""
    passages, first = [], None
    for docnum in unit.docnums[:PASSAGES_PER_ARTICLE]:
        hit = WhooshHit(results, docnum)
        stored = hit.fields()
        first = first or stored
        snippet = passage_snippet(hit, stored[Fields.BODY], read.phrases) if read.query is not None \
            else opening(stored[Fields.BODY])
        passages.append(PassageHit(stored[Fields.PASSAGE_ID], stored[Fields.POSITION], stored[Fields.START],
                                   stored[Fields.END], snippet))
    return Hit(
        article_id=unit.article_id, title=first.get(Fields.TITLE, ""), url=first.get(Fields.URL),
        source=first.get(Fields.SOURCE), published=first.get(Fields.PUBLISHED_TEXT), score=round(float(unit.score), 4),
        passages=passages,
    )


def facet_counts(found: Matches) -> tuple[dict[str, list[FacetCount]], dict[date, int]]:
    """Matching articles counted by source and by month of publication, and by day of publication
    (for the timeline: :mod:`search.timeline`), over the whole result set.

    Sources are counted case-insensitively, as the source filter matches them, under the first
    spelling met in the index.
    """
    arrays = found.arrays
    articles = found.articles if found.distinct else np.unique(found.articles)
    sources = arrays.source[articles]
    by_source = np.bincount(sources[sources >= 0], minlength=len(arrays.source_names))
    named = [(arrays.source_names[code], int(count)) for code, count in enumerate(by_source) if count]
    facets = {
        "source": [FacetCount(v, n) for v, n in sorted(named, key=lambda item: (-item[1], item[0]))],
        "published": [FacetCount(str(np.datetime64(month, "M")), n)
                      for month, n in reversed(_counts(arrays.month[articles], UNDATED))],
    }
    return facets, {_day_date(day): n for day, n in _counts(arrays.day[articles], UNDATED)}


@lru_cache(maxsize=65536)
def _day_date(day: int) -> date:
    """The date *day* days after 1970-01-01."""
    return np.datetime64(day, "D").item()


def _counts(values: np.ndarray, missing: int) -> list[tuple[int, int]]:
    """How often each value occurs in *values* (small whole numbers, *missing* left out), in order."""
    values = values[values != missing]
    if not len(values):
        return []
    low = int(values.min())
    counts = np.bincount(values - low)
    return [(int(value) + low, int(counts[value])) for value in np.flatnonzero(counts)]


def suggest(gen: Generation, text: str) -> str | None:
    """*text* with each word that occurs nowhere in the index replaced by the closest word that does;
    ``None`` when nothing changes.

    Whoosh's spelling corrector looks among the body's words as indexed (stems: ``ukran`` finds
    ``ukrain``), and the stem found is written back as the index's text most often writes it
    (``ukraine``). An index that keeps a separate list of unstemmed words is corrected from that.
    """
    searcher = gen.searcher
    field = searcher.schema[Fields.BODY]
    analyzer, corrector, unstemmed = field.analyzer, searcher.corrector(Fields.BODY), field.separate_spelling()

    def respell(found: re.Match) -> str:
        word = found.group(0)
        stems = [token.text for token in analyzer(word)]
        if word in OPERATORS or not stems or any(
            searcher.doc_frequency(fieldname, stem) for stem in stems for fieldname in SEARCH_FIELDS
        ):
            return word
        # Whoosh ranks every word within the distance by frequency alone: ask for one edit first.
        wanted = word.lower() if unstemmed else stems[0]
        options = corrector.suggest(wanted, limit=1, maxdist=1, prefix=1) \
            or corrector.suggest(wanted, limit=1, maxdist=2, prefix=1)
        if unstemmed or not options:
            return options[0] if options else word
        holders = gen.arrays.postings(Fields.BODY, options[0])[0]
        return surface_words(gen, [searcher.stored_fields(int(holders[0]))], options)[0] if len(holders) \
            else word

    corrected = _SPELLED_WORD.sub(respell, text)
    return corrected if corrected != text else None


def article_view(gen: Generation, article_id: str, read: ReadQuery) -> ArticleView:
    """The article *article_id*, its passages in order; with a query, matches highlighted.

    :raises ArticleNotFound: when no passage has that article id.
    """
    stored = gen.stored_passages(article_id)
    if not stored:
        raise ArticleNotFound(f"no article has the id {article_id!r}", "article_id")
    marked: dict[int, str] = {}
    if read.query is not None:
        results = gen.searcher.search(read.query, filter=Term(Fields.ARTICLE_ID, article_id), limit=None, terms=True)
        for hit in results:
            marked[hit[Fields.POSITION]] = whole_highlight(hit, hit[Fields.BODY], read.phrases)
    # A passage matches when its own text does: a title match alone would mark them all.
    passages = [
        ArticlePassage(fields[Fields.PASSAGE_ID], fields[Fields.POSITION], fields[Fields.START], fields[Fields.END],
                       "<mark>" in marked.get(fields[Fields.POSITION], ""),
                       marked.get(fields[Fields.POSITION]) or escape(fields[Fields.BODY], quote=False))
        for fields in stored
    ]
    first = stored[0]
    story = first.get(Fields.STORY) or article_id
    return ArticleView(
        article_id=article_id, title=first.get(Fields.TITLE, ""), url=first.get(Fields.URL),
        source=first.get(Fields.SOURCE), published=first.get(Fields.PUBLISHED_TEXT), author=first.get(Fields.AUTHOR),
        section=first.get(Fields.SECTION),
        body="".join(fields.get(Fields.LEAD, "") + fields[Fields.BODY] for fields in stored), passages=passages,
        story=story, other_versions=article_versions(gen, article_id, story),
    )
