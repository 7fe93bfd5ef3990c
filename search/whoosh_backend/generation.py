"""One committed generation of the index, as one request reads it.

:class:`Generation` pairs a Whoosh searcher with the index's arrays (:mod:`search.whoosh_backend.arrays`),
read once, on first use, for as long as the searcher is kept; every part of the Whoosh backend takes
it, so the arrays are read once and passed along rather than looked up again by each part.
"""

from __future__ import annotations

import threading

from whoosh.searching import Searcher

from index.schema import Fields
from search.whoosh_backend.arrays import IndexArrays, build_arrays


class Generation:
    """A searcher over one committed generation, and that generation's arrays."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self._arrays: IndexArrays | None = None
        self._reading = threading.Lock()

    @property
    def number(self) -> int:
        """The generation's number: every commit makes the next one."""
        return self.searcher.reader().generation()

    @property
    def arrays(self) -> IndexArrays:
        """The generation as arrays, read on first use."""
        if self._arrays is None:
            with self._reading:
                if self._arrays is None:
                    self._arrays = build_arrays(self.searcher.reader())
        return self._arrays

    def up_to_date(self) -> bool:
        """Whether no newer generation has been committed since."""
        return self.searcher.up_to_date()

    def close(self) -> None:
        """Close the searcher; the arrays go with this object."""
        self.searcher.close()

    def stored_passages(self, article_id: str) -> list[dict]:
        """The stored fields of an article's passages, in the article's order (empty for an unknown id)."""
        return sorted(self.searcher.documents(article_id=article_id), key=lambda fields: fields[Fields.POSITION])
