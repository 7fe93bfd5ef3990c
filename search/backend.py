"""The seam between the service and its search engine.

Above it, shared by every backend: the parameters (:mod:`search.params`), the query parser and its
parse tree (:mod:`search.query`), the one search function (:mod:`search.engine`: pagination, the
timeline's periods, the results cache), the records (:mod:`search.results`), the API, the pages, the
feed and the command line. Below it, one :class:`Backend`: matching, scoring and ranking (the
all-words tier first and one article per story, as :mod:`search.engine` documents them), counting
facets, making snippets, fetching an article, finding related coverage, and writing the index.

* :class:`Backend` -- one search engine: lends a :class:`Snapshot` per request, and writes;
* :class:`Snapshot` -- the index at one point in time, as one request reads it;
* :func:`open_backend` -- the backend a configuration names (``NEWS_SEARCH_BACKEND``).

Every backend answers in the records of :mod:`search.results` and raises the errors of
:mod:`index.errors`, so nothing above the seam knows which engine it talks to.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from search.params import SearchParams
from search.query import ReadQuery
from search.results import ArticleView, Health, Page, Related, Stories

if TYPE_CHECKING:
    from index.articles import Article, Skipped
    from index.writer import IndexSummary

#: The backends this version knows, by the name ``NEWS_SEARCH_BACKEND`` gives.
BACKENDS = ("whoosh",)
#: The environment variable that chooses the backend.
ENV_BACKEND = "NEWS_SEARCH_BACKEND"


class Snapshot(Protocol):
    """The index at one point in time, as one request reads it: every answer of one request comes
    from the same state of the index, whatever is written meanwhile."""

    #: What names this state of the index for the results cache (``None``: not cacheable).
    generation: Hashable | None

    def search(self, params: SearchParams, read: ReadQuery) -> Page:
        """Every match of *params* (their query read as *read*), ordered by ``params.effective_sort``
        (by relevance: articles holding every required word first, then by score), one article per
        story unless ``params.collapse`` is ``none``; the page ``params.page`` of them highlighted.

        Snippets are HTML-escaped text in which only ``<mark>`` tags are markup.
        """
        ...

    def article(self, article_id: str, read: ReadQuery) -> ArticleView:
        """The whole article, its passages in order, matches of *read* marked.

        :raises ArticleNotFound: when no article has that id.
        """
        ...

    def has_article(self, article_id: str) -> bool:
        """Whether an article has the id *article_id*."""
        ...

    def related(self, article_id: str, limit: int) -> Related:
        """The *limit* articles most like *article_id*, its own wire copies left out.

        :raises ArticleNotFound: when no article has that id.
        """
        ...

    def stories(self, top: int) -> Stories:
        """The *top* largest stories of wire copies."""
        ...

    def health(self) -> Health:
        """What the index holds, and whether every part of the backend answers."""
        ...

    def updated(self) -> datetime:
        """When this state of the index was committed (time-zone aware)."""
        ...


class Backend(Protocol):
    """One search engine behind the service."""

    #: The name ``NEWS_SEARCH_BACKEND`` gives it.
    name: str

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """Borrow a snapshot at the newest state of the index for the duration of a ``with`` block."""
        ...

    def acquire(self) -> Snapshot:
        """A snapshot at the newest state of the index, for one thread until :meth:`release`.

        :raises IndexNotFound: when there is no index to read.
        """
        ...

    def release(self, snapshot: Snapshot) -> None:
        """Give a snapshot back for reuse."""
        ...

    def exists(self) -> bool:
        """Whether there is an index to search."""
        ...

    def update(self, items: Iterable[Article | Skipped], *, rebuild: bool = False, prune: bool = False,
               on_skip: Callable[[Skipped], None] | None = None, **options) -> IndexSummary:
        """Bring the index up to date with *items* (see :func:`index.writer.update_index`)."""
        ...

    def delete(self, article_ids: Iterable[str]) -> list[str]:
        """Remove articles by id; returns the ids that were found."""
        ...

    def stats(self) -> dict:
        """Counts and freshness of the index (``news-search stats --json``)."""
        ...


def open_backend(settings: Mapping | None = None) -> Backend:
    """The backend *settings* name under ``BACKEND`` (else ``$NEWS_SEARCH_BACKEND``, else ``whoosh``),
    configured from the same settings (``INDEX`` for Whoosh's).

    >>> open_backend({"BACKEND": "elastic"})
    Traceback (most recent call last):
    ...
    ValueError: NEWS_SEARCH_BACKEND must be one of whoosh; got 'elastic'
    """
    settings = dict(settings or {})
    name = settings.get("BACKEND") or os.environ.get(ENV_BACKEND) or "whoosh"
    if name not in BACKENDS:
        raise ValueError(f"{ENV_BACKEND} must be one of {', '.join(BACKENDS)}; got {name!r}")
    from search.whoosh_backend import WhooshBackend

    return WhooshBackend(settings.get("INDEX"))

