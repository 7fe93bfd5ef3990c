"""A time budget for each request's searching (``NEWS_SEARCH_TIME_BUDGET``, seconds; 0 for none).

A valid query can still be costly on a large archive (a short ``prefix*``, a long ``OR``), and a
worker busy with one answers nobody else. The service starts a budget when a request comes in
(:func:`begin`); the backend calls :func:`check` between the steps of its work (each word read
and scored, each stage of ranking), and past the budget the search stops with
:class:`SearchTimeout`: a 503 with ``Retry-After``, never a worker held for longer than the budget
and the rendering of an error. Outside a request (the command line) there is no budget.

The budget lives in a context variable, so each thread (and each request in it) has its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NoReturn

from index.errors import BadConfiguration, NewsSearchError

#: Seconds a request may search for, unless configured (``NEWS_SEARCH_TIME_BUDGET``).
TIME_BUDGET = 2.0

#: The deadline of this context (on the monotonic clock) and the budget it was set from.
_deadline: ContextVar[tuple[float, float] | None] = ContextVar("search_deadline", default=None)


class SearchTimeout(NewsSearchError):
    """The search took longer than its budget: try again later, or narrow it."""

    code = "search_timeout"

    def __init__(self, budget: float) -> None:
        super().__init__(f"The search took longer than its time budget of {budget:g} s and was stopped. "
                         "Try again in a moment, or narrow it: fewer words, longer prefixes before a *, "
                         "a date range or a source.")
        self.retry_after = max(1, math.ceil(budget))


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Searching within this block stops past *seconds* (``None`` or 0: no limit)."""
    token = _deadline.set(_deadline_after(seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def begin(seconds: float | None) -> None:
    """Start a budget of *seconds* for the rest of this context (a request), until :func:`end`."""
    _deadline.set(_deadline_after(seconds))


def end() -> None:
    """No budget any more in this context."""
    _deadline.set(None)


def check() -> None:
    """Raise :class:`SearchTimeout` when the budget of this context is spent."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline[0]:
        raise SearchTimeout(deadline[1])


def spent() -> NoReturn:
    """Raise :class:`SearchTimeout` for this context's budget: a step that watches the clock itself
    (Whoosh's time-limited collector) found it spent."""
    deadline = _deadline.get()
    raise SearchTimeout(deadline[1] if deadline else 0.0)


def remaining() -> float | None:
    """Seconds left of the budget of this context (``None``: no budget)."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline[0] - time.monotonic())


def _deadline_after(seconds: float | None) -> tuple[float, float] | None:
    return (time.monotonic() + seconds, seconds) if seconds else None


def budget_setting(value: object) -> float:
    """``NEWS_SEARCH_TIME_BUDGET`` as seconds.

    >>> budget_setting("2.5"), budget_setting(0)
    (2.5, 0.0)
    >>> budget_setting("-1")
    Traceback (most recent call last):
    ...
    index.errors.BadConfiguration: NEWS_SEARCH_TIME_BUDGET must be a number of seconds, 0 (no limit) or more; got '-1'
    """
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = -1.0
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds < 0:
        raise BadConfiguration(f"NEWS_SEARCH_TIME_BUDGET must be a number of seconds, 0 (no limit) or more; got {value!r}")
    return seconds
