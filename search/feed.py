"""A search as an Atom feed (RFC 4287), so a person can follow a query in any feed reader.

* :func:`results_feed` -- the Atom document of a page of :class:`search.results.Results`: one entry
  per article, its best passage (escaped, matches in ``<mark>``) as an HTML summary;
* :func:`atom_time` -- a stored publication date as the RFC 3339 time Atom requires.

Built with :mod:`xml.etree.ElementTree`, which escapes every text it writes. URLs are passed in,
so this module knows nothing of Flask.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.etree import ElementTree

from search.results import Hit, Results

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
#: Characters XML 1.0 does not allow, even escaped (control characters, unpaired surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ElementTree.register_namespace("", ATOM)


@dataclass(frozen=True)
class FeedLinks:
    """Where the feed and its articles live: the feed itself, the same search as a page, and the
    page of each article (by id); ``next``/``previous`` pages of the feed when there are any."""

    feed: str
    page: str
    article: Callable[[str], str]
    next: str | None = None
    previous: str | None = None


def atom_time(published: str | None) -> str | None:
    """An ISO date or date-time as RFC 3339; a time without an offset is taken as UTC.

    >>> atom_time("2024-11-20"), atom_time("1987-02-26T15:01:01")
    ('2024-11-20T00:00:00Z', '1987-02-26T15:01:01Z')
    """
    try:
        moment = datetime.fromisoformat(published) if published else None
    except ValueError:
        return None
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def xml_text(text: str) -> str:
    """*text* without the characters XML cannot carry."""
    return _NOT_XML.sub("", text)


def results_feed(results: Results, title: str, links: FeedLinks, updated: datetime) -> bytes:
    """The Atom feed of *results* (UTF-8 XML).

    :param updated: when the feed last changed if none of its entries is dated (the index's last commit).
    """
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    times = [time for hit in results.hits if (time := atom_time(hit.published))]
    newest = max(times, default=None) or atom_time(updated.isoformat())
    _add(feed, "id", links.feed)
    _add(feed, "title", title)
    _add(feed, "updated", newest)
    _add(feed, "generator", "news-search")
    _link(feed, links.feed, "self", MEDIA_TYPE)
    _link(feed, links.page, "alternate", "text/html")
    for rel, href in (("next", links.next), ("previous", links.previous)):
        if href:
            _link(feed, href, rel, MEDIA_TYPE)
    _add(_add(feed, "author"), "name", "News search")
    for hit in results.hits:
        feed.append(entry(hit, links, newest))
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


def entry(hit: Hit, links: FeedLinks, fallback_time: str) -> ElementTree.Element:
    """One article as an Atom entry; *fallback_time* stands in for a missing date (Atom requires one)."""
    item = ElementTree.Element(f"{{{ATOM}}}entry")
    page = links.article(hit.article_id)
    _add(item, "id", page)
    _add(item, "title", hit.title or hit.article_id)
    published = atom_time(hit.published)
    _add(item, "updated", published or fallback_time)
    if published:
        _add(item, "published", published)
    _link(item, page, "alternate", "text/html")
    if hit.url and hit.url.startswith(("http://", "https://")):
        _link(item, hit.url, "related", "text/html")
    if hit.source:
        _add(_add(item, "author"), "name", hit.source)
    if hit.passages:
        summary = _add(item, "summary", hit.passages[0].snippet)
        summary.set("type", "html")
    return item


def _add(parent: ElementTree.Element, name: str, text: str | None = None) -> ElementTree.Element:
    child = ElementTree.SubElement(parent, f"{{{ATOM}}}{name}")
    if text is not None:
        child.text = xml_text(text)
    return child


def _link(parent: ElementTree.Element, href: str, rel: str, media_type: str) -> None:
    ElementTree.SubElement(parent, f"{{{ATOM}}}link", {"rel": rel, "type": media_type, "href": xml_text(href)})
