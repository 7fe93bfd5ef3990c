"""Read news article files into :class:`Article` records.

Formats (each also gzip-compressed, ``name.ext.gz``):

* ``.txt`` -- an optional header of ``Key: value`` lines ended by a blank line, then the body;
* ``.jsonl`` -- one JSON article per line (``body`` or ``text``);
* ``.html``/``.htm`` -- a news page, read with beautifulsoup4.

A file that cannot be read becomes a :class:`Skipped` record naming the path and the reason,
and reading goes on with the next file.

:func:`read_articles` is the entry point: it finds the files under the paths given
(:func:`find_article_files`) and reads them (:func:`read_files`, one file: :func:`read_file`),
dropping repeated articles.
Bodies come out normalised the same way for every format: Unicode NFC, ``\\n`` line ends,
no control characters, one paragraph per line.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import os
import re
import unicodedata
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO

from bs4 import BeautifulSoup, Tag
from bs4.element import PreformattedString

#: The article file suffixes; each may also end in ``.gz``.
SUFFIXES = (".txt", ".html", ".htm", ".jsonl")
#: An article (a ``.txt``/``.html`` file, or one ``.jsonl`` line) larger than this is skipped.
MAX_ARTICLE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Article:
    """One news article, as read from a file.

    ``published`` is ISO 8601 (``2024-11-17`` or ``2024-11-17T09:30:00+00:00``);
    ``path`` is the file it came from, ``line`` its line number in a ``.jsonl`` file.
    """

    id: str
    title: str
    body: str
    path: str
    published: str | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    section: str | None = None
    line: int | None = None

    @property
    def content_hash(self) -> str:
        """A hash of everything indexed about the article; a change means it must be replaced."""
        fields = asdict(self)
        del fields["path"], fields["line"]
        data = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    def to_json(self) -> dict:
        """The record as ``news-search extract --json`` prints it."""
        return {k: v for k, v in asdict(self).items() if k != "line"}


@dataclass(frozen=True)
class Skipped:
    """A file (or one line of a ``.jsonl`` file) that could not be read, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


# --- finding and reading files ------------------------------------------------------------------


def read_articles(paths: Iterable[str | os.PathLike]) -> Iterator[Article | Skipped]:
    """Read every article under *paths* (files or folders, read recursively).

    The same as ``read_files(find_article_files(paths))``. Bad input never raises; it becomes
    a :class:`Skipped` record.
    """
    return read_files(find_article_files(paths))


def read_files(found: Iterable[tuple[Path, Path] | Skipped]) -> Iterator[Article | Skipped]:
    """Read the files :func:`find_article_files` found; its :class:`Skipped` records pass through.

    An article whose id was already read in this run is skipped with a reason, unless it is
    the very same article (same :attr:`Article.content_hash`): that one is silently read once.
    Taking the files found lets a caller show progress over them.
    """
    first_read: dict[str, tuple[str, str]] = {}  # id -> (content hash, where it was read)
    for item in found:
        if isinstance(item, Skipped):
            yield item
            continue
        for read in read_file(*item):
            if isinstance(read, Article):
                where = read.path if read.line is None else f"{read.path}:{read.line}"
                if read.id in first_read:
                    content_hash, first_where = first_read[read.id]
                    if content_hash != read.content_hash:
                        yield Skipped(where, f"duplicate id {read.id} (first read from {first_where})")
                    continue
                first_read[read.id] = (read.content_hash, where)
            yield read


def find_article_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, Path] | Skipped]:
    """Yield ``(file, root)`` for every article file under *paths*.

    Folders are read recursively in name order, skipping hidden names and files of other
    types; ``root`` is the folder given, or the file's own folder for a file given directly.
    Missing paths, broken links, unreadable folders and symlink loops are :class:`Skipped`.
    """
    for given in paths:
        path = Path(given)
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except OSError as exc:
            yield Skipped(str(path), _os_reason(exc))
            continue
        if is_dir:
            yield from _walk(path)
        elif not exists:
            reason = _broken_link_reason(path) if path.is_symlink() else "no such file or directory"
            yield Skipped(str(path), reason)
        elif _article_format(path) is None:
            yield Skipped(str(path), "unsupported file type")
        else:
            yield path, path.parent


