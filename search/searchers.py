"""The index as a running service sees it: opened once per process, searchers reused, refreshed per generation.

A request borrows a Whoosh searcher (a searcher is not meant to be used by two threads at once) and
gives it back when it ends. Idle searchers are kept for the next request; one that no longer shows
the newest committed generation is closed and replaced by a fresh one, so a re-index becomes
visible without a restart and a request never sees half of a commit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from index.store import open_index
from search.arrays import BoundedCache

T = TypeVar("T")


class ResultsCache:
    """The last *size* results computed, by index generation and parameters (``size=0``: none kept).

    A generation never changes once committed, so a result stays right for as long as it is kept;
    a new generation simply stops matching the old keys, which age out.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept = BoundedCache(size)

    def get(self, searcher: Searcher, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for *key* at *searcher*'s generation, or ``compute()`` (then kept)."""
        if self.size <= 0:
            return compute()
        return self._kept.get((searcher.reader().generation(), key), compute, size=lambda _: 1)


class Searchers:
    """A pool of searchers over the index in *index_dir*, opened lazily, and the results they
    computed (:class:`ResultsCache` of *cache_size*)."""

    def __init__(self, index_dir: str | os.PathLike, cache_size: int = 0) -> None:
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._index: FileIndex | None = None
        self._idle: list[Searcher] = []
        self.results = ResultsCache(cache_size)

    def index(self) -> FileIndex:
        """The opened index. :raises IndexNotFound: when there is none yet."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.index_dir)
            return self._index

    def acquire(self) -> Searcher:
        """A searcher at the newest committed generation, for one thread until :meth:`release`."""
        with self._lock:
            searcher = self._idle.pop() if self._idle else None
        if searcher is not None and searcher.up_to_date():
            return searcher
        if searcher is not None:
            # A fresh searcher, not Searcher.refresh(): refresh() reuses the old segment readers,
            # which would keep showing deleted and replaced passages.
            searcher.close()
        return self.index().searcher()

    def release(self, searcher: Searcher) -> None:
        """Give a searcher back for reuse."""
        with self._lock:
            self._idle.append(searcher)

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """Borrow a searcher for the duration of a ``with`` block."""
        searcher = self.acquire()
        try:
            yield searcher
        finally:
            self.release(searcher)


def stored_passages(searcher: Searcher, article_id: str) -> list[dict]:
    """The stored fields of an article's passages, in the article's order (empty for an unknown id)."""
    return sorted(searcher.documents(article_id=article_id), key=lambda fields: fields["position"])
