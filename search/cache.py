"""Values kept in memory for reuse: bounded by size, safe across threads.

* :class:`BoundedCache` -- the values computed last, up to a budget (least recently used go first);
* :class:`ResultsCache` -- search results by index generation and parameters, so pagination,
  refreshes and popular searches cost nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class BoundedCache:
    """The values computed last, up to *budget* in total size (each value's size given on entry)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._kept: OrderedDict = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def get(self, key, compute, size=len):
        """The value kept for *key*, else ``compute()``, kept until it is the oldest over budget."""
        found = self.lookup(key, _ABSENT)
        if found is _ABSENT:
            found = compute()
            self.put(key, found, size(found))
        return found

    def lookup(self, key, default=None):
        """The value kept for *key*, or *default*."""
        with self._lock:
            if key not in self._kept:
                return default
            self._kept.move_to_end(key)
            return self._kept[key][0]

    def put(self, key, value, cost: int = 1) -> None:
        """Keep *value* for *key*, dropping the oldest values over budget."""
        with self._lock:
            if key in self._kept:
                return
            self._kept[key] = (value, cost)
            self._used += cost
            while self._used > self.budget and len(self._kept) > 1:
                _, (_, old) = self._kept.popitem(last=False)
                self._used -= old


_ABSENT = object()


class ResultsCache:
    """The last *size* results computed, by index generation and parameters (``size=0``: none kept).

    A generation never changes once committed, so a result stays right for as long as it is kept;
    a new generation simply stops matching the old keys, which age out. A backend that cannot name
    its generation (``None``) gets no caching.
    """

    def __init__(self, size: int, on_lookup: Callable[[bool], None] | None = None) -> None:
        self.size = size
        self.on_lookup = on_lookup  # told of each lookup: whether it found a value (for the metrics)
        self._kept = BoundedCache(size)

    def get(self, generation: Hashable | None, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for *key* at *generation*, or ``compute()`` (then kept)."""
        if self.size <= 0 or generation is None:
            return compute()
        found = self._kept.lookup((generation, key), _ABSENT)
        if self.on_lookup is not None:
            self.on_lookup(found is not _ABSENT)
        if found is _ABSENT:
            found = compute()
            self._kept.put((generation, key), found)
        return found
