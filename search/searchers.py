"""The index as a running service sees it: opened once per process, refreshed per generation.

Each thread keeps its own Whoosh searcher (a searcher is not meant to be shared between threads)
and moves it to the newest committed generation when one lands, so a re-index becomes visible
without a restart and a request never sees half of a commit.
"""

from __future__ import annotations

import os
import threading

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from index.writer import open_index


class Searchers:
    """Per-thread searchers over the index in *index_dir*, opened lazily."""

    def __init__(self, index_dir: str | os.PathLike) -> None:
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._index: FileIndex | None = None
        self._local = threading.local()

    def index(self) -> FileIndex:
        """The opened index. :raises IndexNotFound: when there is none yet."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.index_dir)
            return self._index

    def current(self) -> Searcher:
        """This thread's searcher, at the newest committed generation."""
        searcher: Searcher | None = getattr(self._local, "searcher", None)
        if searcher is not None and searcher.up_to_date():
            return searcher
        if searcher is not None:
            # A fresh searcher, not Searcher.refresh(): refresh() reuses the old segment readers,
            # which would keep showing deleted and replaced passages.
            searcher.close()
        self._local.searcher = self.index().searcher()
        return self._local.searcher
