"""Costly searches take at most a share of each worker's time, so that a flood of them leaves room
for everyone else.

A search is *costly* when its query stands for many words: a ``prefix*`` (up to
``NEWS_SEARCH_MAX_EXPANSIONS`` words) or more than :data:`COSTLY_WORDS` words, such as a long
``OR``. Each worker process keeps the time its costly searches took over the last
:data:`WINDOW_SECONDS`; while that is over ``NEWS_SEARCH_COSTLY_SHARE`` of the window (a tenth by
default) and other searches came in too, a further costly search is refused with :class:`TooBusy` --
a 429 with ``Retry-After`` -- before any of its work is done, and every other search goes on as
usual. A worker that nobody else is waiting for answers costly searches as any other: the share
only binds when costly searches keep coming while others want their turn.

Searches answered from the results cache cost nothing and are never refused. Outside a request
(the command line) there is no share.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from whoosh import query as wq

from index.errors import BadConfiguration, NewsSearchError
from search.query import ReadQuery

#: Share of each worker's time that costly searches may take, unless configured (``NEWS_SEARCH_COSTLY_SHARE``).
COSTLY_SHARE = 0.1
#: The span of time over which that share is kept, in seconds.
WINDOW_SECONDS = 10.0
#: A query of more distinct words than this is costly.
COSTLY_WORDS = 6


class TooBusy(NewsSearchError):
    """Costly searches have taken their share of this worker's time: try again shortly."""

    code = "too_busy"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Searches for many words at once (a prefix*, a long OR) are coming in faster than "
                         f"this service answers them; try again in {retry_after} s, or search for fewer words.")
        self.retry_after = retry_after


class CostlyShare:
    """The time this process's costly searches took over the last *window* seconds, and the *share*
    of the window they may take. Shared by the threads of a process."""

    def __init__(self, share: float = COSTLY_SHARE, window: float = WINDOW_SECONDS) -> None:
        self.share, self.window = share, window
        self._spent: deque[tuple[float, float]] = deque()  # (ended at, seconds), oldest first
        self._others: deque[float] = deque()  # when other searches came in, oldest first
        self._lock = threading.Lock()

    def admit(self) -> None:
        """:raises TooBusy: when costly searches have taken their share of the window while other
        searches came in."""
        if self.share >= 1:
            return
        now = time.monotonic()
        with self._lock:
            while self._spent and self._spent[0][0] < now - self.window:
                self._spent.popleft()
            while self._others and self._others[0] < now - self.window:
                self._others.popleft()
            spent = sum(seconds for _, seconds in self._spent)
            if self._others and spent > self.share * self.window:
                # Room comes back as the oldest costly searches leave the window.
                excess, wait = spent - self.share * self.window, 0.0
                for ended, seconds in self._spent:
                    excess -= seconds
                    wait = ended + self.window - now
                    if excess <= 0:
                        break
                raise TooBusy(max(1, round(wait + 0.5)))

    def other(self) -> None:
        """Count a search that is not costly: someone else wants this worker."""
        with self._lock:
            self._others.append(time.monotonic())

    def charge(self, seconds: float) -> None:
        """Count a costly search that took *seconds*."""
        with self._lock:
            self._spent.append((time.monotonic(), seconds))


_current: ContextVar[CostlyShare | None] = ContextVar("costly_share", default=None)


def begin(share: CostlyShare | None) -> None:
    """Costly searches of this context (a request) count against *share*, until :func:`end`."""
    _current.set(share)


def end() -> None:
    _current.set(None)


@contextmanager
def searching(read: ReadQuery) -> Iterator[None]:
    """Around a search's work: a costly one is admitted (or refused) first and its time counted."""
    share = _current.get()
    if share is None:
        yield
        return
    if not is_costly(read):
        share.other()
        yield
        return
    share.admit()
    started = time.perf_counter()
    try:
        yield
    finally:
        share.charge(time.perf_counter() - started)


def is_costly(read: ReadQuery) -> bool:
    """Whether *read* stands for many words: a pattern, or more than :data:`COSTLY_WORDS` distinct words.

    >>> from index.schema import SCHEMA
    >>> from search.query import read_query
    >>> is_costly(read_query("oil prices", SCHEMA)), is_costly(read_query("co*", SCHEMA))
    (False, True)
    >>> is_costly(read_query("oil OR gas OR coal OR wheat OR corn OR gold OR silver", SCHEMA))
    True
    """
    if read.query is None:
        return False
    words = set()
    for leaf in read.query.leaves():
        if isinstance(leaf, (wq.Prefix, wq.Wildcard)):
            return True
        for text in getattr(leaf, "words", None) or [getattr(leaf, "text", None)]:
            if text is not None:
                words.add(text)
    return len(words) > COSTLY_WORDS


def share_setting(value: object) -> float:
    """``NEWS_SEARCH_COSTLY_SHARE`` as a fraction of the time, above 0 and at most 1 (1: never refuse).

    >>> share_setting("0.5")
    0.5
    >>> share_setting(0)
    Traceback (most recent call last):
    ...
    index.errors.BadConfiguration: NEWS_SEARCH_COSTLY_SHARE must be a fraction of the time above 0 and at most 1; got 0
    """
    try:
        share = float(str(value))
    except ValueError:
        share = -1.0
    if isinstance(value, bool) or not 0 < share <= 1:
        raise BadConfiguration(f"NEWS_SEARCH_COSTLY_SHARE must be a fraction of the time above 0 and at most 1; got {value!r}")
    return share
