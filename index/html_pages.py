"""Extract a news article's text and metadata from an HTML page.

:func:`extract_page` reads a page (with beautifulsoup4's ``html.parser``) into a
:class:`PageContent`; :func:`index.articles.read_html` makes an ``Article`` of it. Four parts,
in the order a page goes through them:

* **JSON-LD** -- the first object of an article type (``NewsArticle``, ``BlogPosting`` …) in the
  page's ``<script type="application/ld+json">`` blocks: the publisher's own headline, date,
  author, publisher, section and, often, an ``articleBody``.
* **Meta tags** -- Open Graph, ``<meta name>`` and ``itemprop`` values, then the page itself
  (``<link rel=canonical>``, ``<h1>``, ``<title>``, ``<time>``), for what JSON-LD leaves out.
* **Boilerplate removal** -- scripts and form controls go, then navigation, headers, footers,
  sidebars, share buttons, cookie banners and the like, unless they hold most of the page.
* **The container** -- the element holding the article (``itemprop=articleBody``, ``<article>``,
  ``<main>``, else the densest paragraphs or bare text), read one paragraph per line.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, Tag
from bs4.element import PreformattedString

from index.text import is_web_url, json_text, one_line, parse_date

_SOURCE_LINE_BREAK = re.compile(r"\s*[\r\n]\s*")

# Elements that never hold article text; elements that are page furniture unless they hold
# most of the page (a <form> can wrap a whole page); class/id/role words that mark furniture.
_NON_TEXT_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "button", "select",
                  "textarea", "object", "embed"]
_FURNITURE_TAGS = {"nav", "header", "footer", "aside", "form", "dialog", "figcaption"}
_BOILERPLATE = re.compile(
    r"cookie|consent|banner|share|sharing|social|related|comment(?!ary)|newsletter|subscri|promo"
    r"|advert|(?<![a-z])ads?(?![a-z])|sidebar|footer|contentinfo|complementary|(?<![a-z])nav"
    r"|breadcrumb|caption|popup|modal",
    re.IGNORECASE,
)
_CONSENT = re.compile(r"cookie|consent|gdpr", re.IGNORECASE)
_ARTICLE_TYPE = re.compile(r"(Article|BlogPosting)$")
_ARTICLE_BLOCKS = ["p", "h2", "h3", "li"]
_BLOCK_LEVEL = ["address", "article", "blockquote", "dd", "div", "dl", "dt", "figure", "h1", "h2", "h3",
                "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table", "td", "th",
                "tr", "ul"]
#: A JSON-LD ``articleBody`` at least this long can stand in for the text read from the page.
MIN_JSON_LD_BODY = 500


@dataclass(frozen=True)
class PageContent:
    """What a page says about its article: the text, one paragraph per line, and the metadata.

    Values are stripped but not otherwise normalised; ``published`` is the first of the page's
    dates that :func:`index.text.parse_date` reads, as the page writes it.
    """

    title: str | None
    body: str
    published: str | None
    author: str | None
    source: str | None
    url: str | None
    section: str | None


def extract_page(html: str) -> PageContent:
    """The article of a news page.

    Metadata comes from JSON-LD, then Open Graph and ``<meta>`` tags, then the page itself
    (``<h1>``, ``<title>``, ``<time>``). The body is the paragraphs of the page's article element
    (``itemprop=articleBody``, ``<article>``, ``<main>``, else the element holding the most
    paragraph text) with navigation, ads and other boilerplate left out, joined with ``\\n``;
    the JSON-LD ``articleBody`` replaces it when that is long and the page gave much less.
    Broken or truncated markup yields what text there is.

    >>> page = extract_page("<title>Ferry returns</title><article><p>The ferry is back.</p></article>")
    >>> page.title, page.body
    ('Ferry returns', 'The ferry is back.')

    :raises ValueError: when the page holds no article text.
    """
    soup = _parse_html(html)
    json_ld = _json_ld_article(soup)
    fields = _page_metadata(soup, json_ld)
    body = _page_body(soup)
    # The publisher's own articleBody is clean but often cut short and without paragraph breaks;
    # it wins only when reading the page found much less.
    ld_body = _json_ld_text(json_ld.get("articleBody"))
    if len(ld_body) >= MIN_JSON_LD_BODY and len(body) < 0.8 * len(ld_body):
        body = ld_body
    if not body.strip():
        raise ValueError("no article text found")
    return PageContent(body=body, **fields)


def _parse_html(markup: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        # Arbitrary pages trip bs4's usage warnings (an XML prolog, text that looks like a URL);
        # html.parser reads them all the same.
        warnings.simplefilter("ignore", UserWarning)
        return BeautifulSoup(markup, "html.parser")


def _json_ld_article(soup: BeautifulSoup) -> dict:
    """The first JSON-LD object of an article type (``NewsArticle``, ``BlogPosting`` …), or ``{}``."""
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.IGNORECASE)):
        try:
            data = json.loads(script.get_text(), strict=False)
        except ValueError:
            continue
        for node in _json_ld_nodes(data):
            types = node.get("@type")
            for kind in types if isinstance(types, list) else [types]:
                if isinstance(kind, str) and _ARTICLE_TYPE.search(kind):
                    return node
    return {}


def _json_ld_text(value: Any) -> str:
    """Text from a JSON-LD value that may hold markup or HTML entities."""
    text = json_text(value) or ""
    if "<" in text or "&" in text:
        text = _parse_html(text.replace("\n", "<br>")).get_text("\n")
    return text.strip()


def _json_ld_nodes(data: Any, depth: int = 0) -> Iterator[dict]:
    """Every object in a JSON-LD document, outer ones first (``@graph``, lists, nested values)."""
    if depth > 8:
        return
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            yield item
            for value in item.values():
                if isinstance(value, (dict, list)):
                    yield from _json_ld_nodes(value, depth + 1)


def _page_metadata(soup: BeautifulSoup, ld: dict) -> dict[str, str | None]:
    """Title, date, author, source, URL and section from JSON-LD, ``<meta>`` and the page."""
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta", content=True):
        keys = f"{tag.get('property') or ''} {tag.get('name') or ''} {tag.get('itemprop') or ''}"
        for key in keys.lower().split():
            meta.setdefault(key, str(tag["content"]))
    canonical = soup.find("link", rel="canonical", href=True)
    time = _outside_furniture(soup.find_all("time", datetime=True))
    h1, title = _outside_furniture(soup.find_all("h1")), soup.find("title")
    page = ld.get("mainEntityOfPage")
    date_keys = ("article:published_time", "article:published", "datepublished", "date", "pubdate",
                 "publishdate", "dc.date", "dc.date.issued", "parsely-pub-date", "sailthru.date")
    dates = [ld.get("datePublished"), ld.get("dateCreated"), *map(meta.get, date_keys),
             time and time["datetime"]]
    urls = [canonical and canonical["href"], meta.get("og:url"), ld.get("url"),
            page.get("@id") if isinstance(page, dict) else page]
    author_keys = ("author", "article:author", "parsely-author", "dc.creator", "byl")
    authors = [json_text(ld.get("author")), *map(meta.get, author_keys)]
    return {
        "title": _first(json_text(ld.get("headline")), meta.get("og:title"), meta.get("twitter:title"),
                        h1 and h1.get_text(" "), title and title.get_text(" ")),
        "published": next((d for d in dates if isinstance(d, str) and parse_date(d)), None),
        "author": _first(*(re.sub(r"(?i)^by\s+", "", a) for a in authors if a and not is_web_url(a.strip()))),
        "source": _first(json_text(ld.get("publisher")), meta.get("og:site_name")),
        "url": _first(*(u for u in urls if is_web_url(u.strip() if isinstance(u, str) else u))),
        "section": _first(json_text(ld.get("articleSection")), meta.get("article:section")),
    }


def _outside_furniture(tags: list[Tag]) -> Tag | None:
    """The first of *tags* not inside a masthead, menu, footer or sidebar (where a site's logo
    sits in an ``<h1>`` and today's date in a ``<time>``), else the first of them."""
    return next((tag for tag in tags if not tag.find_parent(_looks_like_furniture)), tags[0] if tags else None)


def _first(*values: Any) -> str | None:
    return next((v.strip() for v in values if isinstance(v, str) and v.strip()), None)


def _page_body(soup: BeautifulSoup) -> str:
    """The article text of a page, one paragraph per line."""
    for tag in soup.find_all(_NON_TEXT_TAGS):
        if not tag.decomposed:
            tag.decompose()
    # Line breaks in the page's source are spaces, as a browser shows them; the only line breaks
    # are the ones put at block boundaries below, so that a wrapped paragraph stays one line.
    for string in soup.find_all(string=_SOURCE_LINE_BREAK):
        if not isinstance(string, PreformattedString) and string.find_parent("pre") is None:
            string.replace_with(_SOURCE_LINE_BREAK.sub(" ", string))
    for tag in soup.find_all(["br", *_BLOCK_LEVEL]):
        tag.insert_after("\n")
        if tag.name == "br":
            tag.decompose()
        else:
            tag.insert_before("\n")
    _drop_furniture(soup)
    container = _article_container(soup)
    whole_page = container.name in ("body", "[document]")
    paragraphs = list(_block_texts(container, ["p"] if whole_page else _ARTICLE_BLOCKS))
    # An article body written as bare text with <br>s or <div>s has few or no paragraphs.
    if not whole_page and 2 * sum(map(len, paragraphs)) < _text_weight(container):
        paragraphs = [line for line in map(one_line, container.get_text().split("\n")) if line]
    return "\n".join(paragraphs)


def _drop_furniture(soup: BeautifulSoup) -> None:
    """Remove navigation, headers, footers, sidebars, share buttons, cookie banners and the like.

    An element holding most of the page's text is kept, whatever its name: a wrapper such as
    ``<form>`` or ``<div class="page with-sidebar">`` can hold the article itself.
    """
    total = _text_weight(soup)
    for tag in soup.find_all(_looks_like_furniture):
        if not tag.decomposed and (2 * _text_weight(tag) <= total or _is_consent_notice(tag)):
            tag.decompose()


def _is_consent_notice(tag: Tag) -> bool:
    """A cookie or consent notice, which never holds an article, however much of the page it fills."""
    return bool(_CONSENT.search(" ".join([*(tag.get("class") or []), str(tag.get("id") or "")])))


def _looks_like_furniture(tag: Tag) -> bool:
    if tag.name in _FURNITURE_TAGS:
        return True
    if tag.name in ("html", "body") or not tag.attrs:
        return False
    classes = tag.get("class") or []
    words = " ".join([*classes, str(tag.get("id") or ""), str(tag.get("role") or "")])
    return bool(_BOILERPLATE.search(words))


def _article_container(soup: BeautifulSoup) -> Tag:
    """The element holding the article.

    In order: the element marked ``itemprop=articleBody``, the element holding several ``<article>``
    elements of a size (:func:`_entries_container`), the ``<article>``, the ``<main>``,
    the element holding the most paragraph text, the block holding the most bare text
    (pages without ``<p>``), the whole page. A candidate holding little of
    the page's text (a teaser ``<article>``, a stray marker) is passed over.
    """
    total = _text_weight(soup)
    tiers = ((lambda: soup.find_all(itemprop="articleBody"), 10),
             (lambda: [_entries_container(soup, total / 4)], 4), (lambda: soup.find_all("article"), 4),
             (lambda: soup.find_all("main"), 4), (lambda: [_densest_paragraph_parent(soup)], 4),
             (lambda: [_densest_text_block(soup)], 4))
    for candidates, share in tiers:
        best = max(filter(None, candidates()), key=_text_weight, default=None)
        # The marker of a teaser or a stray element holds little of the page's text.
        if best is not None and share * _text_weight(best) >= total:
            return best
    return soup.body or soup


def _entries_container(soup: BeautifulSoup, least: float) -> Tag | None:
    """When a page holds several ``<article>`` elements of a size side by side -- the entries of a live
    page, the dispatches of a round-up: each holds at least half as much text as the largest, and
    they share its parent -- an element holding them and nothing else (made here, where they stood),
    so that none is left out and nothing between them is taken in; ``None`` for a page with one
    article (and teasers elsewhere), or whose entries hold less text than *least* (the page is then
    left as it was).

    >>> soup = _parse_html("<main><h1>Storms</h1><article><p>Norway storm.</p></article><p>Sign up!</p>"
    ...                    "<article><p>Danish storm.</p></article></main>")
    >>> _entries_container(soup, 0).get_text(" ", strip=True)
    'Norway storm. Danish storm.'
    """
    outermost = [tag for tag in soup.find_all("article") if tag.find_parent("article") is None]
    weights = {id(tag): _text_weight(tag) for tag in outermost}
    largest = max(outermost, key=lambda tag: weights[id(tag)], default=None)
    if largest is None or not weights[id(largest)]:
        return None
    entries = [tag for tag in outermost
               if tag.parent is largest.parent and 2 * weights[id(tag)] >= weights[id(largest)]]
    if len(entries) < 2 or sum(weights[id(entry)] for entry in entries) < least:
        return None
    holder = soup.new_tag("div")
    entries[0].insert_before(holder)
    for entry in entries:
        holder.append(entry.extract())
    return holder


def _densest_paragraph_parent(soup: BeautifulSoup) -> Tag | None:
    """The element whose child (and, at half weight, grandchild) paragraphs hold the most text
    outside links: a list of linked headlines in paragraphs is not a story."""
    scores: dict[int, float] = {}
    tags: dict[int, Tag] = {}
    for p in soup.find_all("p"):
        chars = _text_weight(p)
        for weight, parent in zip((1.0, 0.5), (p.parent, p.parent and p.parent.parent)):
            if isinstance(parent, Tag) and parent.name not in ("html", "[document]"):
                tags[id(parent)] = parent
                scores[id(parent)] = scores.get(id(parent), 0.0) + weight * chars
    return tags[max(scores, key=scores.__getitem__)] if scores else None


def _densest_text_block(soup: BeautifulSoup) -> Tag | None:
    """The block-level element holding the most text outside links, counting only its own text."""
    scores: dict[int, int] = {}
    tags: dict[int, Tag] = {}
    for string in soup.find_all(string=True):
        if isinstance(string, PreformattedString) or string.find_parent("a"):
            continue
        block = string.find_parent(_BLOCK_LEVEL)
        if block is not None:
            tags[id(block)] = block
            scores[id(block)] = scores.get(id(block), 0) + len(string.strip())
    return tags[max(scores, key=scores.__getitem__)] if scores else None


def _text_weight(tag: Tag) -> int:
    """How much text *tag* holds outside links: menus and link lists weigh little."""
    text = sum(len(s) for s in tag.stripped_strings)
    return text - sum(len(s) for link in tag.find_all("a") for s in link.stripped_strings)


def _block_texts(container: Tag, blocks: list[str]) -> Iterator[str]:
    """The text of each paragraph-like element in *container*, one line each."""
    for block in container.find_all(blocks):
        if block.name == "li" and _link_share(block) > 0.5:
            continue  # a menu or a list of links, not a point in the text
        if block.find(blocks):  # nested blocks are read on their own; keep only the text between
            strings = (s for s in block.find_all(string=True) if s.find_parent(blocks) is block)
            text = "".join(s for s in strings if not isinstance(s, PreformattedString))
        else:
            text = block.get_text()
        for line in text.split("\n"):
            if line := " ".join(line.split()):
                yield line


def _link_share(tag: Tag) -> float:
    text = len(tag.get_text().strip()) or 1
    return sum(len(a.get_text().strip()) for a in tag.find_all("a")) / text
