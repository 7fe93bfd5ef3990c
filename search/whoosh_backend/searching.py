"""Searching the Whoosh index: what the Whoosh backend answers for a search and for an article.

* :func:`find` -- match, filter, rank (with ``recency``, decayed by age: :func:`with_recency`; sorted
  by date, only the articles holding every part of the query: :func:`required_parts`), group passages
  by article, keep one article per story of wire copies (:mod:`search.whoosh_backend.stories`), count
  facets, highlight the page asked for (with ``explain``, each hit's score taken apart:
  :func:`explain_unit`); returns a :class:`search.results.Page`;
* :func:`article_view` -- a whole article rebuilt from its passages, with the query's matches marked;
* :func:`named_sources` -- a query's ``source:`` words read as the source filter reads a name.

Did-you-mean comes from :mod:`search.whoosh_backend.spelling`, what a query marks from
:mod:`search.whoosh_backend.marks`.

Every function takes the request's :class:`~search.whoosh_backend.generation.Generation`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time as clock
from functools import lru_cache
from html import escape

import numpy as np
from whoosh.query import Every, Or, Prefix, Query, Term, Wildcard
from whoosh.searching import Hit as WhooshHit, Results as WhooshResults

from index.errors import ArticleNotFound
from index.schema import Fields
from index.store.highlight import pinpoint_results
from search import budget
from search.backend import MAX_EXPANSIONS
from search.params import SearchParams, sources_named
from search.query import ReadQuery, negated_parts, plain_parts, read_query, with_repeats
from search.results import ArticlePassage, ArticleView, FacetCount, Hit, Page, PassageHit
from search.whoosh_backend.arrays import UNDATED, IndexArrays, distinct, run_starts
from search.whoosh_backend.generation import Generation
from search.whoosh_backend.marks import Marks, Places, marked_places, query_marks
from search.whoosh_backend.matching import match_passages, word_mask
from search.whoosh_backend.expansion import bounded_patterns
from search.whoosh_backend.passage_ranking import passage_parts
from search.whoosh_backend.ranking import Ranking, explain_article, passage_evidence, rank_articles
from search.whoosh_backend.snippets import opening, passage_snippet, whole_highlight
from search.whoosh_backend.spelling import suggest
from search.whoosh_backend.stories import article_versions, collapse_stories

#: Passages shown per article when results are grouped by article.
PASSAGES_PER_ARTICLE = 3


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
    ranking: Ranking | None = None  # how articles were ranked by relevance, to explain their scores
    decay: np.ndarray | None = None  # each unit's recency decay, when ``recency`` is asked for
    undecayed: np.ndarray | None = None  # the scores before that decay (which may fall to nothing)
    parts: dict[str, np.ndarray] | None = None  # grouped by passage, by relevance: the parts of each score

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
    if read.query is not None:
        read = replace(read, query=with_repeats(named_sources(gen, read.query), read.repeated))
    found = Matches.none(gen.arrays) if params.q and read.query is None else match(gen, params, read)
    budget.check()
    warnings = []
    parts = required_parts(gen, read, read.text or params.q) if sort != "relevance" else []
    if parts:
        found, some = holding_every_part(gen, found, parts)
        warnings += [SOME_WORDS_WARNING] if some else []
    first = (params.page - 1) * params.per_page
    shown = collapse_stories(gen, found.articles, display_keys(found, sort), first + params.per_page,
                             params.collapse, found.distinct)
    page = shown.order[first : first + params.per_page]
    units = [found.unit(index) for index in page]
    shown_docnums, marked = highlighting(gen, read, units)
    hits = [replace(make_hit(marked, unit, docnums, read), story=shown.story(index),
                    other_versions=shown.versions(index))
            for index, unit, docnums in zip(page, units, shown_docnums)]
    if params.explain:
        expansions = bounded_expansions(gen, params.q)
        hits = [replace(hit, explanation=explain_unit(gen, found, index, hit.score, expansions))
                for hit, index in zip(hits, page)]
    facets, days = facet_counts(found)
    return Page(total=shown.total, hits=hits, facets=facets, days=days,
                suggestion=suggest(gen, params.q) if params.q else None, warnings=warnings)


#: What a date-sorted search says when no article holds every word of the query.
SOME_WORDS_WARNING = "No article holds every word of the query; these hold some of them, by date."


def explain_unit(gen: Generation, found: Matches, index: int, score: float, expansions: list[dict]) -> dict:
    """The components of the score of unit *index* of *found* (a plain dict, as every backend gives it):
    ranked by relevance, each word's article BM25, the passage evidence and the
    all-words tier (:func:`~search.whoosh_backend.ranking.explain_article`); grouped by passage, the
    parts of :func:`~search.whoosh_backend.passage_ranking.passage_parts`; sorted by date, the passage's
    own score. Then the recency decay (1 without ``recency``), by which
    the sum is multiplied, and the ``total``: the score shown."""
    if found.ranking is not None:
        start, end = found.starts[index], found.starts[index + 1]
        evidence = float(passage_evidence(np.array([0]), found.passage_scores[start:end])[0])
        parts = explain_article(gen, found.ranking, int(found.articles[index]), evidence, bool(found.complete[index]))
    elif found.parts is not None:
        parts = {name: float(values[index]) for name, values in found.parts.items()}
    else:
        scores = found.undecayed if found.undecayed is not None else found.scores
        parts = {"passage_evidence" if found.distinct else "passage_score": float(scores[index])}
    parts["recency"] = float(found.decay[index]) if found.decay is not None else 1.0
    parts["total"] = score
    if expansions:
        parts["expansions"] = expansions
    return parts


def bounded_expansions(gen: Generation, text: str) -> list[dict]:
    """Each ``prefix*`` of the query that stands for more words than the search used: the pattern,
    how many words it stands for, the limit and the words used (:mod:`~search.whoosh_backend.expansion`)."""
    original = read_query(text, gen.searcher.schema).query if text else None
    if original is None:
        return []
    limit = getattr(gen, "max_expansions", MAX_EXPANSIONS)
    reader, bounded = gen.searcher.reader(), []
    for leaf in original.leaves():
        if isinstance(leaf, (Prefix, Wildcard)):
            rewritten, cut = bounded_patterns(leaf, reader, limit)
            if cut:
                words = sorted({text for _, text in rewritten.iter_all_terms()})
                bounded.append({"pattern": leaf.text + ("*" if isinstance(leaf, Prefix) else ""),
                                "field": leaf.fieldname, "limit": limit, "words": words})
    return bounded


def required_parts(gen: Generation, read: ReadQuery, text: str) -> list[np.ndarray]:
    """The parts of a plain query that a date-sorted search requires, each as the passages holding it:
    every word (in title or body, as :attr:`~search.query.ReadQuery.required` counts them), every
    ``"phrase"`` as a phrase, every ``prefix*`` by any of its words. None for a single part, a
    description (:func:`~search.query.is_description`: by relevance alone, so by any word) or a query
    whose own logic decides (:func:`search.query.plain_parts`)."""
    groups = plain_parts(read, text, gen.searcher.schema)
    if not groups:
        return []
    arrays, masks = gen.arrays, []
    words = [key[1] for key in groups if key[0] == "word"]
    masks += list(word_mask(gen.searcher, arrays, words).values())
    for key, children in groups.items():
        if key[0] != "word":
            mask = np.zeros(len(arrays.live), dtype=bool)
            mask[match_passages(gen.searcher, arrays, Or(children)).docs] = True
            masks.append(mask)
    return masks


def holding_every_part(gen: Generation, found: Matches, parts: list[np.ndarray]) -> tuple[Matches, bool]:
    """Of *found*, the units whose article holds every one of the *parts* (the passages holding each,
    see :func:`required_parts`) -- anywhere in the article, as the all-words tier of relevance counts
    words; grouped by passage, a passage is kept when its article holds them all. When none does,
    all of *found* (every article holding any part) and ``True``.

    A date order cannot put the better matches first, so a search sorted by date lists only the
    articles that match the query well -- Meilisearch's ``matchingStrategy: all``.
    """
    arrays = found.arrays
    holds = np.ones(arrays.article_count, dtype=bool)
    for mask in parts:
        in_article = np.zeros(arrays.article_count, dtype=bool)
        in_article[arrays.article[np.flatnonzero(mask)]] = True
        holds &= in_article
    keep = holds[found.articles]
    if keep.all():
        return found, False
    if not keep.any():
        return found, bool(len(found))
    units = np.flatnonzero(keep)
    sizes = np.diff(found.starts)[units]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    picked = np.repeat(found.starts[units] - starts[:-1], sizes) + np.arange(starts[-1])
    return replace(found, articles=found.articles[units], scores=found.scores[units],
                   complete=found.complete[units], passages=found.passages[picked],
                   passage_scores=found.passage_scores[picked], starts=starts), False


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
        by_source = np.isin(arrays.source, arrays.source_numbers(params.source))
        allowed = by_source if allowed is None else allowed & by_source
    return allowed


def named_sources(gen: Generation, query: Query) -> Query:
    """*query* with each ``source:`` word standing for the sources it names, as the source filter
    reads it (:func:`search.params.sources_named`): the field holds each source's whole name as one
    lower-cased word, so ``source:bbc`` alone would find nothing of "BBC News"."""
    if isinstance(query, Term) and query.fieldname == Fields.SOURCE:
        names = sources_named(query.text, indexed_sources(gen))
        if not names or names == [query.text]:
            return query
        terms = [Term(Fields.SOURCE, name, boost=query.boost) for name in names]
        return terms[0] if len(terms) == 1 else Or(terms)
    return query if query.is_leaf() else query.apply(lambda child: named_sources(gen, child))


def indexed_sources(gen: Generation) -> list[str]:
    """The source field's words: each source's name as indexed (read once per generation)."""
    def read() -> list[str]:
        words = gen.searcher.reader().field_terms(Fields.SOURCE)
        return [word.decode("utf-8") if isinstance(word, bytes) else word for word in words]

    return gen.arrays.derived("indexed_sources", read)


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
        parts = None
        if read.query is not None and params.effective_sort == "relevance":
            parts = passage_parts(gen, read.query, docs, scores)
            scores = sum(parts.values())
        if read.query is not None:
            for holds in word_mask(gen.searcher, arrays, read.required).values():
                complete &= holds[docs]
        found = Matches(arrays, articles, scores, complete, docs, scores, np.arange(len(docs) + 1), distinct=False,
                        parts=parts)
        return with_recency(found, params)
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
    complete, ranking = np.ones(len(units), dtype=bool), None
    if read.query is not None and params.effective_sort == "relevance":
        ranking = rank_articles(gen, read.query, units, evidence, read.required)
        evidence, complete = ranking.scores, ranking.complete
    found = Matches(arrays, units, evidence, complete, docs, scores, np.append(starts, len(docs)), ranking=ranking)
    return with_recency(found, params)


def with_recency(found: Matches, params: SearchParams) -> Matches:
    """*found* with each score multiplied by its recency decay, ``0.5 ** (age / params.recency)``, when
    ``recency`` is asked for and results are ranked by relevance. Age is in days behind the newest
    match (not today: an archive's newest story is as fresh as it gets); an undated match is as old
    as the oldest dated one."""
    if params.recency is None or params.effective_sort != "relevance" or not len(found):
        return found
    published = found.arrays.published[found.articles]
    dated = ~np.isnat(published)
    if not dated.any():
        return replace(found, decay=np.ones(len(found)))
    moments = published.astype(np.int64)  # microseconds
    newest, oldest = moments[dated].max(), moments[dated].min()
    age_days = (newest - np.where(dated, moments, oldest)) / 86_400e6
    decay = 0.5 ** (age_days / params.recency)
    return replace(found, scores=found.scores * decay, decay=decay, undecayed=found.scores)


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


def display_keys(found: Matches, sort: str) -> tuple[np.ndarray, np.ndarray]:
    """The keys of display order (:func:`~search.whoosh_backend.ordering.leading`): by relevance,
    results holding every word of a plain-words query (not a description, see
    :func:`search.query.is_description`) first, then by score; by date, undated results last."""
    if sort == "relevance":
        return -found.scores, ~found.complete
    published = found.arrays.published[found.articles]
    moments = published.astype(np.int64)
    return (-moments if sort == "newest" else moments), np.isnat(published)


def highlighting(gen: Generation, read: ReadQuery, units: list[_Unit]) -> tuple[list[list[int]], WhooshResults]:
    """The passages shown of each unit, and the Whoosh results object the highlighter reads their
    marks from (:mod:`search.whoosh_backend.marks`)."""
    if read.query is None:
        return [unit.docnums[:PASSAGES_PER_ARTICLE] for unit in units], WhooshResults(gen.searcher, Every(), [])
    marks = query_marks(read.query, gen.searcher.reader())
    shown, places = passages_to_show(gen, marks, units)
    every = [docnum for docnums in shown for docnum in docnums]
    return shown, pinpoint_results(gen.searcher, read.query, Fields.BODY, every, places)


def passages_to_show(gen: Generation, marks: Marks, units: list[_Unit]) -> tuple[list[list[int]], Places]:
    """Of each unit's passages (best first), the first :data:`PASSAGES_PER_ARTICLE` that hold
    something to mark, else its opening passage; and where the marks fall in them.

    Every passage of an article carries its title, so an article whose title matches matches by
    all its passages: those whose own text holds nothing of the query would show nothing.
    Passages are tried a few per unit at a time, as a phrase's words can stand apart in a passage.
    """
    chosen: list[list[int]] = [[] for _ in units]
    tried = [0 if marks.every_word() else len(unit.docnums) for unit in units]
    places: Places = {}
    while True:
        batch = {number: unit.docnums[tried[number] : tried[number] + PASSAGES_PER_ARTICLE - len(chosen[number])]
                 for number, unit in enumerate(units)
                 if len(chosen[number]) < PASSAGES_PER_ARTICLE and tried[number] < len(unit.docnums)}
        if not batch:
            break
        found = marked_places(gen.arrays, marks, [docnum for docnums in batch.values() for docnum in docnums])
        places.update(found)
        for number, docnums in batch.items():
            tried[number] += len(docnums)
            chosen[number] += [docnum for docnum in docnums if docnum in found]
    # An article's passages are written in order: its first passage has the lowest number.
    return [docnums or [min(unit.docnums)] for docnums, unit in zip(chosen, units)], places


def make_hit(results: WhooshResults, unit: _Unit, docnums: list[int], read: ReadQuery) -> Hit:
    """The result record of one unit, with its passages *docnums* highlighted."""
    passages, first = [], None
    for docnum in docnums:
        hit = WhooshHit(results, docnum)
        stored = hit.fields()
        first = first or stored
        snippet = passage_snippet(hit, stored[Fields.BODY]) if read.query is not None \
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
    arrays, codes = found.arrays, _facet_codes(found.arrays)
    articles = found.articles if found.distinct else distinct(found.articles)
    by_source = np.bincount(codes.sources[articles], minlength=len(arrays.source_names) + 1)[:-1]
    named = [(arrays.source_names[code], int(by_source[code])) for code in np.flatnonzero(by_source)]
    by_day = np.bincount(codes.days[articles], minlength=len(codes.day_numbers) + 1)[:-1]
    dated = np.flatnonzero(by_day)
    months = codes.months[dated]  # in order, as the days are
    starts = run_starts(months)
    by_month = np.add.reduceat(by_day[dated], starts) if len(starts) else starts
    facets = {
        "source": [FacetCount(v, n) for v, n in sorted(named, key=lambda item: (-item[1], item[0]))],
        "published": [FacetCount(str(np.datetime64(int(month), "M")), int(n))
                      for month, n in reversed(list(zip(months[starts], by_month)))],
    }
    return facets, {_day_date(int(codes.day_numbers[day])): int(by_day[day]) for day in dated}


@dataclass(frozen=True)
class _FacetCodes:
    """Every article's source and day of publication as small numbers to count them by (read once
    per generation): a missing one is the last code."""

    sources: np.ndarray      # per article: its source number, or the number of sources
    days: np.ndarray         # per article: its day's place in *day_numbers*, or their number when undated
    day_numbers: np.ndarray  # the distinct days of publication (since 1970-01-01), in order
    months: np.ndarray       # the month (since 1970-01) of each of *day_numbers*


def _facet_codes(arrays: IndexArrays) -> _FacetCodes:
    def read() -> _FacetCodes:
        dated = arrays.day != UNDATED
        day_numbers, places = np.unique(arrays.day[dated], return_inverse=True)
        days = np.full(arrays.article_count, len(day_numbers), dtype=np.int32)
        days[dated] = places.ravel()
        months = np.zeros(len(day_numbers), dtype=np.int64)
        months[places.ravel()] = arrays.month[dated]
        sources = np.where(arrays.source >= 0, arrays.source, len(arrays.source_names)).astype(np.int32)
        return _FacetCodes(sources, days, day_numbers, months)

    return arrays.derived("facet codes", read)


@lru_cache(maxsize=65536)
def _day_date(day: int) -> date:
    """The date *day* days after 1970-01-01."""
    return np.datetime64(day, "D").item()


def article_view(gen: Generation, article_id: str, read: ReadQuery) -> ArticleView:
    """The article *article_id*, its passages in order; with a query, matches highlighted.

    :raises ArticleNotFound: when no passage has that article id.
    """
    stored = gen.stored_passages(article_id)
    if not stored:
        raise ArticleNotFound(f"no article has the id {article_id!r}", "article_id")
    marked = marked_passages(gen, article_id, read)
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


def marked_passages(gen: Generation, article_id: str, read: ReadQuery) -> dict[int, str]:
    """The passages of *article_id* that the query matches, by position, whole and highlighted."""
    if read.query is None:
        return {}
    query = named_sources(gen, read.query)
    matching = gen.searcher.search(query, filter=Term(Fields.ARTICLE_ID, article_id), limit=None)
    places = marked_places(gen.arrays, query_marks(query, gen.searcher.reader()), matching.docs())
    results = pinpoint_results(gen.searcher, query, Fields.BODY, places, places)
    marked = {}
    for docnum in places:
        hit = WhooshHit(results, docnum)
        marked[hit[Fields.POSITION]] = whole_highlight(hit, hit[Fields.BODY])
    return marked
