"""The timeline of a search: matching articles counted by period of publication.

The period follows the span between the first and the last matching date, so a chart has a few
dozen bars at most (periods between the first and last with no article count 0, keeping time even):

* up to :data:`DAY_SPAN` days: by day;
* up to :data:`WEEK_SPAN` days: by ISO week (Monday to Sunday, labelled by its Monday);
* up to :data:`MONTH_SPAN` days: by month;
* longer: by year; over more than :data:`MAX_BUCKETS` years (a stray date far from the rest),
  only the years that have articles.

>>> [(bucket.key, bucket.count) for bucket in timeline({date(2024, 11, 18): 2, date(2024, 11, 20): 1})]
[('2024-11-18', 2), ('2024-11-19', 0), ('2024-11-20', 1)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

#: Longest span (in days, first to last date) counted by day, by week and by month.
DAY_SPAN = 62
WEEK_SPAN = 366
MONTH_SPAN = 3653
#: Most periods listed when empty ones are included.
MAX_BUCKETS = 240


@dataclass(frozen=True)
class TimelineBucket:
    """One period: its key (``2024-11-18``, ``2024-W47``, ``2024-11`` or ``2024``), its first and
    last day (ISO dates, inclusive) and how many matching articles were published in it."""

    key: str
    unit: str
    label: str
    start: str
    end: str
    count: int


def timeline_unit(first: date, last: date) -> str:
    """The period to count by for dates from *first* to *last*: day, week, month or year."""
    span = (last - first).days
    if span <= DAY_SPAN:
        return "day"
    if span <= WEEK_SPAN:
        return "week"
    return "month" if span <= MONTH_SPAN else "year"


@lru_cache(maxsize=4096)
def period_start(day: date, unit: str) -> date:
    """The first day of the period of *unit* that holds *day*."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


@lru_cache(maxsize=4096)
def period_end(start: date, unit: str) -> date:
    """The last day of the period of *unit* starting on *start*."""
    if unit == "week":
        return start + timedelta(days=6) if start < date.max - timedelta(days=6) else date.max
    if unit == "month":
        return date(start.year, 12, 31) if start.month == 12 else \
            date(start.year, start.month + 1, 1) - timedelta(days=1)
    if unit == "year":
        return date(start.year, 12, 31)
    return start


def bucket(start: date, unit: str, count: int) -> TimelineBucket:
    """The bucket of the period of *unit* starting on *start*."""
    return TimelineBucket(*period_names(start, unit), count)


@lru_cache(maxsize=4096)
def period_names(start: date, unit: str) -> tuple[str, str, str, str, str]:
    """The key, unit, label, first and last day (ISO) of the period of *unit* starting on *start*
    (the same few periods come back search after search: remembered)."""
    end = period_end(start, unit)
    if unit == "day":
        key, label = start.isoformat(), f"{start.day} {start:%b} {start.year}"
    elif unit == "week":
        year, week, _ = start.isocalendar()
        key, label = f"{year}-W{week:02d}", f"Week of {start.day} {start:%b} {start.year}"
    elif unit == "month":
        key, label = start.isoformat()[:7], f"{start:%B} {start.year}"
    else:
        key = label = f"{start.year:04d}"
    return key, unit, label, start.isoformat(), end.isoformat()


def timeline(by_day: Mapping[date, int]) -> list[TimelineBucket]:
    """Matching articles counted by period, oldest first, from their counts by day of publication
    (undated articles are not given); empty when none is dated."""
    if not by_day:
        return []
    unit = timeline_unit(min(by_day), max(by_day))
    by_period: Counter[date] = Counter()
    for day, count in by_day.items():
        by_period[period_start(day, unit)] += count
    buckets, start, last = [], min(by_period), max(by_period)
    if unit == "year" and last.year - start.year >= MAX_BUCKETS:
        return [bucket(start, unit, count) for start, count in sorted(by_period.items())]
    while True:
        buckets.append(bucket(start, unit, by_period[start]))
        if start == last:
            return buckets
        start = period_end(start, unit) + timedelta(days=1)