def _walk(root: Path) -> Iterator[tuple[Path, Path] | Skipped]:
    """The article files under *root*: each folder's files, then its subfolders, by name."""
    first_seen: dict[str, Path] = {}  # real path of a folder -> the path it was first read as
    pending: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while pending:
        folder, ancestors = pending.pop()
        # Following links can lead back to a folder being read, or to one read already.
        real = os.path.realpath(folder)
        if real in ancestors:
            yield Skipped(str(folder), f"symlink loop (back to {first_seen[real]})")
            continue
        if real in first_seen:
            yield Skipped(str(folder), f"same folder as {first_seen[real]}, read once")
            continue
        first_seen[real] = folder
        try:
            with os.scandir(folder) as scan:
                entries = sorted((e for e in scan if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(str(folder), _os_reason(exc))
            continue
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            if _entry_is_dir(entry):
                subfolders.append(path)
            elif _article_format(path) is None:
                continue
            elif os.path.exists(path):
                yield path, root
            else:
                yield Skipped(str(path), _broken_link_reason(path))
        pending.extend((sub, ancestors + (real,)) for sub in reversed(subfolders))


def _entry_is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False  # reported when the entry is read as a file, if it is an article


def _broken_link_reason(path: Path) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == getattr(os, "ELOOP", 40) or "loop" in str(exc).lower():
            return "symlink loop"
        return f"broken symbolic link: {_os_reason(exc)}"
    return "broken symbolic link"


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _article_format(path: Path) -> tuple[str, bool] | None:
    """``(suffix, gzipped)`` of an article file, or None for other files."""
    name = path.name.lower()
    gzipped = name.endswith(".gz")
    if gzipped:
        name = name[:-3]
    suffix = next((s for s in SUFFIXES if name.endswith(s)), None)
    return (suffix, gzipped) if suffix else None


def read_file(path: Path, root: Path) -> Iterator[Article | Skipped]:
    """All articles of one file: one for ``.txt``/``.html``, one per line for ``.jsonl``.

    :param root: the folder given to read; ids fall back to the path relative to it.
    """
    fmt = _article_format(path)
    if fmt is None:
        yield Skipped(str(path), "unsupported file type")
        return
    suffix, gzipped = fmt
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.name
    try:
        if suffix == ".jsonl":
            yield from _read_jsonl(path, relative, gzipped)
        else:
            data = _read_whole(path, gzipped)
            if suffix == ".txt":
                yield _txt_article(_decode(data), str(path), relative)
            else:
                article = read_html(data, str(path))
                yield article if article.url else replace(article, id=relative)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield Skipped(str(path), f"corrupt gzip: {exc}")
    except OSError as exc:
        yield Skipped(str(path), _os_reason(exc))
    except (ValueError, RecursionError) as exc:
        yield Skipped(str(path), str(exc) or type(exc).__name__)


def _open(path: Path, gzipped: bool) -> BinaryIO:
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _read_whole(path: Path, gzipped: bool) -> bytes:
    """A file's bytes, at most :data:`MAX_ARTICLE_BYTES` of them (decompressed)."""
    with _open(path, gzipped) as file:
        # Reading one byte past the limit tells a file at the limit from a bigger one.
        data = file.read(MAX_ARTICLE_BYTES + 1)
    if len(data) > MAX_ARTICLE_BYTES:
        raise ValueError(f"article larger than {MAX_ARTICLE_BYTES // 2**20} MB")
    if not data:
        raise ValueError("empty file")
    return data


# --- the three formats --------------------------------------------------------------------------

_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z -]{0,30}):(?:\s+(.*))?$")
_HEADER_KEYS = {
    "title": "title", "published": "published", "date": "published", "source": "source",
    "url": "url", "author": "author", "id": "id", "section": "section",
}
MAX_TITLE_CHARS = 200


def _txt_article(text: str, path: str, relative: str) -> Article:
    """An article from a ``.txt`` file's text.

    The header is used only if every line before the first blank line is a known
    ``Key: value`` line; otherwise the whole file is the body. The title is the header's Title;
    else, in a file without a header laid out as "headline, blank line, paragraphs", the
    headline, taken out of the body; else the first line of the body, left in the body.
    """
    lines = _clean_text(text).strip("\n").split("\n")
    blank = lines.index("") if "" in lines else len(lines)
    header = _txt_header(lines[:blank])
    if header is None:
        title, body = _split_headline("\n".join(lines)) or ("", "\n".join(lines))
        return _article(path=path, title=title, body=body, fallback_id=relative)
    # Without a Title the first line of the body stands in for one (see _article).
    return _article(path=path, body="\n".join(lines[blank + 1 :]), fallback_id=relative, **header)


