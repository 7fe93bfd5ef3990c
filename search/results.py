"""The records every backend returns and every surface renders: plain frozen dataclasses.

* :class:`Results` -- a page of search results (:class:`Hit` with their :class:`PassageHit`), facets
  (:class:`FacetCount`) and the timeline, warnings and a spelling suggestion;
* :class:`Page` -- what a backend finds for one search, before the engine adds what every backend
  shares (pagination, the timeline's periods, the query's own warnings);
* :class:`ArticleView` -- a whole article and its passages (:class:`ArticlePassage`);
* :class:`Related` -- the articles most like one article (:class:`RelatedArticle`);
* :class:`Stories` -- the largest stories of wire copies (:class:`Story` of :class:`StoryArticle`),
  and :class:`Version` -- another article of a story;
* :class:`Health` -- what a backend holds, and whether every part of it answers.

JSON is made from them in one place (:mod:`search.api`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from search.timeline import TimelineBucket


@dataclass(frozen=True)
class Version:
    """Another article of the same story: a wire copy of a result, or of the article shown."""

    article_id: str
    source: str | None


@dataclass(frozen=True)
class StoryArticle:
    """One article of a story, as ``news-search stories`` lists it."""

    article_id: str
    title: str
    source: str | None
    published: str | None


@dataclass(frozen=True)
class Story:
    """A story and its articles, the one that named it first."""

    story: str
    articles: list[StoryArticle]


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
    #: The article's story of wire copies, and (with ``collapse=story``) the story's other matching articles.
    story: str = ""
    other_versions: list[Version] = field(default_factory=list)
    #: With ``explain``, the components of ``score`` by name (see the README's "Explaining a score");
    #: ``None`` when not asked for.
    explanation: dict | None = None


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
    facets: dict[str, list[FacetCount] | list[TimelineBucket]]
    suggestion: str | None = None
    collapse: str = "story"


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
    #: The article's story of wire copies, and the story's other articles.
    story: str = ""
    other_versions: list[Version] = field(default_factory=list)


@dataclass(frozen=True)
class RelatedArticle:
    """One related article; ``score`` is its similarity as a share of the article's to itself."""

    article_id: str
    title: str
    url: str | None
    source: str | None
    published: str | None
    score: float
    close: bool


@dataclass(frozen=True)
class Related:
    """The articles related to ``article_id``, in display order, and the words they were found by."""

    article_id: str
    key_terms: list[str]
    results: list[RelatedArticle]
    took_ms: float


@dataclass(frozen=True)
class Page:
    """What a backend finds for one search: the page of hits asked for, and what describes every match.

    ``facets`` holds ``source`` and ``published`` (by month, newest first); ``days`` counts the
    matching articles by day of publication, from which the engine draws the timeline.
    """

    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetCount]]
    days: dict[date, int]
    suggestion: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Stories:
    """How many stories have copies and how many articles are in them, and the largest stories."""

    with_copies: int
    articles_in_them: int
    largest: list[Story]


@dataclass(frozen=True)
class Health:
    """What a backend serves: articles, passages, its generation (when it has one), and any other
    figures it reports (``details``: each agent of a cluster, say)."""

    articles: int
    passages: int
    generation: int | None
    details: dict = field(default_factory=dict)


