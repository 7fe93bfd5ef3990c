"""The Whoosh backend: the embedded default, an index on this machine's disk.

* :class:`WhooshBackend` -- the index in one directory: opened once per process, snapshots lent
  per request and replaced when a newer generation is committed, writes through :mod:`index.writer`;
* :class:`WhooshSnapshot` -- one committed generation, answering every question of :class:`search.backend.Snapshot`.

Its parts, below the seam (:mod:`search.backend`):

* :mod:`~search.whoosh_backend.generation` -- a searcher and its arrays, read once;
* :mod:`~search.whoosh_backend.arrays`, :mod:`~search.whoosh_backend.matching` -- the index as NumPy
  arrays; matching and BM25F scoring on them;
* :mod:`~search.whoosh_backend.ranking` -- how articles are ordered: article BM25, passage evidence;
* :mod:`~search.whoosh_backend.searching` -- a search's page and facets; an article's view;
* :mod:`~search.whoosh_backend.ordering` -- display order worked out only as far as the page shown;
* :mod:`~search.whoosh_backend.marks`, :mod:`~search.whoosh_backend.snippets` -- what a query marks
  in a passage and where (a phrase only where it stands); highlighted snippets with Whoosh's highlighter;
* :mod:`~search.whoosh_backend.spelling` -- did-you-mean, from the index's own words;
* :mod:`~search.whoosh_backend.related`, :mod:`~search.whoosh_backend.stories` -- related coverage; wire copies.

A snapshot is not shared between threads (a Whoosh searcher is not meant to be). Idle ones are
kept for the next request; one that no longer shows the newest committed generation is closed and
replaced by a fresh one, so a re-index becomes visible without a restart and a request never sees
half of a commit. A generation found damaged (a file missing, cut short or garbled) is answered with
:class:`index.errors.IndexDamaged` and its snapshots are let go, until a newer one is committed. The
writing modules are imported only when something is written, so a web worker never loads them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from whoosh.index import FileIndex

from index import resolve_index_dir
from index.errors import IndexDamaged, NewsSearchError
from index.schema import earlier_words
from index.store import READ_ERRORS, committed_at, index_exists, open_index, read_damage
from index.store.files import generation_names
from search.backend import MAX_EXPANSIONS, Backend
from search.params import SearchParams
from search.query import ReadQuery, read_query, repeated_words
from search.results import ArticleView, Health, Page, Related, Stories
from search.whoosh_backend.expansion import bounded_patterns
from search.whoosh_backend.generation import Generation
from search.whoosh_backend.ranking import collection_totals
from search.whoosh_backend.related import related_articles
from search.whoosh_backend.searching import article_view, find
from search.whoosh_backend.stories import grouped_counts, largest_stories, story_codes


class WhooshSnapshot(Generation):
    """One committed generation of the index in *index_dir*, as one request reads it."""

    def __init__(self, searcher, index_dir: Path, max_expansions: int = MAX_EXPANSIONS) -> None:
        super().__init__(searcher)
        self.index_dir = index_dir
        self.max_expansions = max_expansions
        # Each segment file as it was opened (its inode and size): the files are mapped into memory,
        # and reading a mapped page past the end of a file cut short kills the process (SIGBUS).
        names, _ = generation_names(index_dir, self.number)
        self._opened = {name: _identity(Path(index_dir) / name) for name in names}

    def cut_short(self) -> str | None:
        """The name of a segment file this snapshot maps that is now shorter than when it was opened, or
        gone, if any. A file replaced under its name (a restore) leaves the mapped one whole: not cut."""
        for name, (inode, size) in self._opened.items():
            try:
                now_inode, now_size = _identity(Path(self.index_dir) / name)
            except FileNotFoundError:
                return name
            if now_inode == inode and now_size < size:
                return name
        return None

    @property
    def generation(self) -> int:
        return self.number

    def search(self, params: SearchParams, read: ReadQuery) -> Page:
        read, warnings = self._bounded(read)
        page = find(self, params, read)
        return replace(page, warnings=[*warnings, *page.warnings]) if warnings else page

    def article(self, article_id: str, read: ReadQuery) -> ArticleView:
        read, warnings = self._bounded(read)
        view = article_view(self, article_id, read)
        return replace(view, warnings=[*warnings, *view.warnings]) if warnings else view

    def _bounded(self, read: ReadQuery) -> tuple[ReadQuery, list[str]]:
        """*read* with each pattern standing for at most :attr:`max_expansions` words; read again with
        this generation's words (stemmer, stop words) when they are not today's
        (:class:`index.store.StemmedIndex`)."""
        if read.query is None:
            return read, []
        warnings = []
        schema = self.searcher.schema
        if earlier_words(schema) and read.text.strip():
            again = replace(read_query(read.text, schema), repeated=repeated_words(read.text, schema))
            warnings = [warning for warning in again.warnings if warning not in read.warnings]
            read = again
            if read.query is None:  # nothing but what were stop words then
                return read, warnings
        query, bounded = bounded_patterns(read.query, self.searcher.reader(), self.max_expansions)
        return replace(read, query=query), [*warnings, *bounded]

    def has_article(self, article_id: str) -> bool:
        return bool(self.stored_passages(article_id))

    def related(self, article_id: str, limit: int) -> Related:
        return related_articles(self, article_id, limit)

    def stories(self, top: int) -> Stories:
        return Stories(*grouped_counts(self), largest_stories(self, top))

    def health(self) -> Health:
        return Health(articles=collection_totals(self.arrays)[0], passages=self.searcher.doc_count(),
                      generation=self.number, details={"index_dir": str(self.index_dir)})

    def updated(self) -> datetime:
        return committed_at(self.index_dir, self.number)


def _identity(path: Path) -> tuple[tuple[int, int], int]:
    """A file's device and inode, and its size."""
    found = path.stat()
    return (found.st_dev, found.st_ino), found.st_size