def _split_headline(text: str) -> tuple[str, str] | None:
    """A text laid out as "headline, blank line, paragraphs" split into headline and body, else None."""
    headline, blank, body = _clean_text(text).strip("\n").partition("\n\n")
    if blank and "\n" not in headline and len(headline) <= MAX_TITLE_CHARS and body.strip():
        return headline, body
    return None


def _txt_header(lines: list[str]) -> dict[str, str] | None:
    """The header fields, or None when these lines are not all known ``Key: value`` lines."""
    fields: dict[str, str] = {}
    for line in lines:
        match = _HEADER_LINE.match(line)
        key = _HEADER_KEYS.get(match.group(1).strip().lower()) if match else None
        if key is None:
            return None
        fields.setdefault(key, (match.group(2) or "").strip())
    return fields or None


def _read_jsonl(path: Path, relative: str, gzipped: bool) -> Iterator[Article | Skipped]:
    """The articles of a JSON Lines file, read a line at a time (never the whole file)."""
    with _open(path, gzipped) as raw:
        head = raw.read(8192)
        if not head:
            yield Skipped(str(path), "empty file")
            return
        raw.seek(0)
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if not utf16 and _looks_binary(head):
            yield Skipped(str(path), "binary file, not text")
            return
        file: Any = io.TextIOWrapper(raw, "utf-16", errors="replace") if utf16 else raw
        for number, line in enumerate(_bounded_lines(file, MAX_ARTICLE_BYTES), start=1):
            where = f"{path}:{number}"
            try:
                if line is None:
                    raise ValueError(f"article larger than {MAX_ARTICLE_BYTES // 2**20} MB")
                text = line if isinstance(line, str) else _decode(line)
                if text.strip():
                    yield _jsonl_article(text, str(path), f"{relative}#{number}", number)
            except ValueError as exc:
                yield Skipped(where, str(exc))


def _bounded_lines(file: Any, limit: int) -> Iterator[bytes | str | None]:
    """The lines of *file*; None in place of a line longer than *limit*, whose rest is skipped."""
    while line := file.readline(limit + 1):
        if len(line) <= limit or line[-1:] in ("\n", b"\n"):
            yield line
            continue
        while (rest := file.readline(1 << 20)) and rest[-1:] not in ("\n", b"\n"):
            pass
        yield None


def _jsonl_article(text: str, path: str, fallback_id: str, line: int) -> Article:
    """An article from one line of a ``.jsonl`` file."""
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"invalid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise ValueError(f"not a JSON object but {type(record).__name__}")
    if "body" not in record and "text" not in record:
        raise ValueError("no 'body' or 'text' field")
    body = _json_text(record.get("body")) or _json_text(record.get("text")) or ""
    fields = {key: _json_text(record.get(key)) for key in ("id", "url", "source", "author", "section")}
    published = _json_text(record.get("published")) or _json_text(record.get("date"))
    title = _json_text(record.get("title"))
    if not title:  # text that starts with its headline, as in the BBC News data set
        title, body = _split_headline(body) or ("", body)
    return _article(path=path, title=title, body=body, published=published, fallback_id=fallback_id,
                    line=line, **fields)


