"""Text and dates as every article reader leaves them.

Three concepts, shared by the readers of :mod:`index.articles` and :mod:`index.html_pages`:

* **Clean text** (:func:`clean_text`) -- Unicode NFC, ``\\n`` line ends, no control characters
  but tabs, no trailing spaces; :func:`one_line` also folds all whitespace into single spaces.
* **JSON values as text** (:func:`json_text`) -- a name given as a string, an object with a
  ``name`` or a list of either, as ``.jsonl`` records and JSON-LD give authors and publishers.
* **Dates** (:func:`parse_date`) -- the ways news files write a date, read into ISO 8601.
* **Web addresses** (:func:`is_web_url`) -- the only URLs an article may carry.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff]")
_LINE_BREAKS = str.maketrans({"\r": "\n", "\v": "\n", "\f": "\n", "\u2028": "\n", "\u2029": "\n"})


def clean_text(text: str) -> str:
    """NFC, ``\\n`` line ends, no control characters but tabs, no trailing spaces on lines."""
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    return "\n".join(line.rstrip() for line in text.split("\n"))


def one_line(text: str | None) -> str:
    """*text* as :func:`clean_text` leaves it, on one line with single spaces; ``""`` for None."""
    return " ".join(clean_text(text).split()) if text else ""


def json_text(value: Any) -> str | None:
    """A JSON value as text: names of people or organisations are joined with ``, ``."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, dict):
        return json_text(value.get("name"))
    if isinstance(value, list):
        return ", ".join(filter(None, map(json_text, value))) or None
    return str(value)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: Layouts of dates as people write them, tried in turn: ``05/03/2020`` is read in US order, as May 3,
#: and a slashed date that cannot be (``13/03/2020``) day first; a dotted one is day first (``05.03.2020``).
_DATE_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d",
                 "%d-%b-%Y", "%Y%m%d")
_TIME_FORMATS = ("%H:%M:%S.%f", "%H:%M:%S", "%H:%M")


def parse_date(text: str) -> str | None:
    """A date or time in ISO 8601, or None when *text* is not one.

    Reads ISO 8601, RFC 2822, ``17 Nov 2024``, ``November 17, 2024``, ``Nov. 17, 2024``,
    ``11/17/2024`` (US order; day first when it cannot be, ``17/11/2024``), ``17.11.2024``,
    ``2024/11/17``, ``20241117`` and Reuters' ``17-NOV-1987 10:30:00.00``.

    >>> parse_date("Nov. 17, 2024")
    '2024-11-17'
    >>> parse_date("05/03/2020"), parse_date("13/03/2020"), parse_date("13.03.2020"), parse_date("20210509")
    ('2020-05-03', '2020-03-13', '2020-03-13', '2021-05-09')
    >>> parse_date("202111"), parse_date("17-NOV-1987 10:30:00 +0500")
    (None, '1987-11-17T10:30:00+05:00')
    >>> parse_date("Sun, 17 Nov 2024 10:30:00 GMT")
    '2024-11-17T10:30:00+00:00'
    >>> parse_date("26-FEB-1987 15:01:01.79")
    '1987-02-26T15:01:01'
    """
    try:
        return _parse_date(" ".join(str(text).split()))
    except (OverflowError, ValueError):  # a year or offset out of range is no date
        return None


_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
# Wire services' 17-NOV-1987 10:30:00.00, sometimes followed by desk codes such as "T C" or "RM".
_WIRE_DATE = re.compile(
    r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:\s?[A-Z]{1,2}){0,4}$"
)


#: A wire date whose time or trailer cannot be read (``31-MAR-1987 605:12:19.12``, ``9-APR-1987 00:00:00.00 #
#: date added by hand``): its day is still the story's.
_WIRE_DAY = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})(?=\s)")


def _parse_wire_date(text: str) -> date | datetime | None:
    """Reuters' ``17-NOV-1987 10:30:00.00``."""
    match = _WIRE_DATE.match(text)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if month is None:
        return None
    day, _, year, hour, minute, second = match.groups()
    if hour is None:
        return date(int(year), month, int(day))
    return datetime(int(year), month, int(day), int(hour), int(minute), int(second or 0))


def _parse_date(text: str) -> str | None:
    if _ISO_DATE.match(text):
        try:
            if len(text) == 10:
                return date.fromisoformat(text).isoformat()
            return datetime.fromisoformat(text).replace(microsecond=0).isoformat()
        except ValueError:
            pass
    parsed = _parse_wire_date(text) or _parse_written_date(text)
    if parsed is None and ":" in text:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    parsed = parsed or _wire_day(text)
    if isinstance(parsed, datetime):
        return parsed.replace(microsecond=0).isoformat()
    return parsed.isoformat() if parsed else None


def _wire_day(text: str) -> date | None:
    """The day of a wire date whose time or trailer no layout reads, as the story's date.

    >>> _wire_day("31-MAR-1987 605:12:19.12"), _wire_day("9-APR-1987 00:00:00.00 # date added by hand")
    (datetime.date(1987, 3, 31), datetime.date(1987, 4, 9))
    """
    day = _WIRE_DAY.match(text)
    month = _MONTHS.get(day.group(2).lower()) if day else None
    return date(int(day.group(3)), month, int(day.group(1))) if month else None


def _parse_written_date(text: str) -> date | datetime | None:
    """Dates as people write them, with an optional time after: strptime over known layouts."""
    text = re.sub(r"^[A-Za-z]+,\s*", "", text)  # a weekday in front
    text = re.sub(r"\b(Sept)\b", "Sep", text.replace(",", " "), flags=re.IGNORECASE)
    text = re.sub(r"\b([A-Za-z]{3,9})\.", r"\1", text)  # Nov. 17
    text = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", text)
    text = " ".join(text.split())
    for layout in _DATE_FORMATS:
        if layout == "%Y%m%d" and not re.fullmatch(r"\d{8}", text):
            continue  # strptime would read 202111 as 2021-01-01
        for with_time in ("", *(" " + t for t in _TIME_FORMATS)):
            try:
                parsed = datetime.strptime(text, layout + with_time)
            except ValueError:
                continue
            return parsed if with_time else parsed.date()
    return None


def is_web_url(value: object) -> bool:
    """Whether *value* is an absolute http(s) URL, the only kind an article page may link to.

    Every reader's URL passes through this check, so ``javascript:``, ``data:`` and relative
    addresses from any format never reach a page as a link.

    >>> is_web_url("https://courier.example/ferry"), is_web_url("javascript:alert(1)")
    (True, False)
    """
    if not isinstance(value, str) or not value:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
