"""Search parameters: read from a mapping (``request.args`` or CLI options) into a checked :class:`SearchParams`.

>>> parse_search_params({"q": "missiles", "per_page": "5"}).per_page
5

The same search given as a JSON object (``POST /api/search``) is read by :func:`parse_search_body`, and
:func:`check_names` refuses the names an endpoint does not take; :func:`sources_named` is which sources
a source filter names, the rule every backend follows.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
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
#: The largest JSON body of a search (``POST /api/search``): a longest query, escaped, and the rest, many times over.
MAX_BODY_BYTES = 64 * 1024
#: Related articles returned by default, and at most.
RELATED_LIMIT = 10
MAX_RELATED_LIMIT = 50

#: The parameters of a search (``/api/search``, ``/search.atom``, the search page), of an article
#: (``/api/articles/<id>``) and of its related articles (``/api/articles/<id>/related``).
SEARCH_NAMES = ("q", "page", "per_page", "from", "to", "source", "sort", "group", "collapse", "recency", "explain")
ARTICLE_NAMES = ("q",)
RELATED_NAMES = ("limit",)
#: Names other search APIs give our parameters, each with ours; a hint is given only for a name the endpoint takes.
OTHER_NAMES = {"limit": "per_page", "size": "per_page", "per-page": "per_page", "query": "q", "per_page": "limit"}
#: The parameters a search body gives as JSON integers; the others are strings.
INTEGER_NAMES = ("page", "per_page")
#: The parameters a search body gives as JSON numbers, and as JSON booleans.
NUMBER_NAMES = ("recency",)
BOOLEAN_NAMES = ("explain",)
#: The longest half-life ``recency`` takes, in days (a thousand years: beyond it, the decay is nothing).
MAX_RECENCY_DAYS = 365_250
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")

#: A word of a source's name, as a source filter matches it.
_NAME_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"[0-9]+")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ParameterError(NewsSearchError):
    """A search parameter is missing, malformed or out of range."""

    code = "invalid_parameter"


class UnknownParameter(ParameterError):
    """A request names a parameter the endpoint does not take: misspelt, or another API's name for one of ours."""

    code = "unknown_parameter"


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
    #: A half-life in days: relevance decays by half for each such age behind the newest match (``None``: off).
    recency: float | None = None
    #: Whether each result carries the components of its score.
    explain: bool = False

    @property
    def effective_sort(self) -> str:
        """The order actually used."""
        return self.sort or ("relevance" if self.q.strip() else "newest")

    def to_args(self, **changes: object) -> dict[str, str]:
        """The parameters as URL query arguments (defaults left out), with *changes* applied."""
        values = {
            "q": self.q, "page": self.page, "per_page": self.per_page, "from": self.date_from,
            "to": self.date_to, "source": self.source, "sort": self.sort, "group": self.group,
            "collapse": self.collapse, "recency": None if self.recency is None else f"{self.recency:g}",
            "explain": "1" if self.explain else None,
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
    digits = raw.strip()
    if not _DIGITS.fullmatch(digits):
        raise ParameterError(f"{name} must be a whole number, not {raw!r}", name)
    # Past nine digits a number is out of range, and past thousands Python will not even convert it.
    value = int(digits) if len(digits.lstrip("0")) <= 9 else high + 1
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


def parse_recency(args: Mapping[str, str]) -> float | None:
    """The half-life of ``recency``: a positive number of days, at most :data:`MAX_RECENCY_DAYS`."""
    raw = (args.get("recency") or "").strip()
    if not raw:
        return None
    if not _NUMBER.fullmatch(raw):
        raise ParameterError(f"recency must be a positive number of days, not {raw!r}", "recency")
    days = float(raw)
    if not 0 < days <= MAX_RECENCY_DAYS:
        raise ParameterError(f"recency must be more than 0 and at most {MAX_RECENCY_DAYS} days", "recency")
    return days


def parse_flag(args: Mapping[str, str], name: str) -> bool:
    """A yes-or-no argument: ``1`` or ``true`` for yes, ``0``, ``false`` or nothing for no."""
    raw = (args.get(name) or "").strip().lower()
    if raw not in ("", "0", "1", "true", "false"):
        raise ParameterError(f"{name} must be 1 or 0 (or true or false), not {raw!r}", name)
    return raw in ("1", "true")


def parse_choice(args: Mapping[str, str], name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    """One of the enumerated *choices*."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)}, not {raw!r}", name)
    return raw


def parse_query(args: Mapping[str, str]) -> str:
    """The query text, within the length and term limits, in Unicode NFC as the index holds text (a
    letter and its accent typed apart, as text copied from some systems comes, find the letter)."""
    q = unicodedata.normalize("NFC", args.get("q") or "")
    if len(q) > MAX_QUERY_CHARS:
        raise ParameterError(f"q is longer than {MAX_QUERY_CHARS} characters", "q")
    if len(q.split()) > MAX_QUERY_TERMS:
        raise ParameterError(f"q has more than {MAX_QUERY_TERMS} words", "q")
    if "\x00" in q:
        raise ParameterError("q must not contain NUL characters", "q")
    return q.strip()


def check_names(args: Collection[str], known: tuple[str, ...]) -> None:
    """Refuse any name in *args* (a mapping's keys) that is not one of *known*: an API that ignored it would
    answer another question than the one asked (``?limit=2`` for ``?per_page=2``) without saying so.

    >>> check_names({"q": "yen", "limit": "2"}, SEARCH_NAMES)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    search.params.UnknownParameter: unknown parameter limit (did you mean per_page?); known: q, page, per_page, ...

    :raises UnknownParameter: naming the first unknown name (the message names them all).
    """
    unknown = [name for name in args if name not in known]
    if unknown:
        names = ", ".join(f"{name} (did you mean {meant}?)" if (meant := _meant(name, known)) else name
                          for name in unknown)
        noun = "parameter" if len(unknown) == 1 else "parameters"
        takes = f"known: {', '.join(known)}" if known else "this endpoint takes none"
        raise UnknownParameter(f"unknown {noun} {names}; {takes}", unknown[0])


def _meant(name: str, known: tuple[str, ...]) -> str | None:
    """The known name an unknown *name* most likely stands for: ours for another API's, or a near spelling."""
    other = OTHER_NAMES.get(name.lower())
    if other in known:
        return other
    alike = [known_name for known_name in known if abs(len(known_name) - len(name)) <= 2]  # a misspelling, not a prefix
    return next(iter(difflib.get_close_matches(name.lower(), alike, n=1, cutoff=0.75)), None)


def parse_search_body(body: object) -> SearchParams:
    """Check and convert a search given as a JSON object (the body of ``POST /api/search``).

    It takes the names of :data:`SEARCH_NAMES`: ``page`` and ``per_page`` as JSON integers, ``recency`` as a
    number, ``explain`` as true or false, the others as strings, and ``null`` as if the name were left out;
    then it is checked as the same arguments in a URL are.

    >>> parse_search_body({"q": "missiles", "per_page": 5}) == parse_search_params({"q": "missiles", "per_page": "5"})
    True

    :raises ParameterError: for a body that is not an object, or a value of the wrong type (or one that is wrong).
    :raises UnknownParameter: for a name a search does not take.
    """
    if not isinstance(body, dict):
        raise ParameterError(f"the body must be a JSON object of search parameters, not {_json_type(body)}")
    check_names(body, SEARCH_NAMES)
    args = {}
    for name, value in body.items():
        if value is None:
            continue
        if name in INTEGER_NAMES:
            if type(value) is not int:  # a bool is an int to Python, not to JSON
                raise ParameterError(f"{name} must be a whole number, not {_json_type(value)}", name)
            args[name] = str(value)
        elif name in NUMBER_NAMES:
            if type(value) not in (int, float):
                raise ParameterError(f"{name} must be a number, not {_json_type(value)}", name)
            args[name] = repr(value)
        elif name in BOOLEAN_NAMES:
            if type(value) is not bool:
                raise ParameterError(f"{name} must be true or false, not {_json_type(value)}", name)
            args[name] = "1" if value else "0"
        elif isinstance(value, str):
            args[name] = value
        else:
            raise ParameterError(f"{name} must be a string, not {_json_type(value)}", name)
    return parse_search_params(args)


_JSON_TYPES = {type(None): "null", bool: "true or false", int: "a number", float: "a number", str: "a string",
               list: "an array", dict: "an object"}


def _json_type(value: object) -> str:
    """What *value* is, in JSON's words."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


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
        recency=parse_recency(args),
        explain=parse_flag(args, "explain"),
    )
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise ParameterError("from must not be later than to", "from")
    if params.source is not None and len(params.source) > 200:
        raise ParameterError("source is longer than 200 characters", "source")
    return params


def sources_named(text: str, names: Iterable[str]) -> list[str]:
    """The *names* (of sources) that a source filter *text* names: the one name it spells out, in any
    case, else every name that holds its words, whole and in order ("bbc" and "news" name "BBC News";
    "bb" does not). A filter that names one source exactly is not widened to others that contain it.

    >>> sources_named("bbc", ["BBC News", "Sky News", "Reuters"])
    ['BBC News']
    >>> sources_named("News", ["BBC News", "Sky News", "Reuters"])
    ['BBC News', 'Sky News']
    >>> sources_named("bbc news", ["BBC News", "BBC News Online"])
    ['BBC News']
    """
    names = list(names)
    wanted = text.casefold().strip()
    exact = [name for name in names if name.casefold().strip() == wanted]
    if exact:
        return exact
    words = _NAME_WORD.findall(wanted)
    if not words:
        return []
    return [name for name in names if _holds_run(_NAME_WORD.findall(name.casefold()), words)]


def _holds_run(words: list[str], run: list[str]) -> bool:
    """Whether *run* occurs in *words* as consecutive whole words."""
    return any(words[start : start + len(run)] == run for start in range(len(words) - len(run) + 1))