class WhooshBackend(Backend):
    """The Whoosh index in *index_dir* (else ``$NEWS_SEARCH_INDEX``, else ``instance/index``), opened
    lazily; a ``prefix*`` stands for at most *max_expansions* words (:mod:`~search.whoosh_backend.expansion`)."""

    name = "whoosh"

    def __init__(self, index_dir: str | os.PathLike | None = None, max_expansions: int = MAX_EXPANSIONS) -> None:
        self.index_dir = resolve_index_dir(index_dir)
        self.max_expansions = max_expansions
        self._lock = threading.Lock()
        self._index: FileIndex | None = None
        self._idle: list[WhooshSnapshot] = []
        self._damaged: tuple[int, str] | None = None  # the generation found damaged, and how

    def index(self) -> FileIndex:
        """The opened index. :raises IndexNotFound: when there is none yet."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.index_dir)
            return self._index

    def exists(self) -> bool:
        return index_exists(self.index_dir)

    def warm(self) -> None:
        """Read the newest generation's arrays and stories (about two seconds at a million passages),
        so that a worker answers its first search as fast as the next instead of keeping it waiting;
        an index not there yet, or that cannot be read, is left for the requests to report."""
        if not self.exists():
            return
        try:
            with self.snapshot() as snapshot:
                story_codes(snapshot)  # reads the arrays first
        except (NewsSearchError, *READ_ERRORS):
            return

    def acquire(self) -> WhooshSnapshot:
        with self._lock:
            snapshot = self._idle.pop() if self._idle else None
        if snapshot is not None and snapshot.up_to_date() and not self._is_damaged(snapshot.generation):
            cut = snapshot.cut_short()
            if cut is None:
                return snapshot
            if snapshot.up_to_date():  # not the files of a generation a commit just replaced
                # Never read again: its mapped pages past the file's new end would kill the worker.
                message = f"the index cannot be read ({cut} is shorter than when it was opened, or gone)"
                self._damaged = (snapshot.generation, message)
                snapshot.close()
                raise IndexDamaged(message)
        if snapshot is not None:
            # A newer generation was committed: every idle snapshot of an older one goes, with its
            # arrays and open files. A fresh searcher, not Searcher.refresh(): refresh() reuses the
            # old segment readers, which would keep showing deleted and replaced passages.
            snapshot.close()
            self._close_stale()
        return self._open_newest()

    def _open_newest(self) -> WhooshSnapshot:
        """A snapshot of the newest generation. :raises IndexDamaged: when it cannot be read."""
        generation = None
        try:
            ix = self.index()
            generation = ix.latest_generation()
            if self._is_damaged(generation):
                raise IndexDamaged(self._damaged[1])
            return WhooshSnapshot(ix.searcher(), self.index_dir, self.max_expansions)
        except READ_ERRORS as error:
            damaged = read_damage(error, self.index_dir)
            if damaged is None:
                raise
            # A file gone because a writer committed meanwhile is no damage: the next request opens its generation.
            if generation is not None and self.index().latest_generation() == generation:
                self._damaged = (generation, damaged.message)
            raise damaged from error

    def release(self, snapshot: WhooshSnapshot) -> None:
        if self._is_damaged(snapshot.generation):
            snapshot.close()  # never lent again
            return
        with self._lock:
            self._idle.append(snapshot)

    read_errors = READ_ERRORS

    def damage(self, error: BaseException, snapshot: WhooshSnapshot) -> IndexDamaged | None:
        damaged = read_damage(error, self.index_dir)
        if damaged is not None:
            self._damaged = (snapshot.generation, damaged.message)
        return damaged

    def _is_damaged(self, generation: int) -> bool:
        """Whether *generation* was found damaged: every request on it is answered with that error."""
        return self._damaged is not None and self._damaged[0] == generation

    def _close_stale(self) -> None:
        """Close the idle snapshots that no longer show the newest generation."""
        with self._lock:
            stale = [snapshot for snapshot in self._idle if not snapshot.up_to_date()]
            self._idle = [snapshot for snapshot in self._idle if snapshot not in stale]
        for snapshot in stale:
            snapshot.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for snapshot in idle:
            snapshot.close()

    def update(self, items: Iterable, *, rebuild: bool = False, prune: bool = False,
               on_skip: Callable | None = None, **options):
        from index.writer import update_index

        return update_index(self.index_dir, items, rebuild=rebuild, prune=prune, on_skip=on_skip, **options)

    def delete(self, article_ids: Iterable[str]) -> list[str]:
        from index.writer import delete_articles

        return delete_articles(self.index_dir, article_ids)

    def stats(self) -> dict:
        from index.writer import index_stats

        return index_stats(self.index_dir)
