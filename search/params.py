"""Search parameters: read from a mapping (``request.args`` or CLI options) into a checked :class:`SearchParams`.

>>> parse_search_params({"q": "missiles", "per_page": "5"}).per_page
5
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from index.errors import NewsSearchError

SORTS = ("relevance", "newest", "oldest")
GROUPS = ("article", "passage")
#: One result per story of wire copies (default), or every article.
COLLAPSES = ("story", "none")
MAX_PER_PAGE = 100
#: Longer queries are refused rather than left to grind.
MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 64
MAX_PAGE = 10_000
#: Related articles returned by default, and at most.
RELATED_LIMIT = 10
MAX_RELATED_LIMIT = 50

_DIGITS = re.compile(r"[0-9]{1,9}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ParameterError(NewsSearchError):
    """A search parameter is missing, malformed or out of range."""

    code = "invalid_parameter"


@dataclass(frozen=True)
class SearchParams:
    """What to search for and how to present it. ``sort=None`` means relevance with a query, newest without."""

    q: str = ""
    page: int = 1
    per_page: int = 10
    date_from: date | None = None
    date_to: date | None = None
    source: str | None = None
    sort: str | None = None
    group: str = "article"
    collapse: str = "story"

    @property
    def effective_sort(self) -> str:
        """The order actually used."""
        return self.sort or ("relevance" if self.q.strip() else "newest")

    def to_args(self, **changes: object) -> dict[str, str]:
        """The parameters as URL query arguments (defaults left out), with *changes* applied."""
        values = {
            "q": self.q, "page": self.page, "per_page": self.per_page, "from": self.date_from,
            "to": self.date_to, "source": self.source, "sort": self.sort, "group": self.group,
            "collapse": self.collapse,
        }
        values.update(changes)
        defaults = {"page": 1, "per_page": 10, "group": "article", "collapse": "story"}
        return {
            name: str(value) for name, value in values.items()
            if value not in (None, "") and defaults.get(name) != value
        }


def parse_int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer argument within ``low..high``."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.fullmatch(raw.strip()):
        raise ParameterError(f"{name} must be a whole number, not {raw!r}", name)
    value = int(raw.strip())
    if not low <= value <= high:
        raise ParameterError(f"{name} must be between {low} and {high}", name)
    return value


def parse_date(args: Mapping[str, str], name: str) -> date | None:
    """An ISO date argument (``YYYY-MM-DD``)."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if not _ISO_DAY.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ParameterError(f"{name} must be a date as YYYY-MM-DD, not {raw!r}", name) from None


def parse_choice(args: Mapping[str, str], name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    """One of the enumerated *choices*."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)}, not {raw!r}", name)
    return raw


def parse_query(args: Mapping[str, str]) -> str:
    """The query text, within the length and term limits."""
    q = args.get("q") or ""
    if len(q) > MAX_QUERY_CHARS:
        raise ParameterError(f"q is longer than {MAX_QUERY_CHARS} characters", "q")
    if len(q.split()) > MAX_QUERY_TERMS:
        raise ParameterError(f"q has more than {MAX_QUERY_TERMS} words", "q")
    if "\x00" in q:
        raise ParameterError("q must not contain NUL characters", "q")
    return q.strip()


def parse_search_params(args: Mapping[str, str]) -> SearchParams:
    """Check and convert search arguments.

    :raises ParameterError: naming the first argument that is wrong.
    """
    params = SearchParams(
        q=parse_query(args),
        page=parse_int(args, "page", 1, 1, MAX_PAGE),
        per_page=parse_int(args, "per_page", 10, 1, MAX_PER_PAGE),
        date_from=parse_date(args, "from"),
        date_to=parse_date(args, "to"),
        source=(args.get("source") or "").strip() or None,
        sort=parse_choice(args, "sort", SORTS, None),
        group=parse_choice(args, "group", GROUPS, "article") or "article",
        collapse=parse_choice(args, "collapse", COLLAPSES, "story") or "story",
    )
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise ParameterError("from must not be later than to", "from")
    if params.source is not None and len(params.source) > 200:
        raise ParameterError("source is longer than 200 characters", "source")
    return params