def _json_text(value: Any) -> str | None:
    """A JSON value as text: names of people or organisations are joined with ``, ``."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, dict):
        return _json_text(value.get("name"))
    if isinstance(value, list):
        return ", ".join(filter(None, map(_json_text, value))) or None
    return str(value)


def _article(*, path: str, body: str, fallback_id: str, title: str | None = None, id: str | None = None,
             url: str | None = None, published: str | None = None, source: str | None = None,
             author: str | None = None, section: str | None = None, line: int | None = None) -> Article:
    """An :class:`Article` with normalised text.

    Its id is *id*, else *url*, else *fallback_id*; its title is *title*, else the body's first line.
    """
    body = "\n".join(text for text in _clean_text(body).split("\n") if text.strip()).strip()
    if not body:
        raise ValueError("no body text")
    url = _one_line(url) or None
    return Article(
        id=_one_line(id) or url or fallback_id,
        title=_shorten(_one_line(title) or _one_line(body.split("\n", 1)[0])),
        body=body,
        path=path,
        published=parse_date(published) if published else None,
        source=_one_line(source) or None,
        url=url,
        author=_one_line(author) or None,
        section=_one_line(section) or None,
        line=line,
    )


# --- HTML pages ---------------------------------------------------------------------------------

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
_ARTICLE_TYPE = re.compile(r"(Article|BlogPosting)$")
_ARTICLE_BLOCKS = ["p", "h2", "h3", "li"]
_BLOCK_LEVEL = ["address", "article", "blockquote", "dd", "div", "dl", "dt", "figure", "h1", "h2", "h3",
                "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table", "td", "th",
                "tr", "ul"]
#: A JSON-LD ``articleBody`` at least this long can stand in for the text read from the page.
MIN_JSON_LD_BODY = 500


def read_html(html: str | bytes, path: str, article_id: str | None = None) -> Article:
    """An article from a news page.

    Metadata comes from JSON-LD, then Open Graph and ``<meta>`` tags, then the page itself
    (``<h1>``, ``<title>``, ``<time>``). The body is the paragraphs of the page's article element
    (``itemprop=articleBody``, ``<article>``, ``<main>``, else the element holding the most
    paragraph text) with navigation, ads and other boilerplate left out, joined with ``\\n``;
    the JSON-LD ``articleBody`` replaces it when that is long and the page gave much less.
    Broken or truncated markup yields what text there is.

    :param article_id: the article's id; default its canonical URL, else *path*.
    :raises ValueError: when the page holds no article text.
    """
    soup = _parse_html(html if isinstance(html, str) else _decode(html, html=True))
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
    return _article(path=path, body=body, fallback_id=path, id=article_id, **fields)


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
    text = _json_text(value) or ""
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
    time = soup.find("time", datetime=True)
    h1, title = soup.find("h1"), soup.find("title")
    page = ld.get("mainEntityOfPage")
    date_keys = ("article:published_time", "article:published", "datepublished", "date", "pubdate",
                 "publishdate", "dc.date", "dc.date.issued", "parsely-pub-date", "sailthru.date")
    dates = [ld.get("datePublished"), ld.get("dateCreated"), *map(meta.get, date_keys),
             time and time["datetime"]]
    urls = [canonical and canonical["href"], meta.get("og:url"), ld.get("url"),
            page.get("@id") if isinstance(page, dict) else page]
    author_keys = ("author", "article:author", "parsely-author", "dc.creator", "byl")
    authors = [_json_text(ld.get("author")), *map(meta.get, author_keys)]
    return {
        "title": _first(_json_text(ld.get("headline")), meta.get("og:title"), meta.get("twitter:title"),
                        h1 and h1.get_text(" "), title and title.get_text(" ")),
        "published": next((d for d in dates if isinstance(d, str) and parse_date(d)), None),
        "author": _first(*(re.sub(r"(?i)^by\s+", "", a) for a in authors if a and not _is_url(a))),
        "source": _first(_json_text(ld.get("publisher")), meta.get("og:site_name")),
        "url": _first(*(u for u in urls if _is_url(u))),
        "section": _first(_json_text(ld.get("articleSection")), meta.get("article:section")),
    }


def _first(*values: Any) -> str | None:
    return next((v.strip() for v in values if isinstance(v, str) and v.strip()), None)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(("http://", "https://"))


def _page_body(soup: BeautifulSoup) -> str:
    """The article text of a page, one paragraph per line."""
    for tag in soup.find_all(_NON_TEXT_TAGS):
        if not tag.decomposed:
            tag.decompose()
    # Line breaks at block boundaries only, so that inline markup never splits a sentence.
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
        paragraphs = [line for line in map(_one_line, container.get_text().split("\n")) if line]
    return "\n".join(paragraphs)


def _drop_furniture(soup: BeautifulSoup) -> None:
    """Remove navigation, headers, footers, sidebars, share buttons, cookie banners and the like.

    An element holding most of the page's text is kept, whatever its name: a wrapper such as
    ``<form>`` or ``<div class="page with-sidebar">`` can hold the article itself.
    """
    total = _text_weight(soup)
    for tag in soup.find_all(_looks_like_furniture):
        if not tag.decomposed and 2 * _text_weight(tag) <= total:
            tag.decompose()


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

    In order: the element marked ``itemprop=articleBody``, the ``<article>``, the ``<main>``,
    the element holding the most paragraph text, the block holding the most bare text
    (pages without ``<p>``), the whole page. A candidate holding little of
    the page's text (a teaser ``<article>``, a stray marker) is passed over.
    """
    total = _text_weight(soup)
    tiers = ((lambda: soup.find_all(itemprop="articleBody"), 10), (lambda: soup.find_all("article"), 4),
             (lambda: soup.find_all("main"), 4), (lambda: [_densest_paragraph_parent(soup)], 4),
             (lambda: [_densest_text_block(soup)], 4))
    for candidates, share in tiers:
        best = max(filter(None, candidates()), key=_text_weight, default=None)
        # The marker of a teaser or a stray element holds little of the page's text.
        if best is not None and share * _text_weight(best) >= total:
            return best
    return soup.body or soup


