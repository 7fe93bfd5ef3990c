"""The seam between the service and its search engine.

Above it, shared by every backend: the parameters (:mod:`search.params`), the query parser and its
parse tree (:mod:`search.query`), the one search function (:mod:`search.engine`: the count of pages,
the timeline's periods, the query's warnings, the results cache), the records (:mod:`search.results`),
the API, the pages, the feed and the command line. Below it, one :class:`Backend`: matching, scoring
and ordering by the rules :mod:`search.engine` states (by relevance the all-words tier first; one
article per story of wire copies), counting facets, cutting out the page asked for, making snippets,
fetching an article, finding related coverage and stories, and writing the index.

* :class:`Backend` -- one search engine: lends a :class:`Snapshot` per request, and writes (a backend
  implements its abstract methods; borrowing with ``with backend.snapshot()`` comes with it);
* :class:`Snapshot` -- the index at one point in time, as one request reads it.

:func:`search.backends.open_backend` opens the backend a configuration names.

Every backend answers in the records of :mod:`search.results` and raises the errors of
:mod:`index.errors`, so nothing above the seam knows which engine it talks to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from search.params import SearchParams
from search.query import ReadQuery
from search.results import ArticleView, Health, Page, Related, Stories

if TYPE_CHECKING:
    from index.articles import Article, Skipped
    from index.errors import IndexDamaged
    from index.summary import IndexSummary

#: The words a ``prefix*`` stands for at most, the most frequent ones, in every backend, unless
#: configured (``NEWS_SEARCH_MAX_EXPANSIONS``; Elasticsearch's ``max_expansions`` has the same default).
MAX_EXPANSIONS = 50


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


class Backend(ABC):
    """One search engine behind the service: it lends snapshots, and writes."""

    #: The name ``NEWS_SEARCH_BACKEND`` gives it.
    name: str

    @abstractmethod
    def acquire(self) -> Snapshot:
        """A snapshot at the newest state of the index, for one thread until :meth:`release`.

        :raises IndexNotFound: when there is no index to read.
        :raises IndexDamaged: when the newest state of the index cannot be read.
        """

    @abstractmethod
    def release(self, snapshot: Snapshot) -> None:
        """Give a snapshot back for reuse (one found damaged, :meth:`damage`, is let go instead)."""

    #: What reading this backend's index raises when it may be damaged; :meth:`damage` tells.
    read_errors: tuple[type[BaseException], ...] = ()

    def damage(self, error: BaseException, snapshot: Snapshot) -> IndexDamaged | None:
        """What *error*, one of :attr:`read_errors` raised while *snapshot* was read, says of the index:
        an :class:`IndexDamaged` naming the problem when the index is damaged, else ``None``.

        The backend then lends no snapshot of that state of the index again: :meth:`acquire` raises
        the same error until a newer state is committed.
        """
        return None

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Borrow a snapshot at the newest state of the index for the duration of a ``with`` block."""
        snapshot = self.acquire()
        try:
            yield snapshot
        finally:
            self.release(snapshot)

    @abstractmethod
    def exists(self) -> bool:
        """Whether there is an index to search."""

    def warm(self) -> None:
        """Read ahead what the first search would otherwise wait for, as a web worker starts (nothing
        by default; errors are left for the requests to report)."""

    @abstractmethod
    def update(self, items: Iterable[Article | Skipped], *, rebuild: bool = False, prune: bool = False,
               on_skip: Callable[[Skipped], None] | None = None, **options) -> IndexSummary:
        """Bring the index up to date with *items*, in one run: new articles added, changed ones
        replaced, unchanged ones left; with *prune* articles whose file is gone deleted, with
        *rebuild* everything written afresh (see :func:`index.writer.update_index`).

        *options* are hints every backend may take or leave: ``min_words``/``max_words`` (passage
        lengths), ``procs`` (processes it may write with), ``lock_timeout``.
        """

    @abstractmethod
    def delete(self, article_ids: Iterable[str]) -> list[str]:
        """Remove articles by id; returns the ids that were found."""

    @abstractmethod
    def stats(self) -> dict:
        """Counts and freshness of the index (``news-search stats --json``): ``articles``, ``passages``,
        ``generation`` and ``updated`` (ISO time), and whatever else the backend reports."""

    def close(self) -> None:
        """Let go of what the backend holds open (searchers, connections)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