def _densest_paragraph_parent(soup: BeautifulSoup) -> Tag | None:
    """The element whose child (and, at half weight, grandchild) paragraphs hold the most text."""
    scores: dict[int, float] = {}
    tags: dict[int, Tag] = {}
    for p in soup.find_all("p"):
        chars = len(p.get_text(strip=True))
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


# --- text, encodings and dates ------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff]")
_LINE_BREAKS = str.maketrans({"\r": "\n", "\v": "\n", "\f": "\n", "\u2028": "\n", "\u2029": "\n"})
_TEXT_CONTROLS = b"\t\n\r\f\v\x1b"
_BINARY_CONTROLS = bytes(c for c in range(32) if c not in _TEXT_CONTROLS) + b"\x7f"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _decode(data: bytes, html: bool = False) -> str:
    """Text from bytes: by BOM, else UTF-8, else a page's ``<meta charset>``, else Windows-1252.

    :raises ValueError: for binary data.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if _looks_binary(data):
        raise ValueError("binary file, not text")
    match = _META_CHARSET.search(data[:4096]) if html else None
    declared = match.group(1).decode("ascii") if match else None
    for encoding in filter(None, ("utf-8-sig", declared, "cp1252")):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("latin-1")  # cp1252 leaves five bytes undefined; Latin-1 defines all


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, or many other control bytes, in the first 8 KB."""
    sample = data[:8192]
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROLS))
    return b"\0" in sample or controls > len(sample) // 10


def _clean_text(text: str) -> str:
    """NFC, ``\\n`` line ends, no control characters but tabs, no trailing spaces on lines."""
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _one_line(text: str | None) -> str:
    return " ".join(_clean_text(text).split()) if text else ""


def _shorten(title: str) -> str:
    """A title of at most :data:`MAX_TITLE_CHARS`, cut at a word when it is a whole paragraph."""
    if len(title) <= MAX_TITLE_CHARS:
        return title
    return title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DATE_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%m/%d/%Y", "%Y/%m/%d", "%d-%b-%Y")
_TIME_FORMATS = ("%H:%M:%S.%f", "%H:%M:%S", "%H:%M")


def parse_date(text: str) -> str | None:
    """A date or time in ISO 8601, or None when *text* is not one.

    Reads ISO 8601, RFC 2822, ``17 Nov 2024``, ``November 17, 2024``, ``Nov. 17, 2024``,
    ``11/17/2024`` (US order), ``2024/11/17`` and Reuters' ``17-NOV-1987 10:30:00.00``.

    >>> parse_date("Nov. 17, 2024")
    '2024-11-17'
    >>> parse_date("Sun, 17 Nov 2024 10:30:00 GMT")
    '2024-11-17T10:30:00+00:00'
    """
    text = " ".join(str(text).split())
    if _ISO_DATE.match(text):
        try:
            if len(text) == 10:
                return date.fromisoformat(text).isoformat()
            return datetime.fromisoformat(text).replace(microsecond=0).isoformat()
        except ValueError:
            pass
    parsed = _parse_written_date(text)
    if parsed is None and ":" in text:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if isinstance(parsed, datetime):
        return parsed.replace(microsecond=0).isoformat()
    return parsed.isoformat() if parsed else None


def _parse_written_date(text: str) -> date | datetime | None:
    """Dates as people write them, with an optional time after: strptime over known layouts."""
    text = re.sub(r"^[A-Za-z]+,\s*", "", text)  # a weekday in front
    text = re.sub(r"\b(Sept)\b", "Sep", text.replace(",", " "), flags=re.IGNORECASE)
    text = re.sub(r"\b([A-Za-z]{3,9})\.", r"\1", text)  # Nov. 17
    text = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", text)
    text = " ".join(text.split())
    for layout in _DATE_FORMATS:
        for with_time in ("", *(" " + t for t in _TIME_FORMATS)):
            try:
                parsed = datetime.strptime(text, layout + with_time)
            except ValueError:
                continue
            return parsed if with_time else parsed.date()
    return None
